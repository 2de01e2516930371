"""The data-object updates of ``updateShare``: each ``{"action", "data_object"}`` checked against the local catalog
(tables and views, materialized views, streaming and foreign tables, volumes, models, functions, feature specs,
notebook files) and turned into an ``ObjectChange``. Which fields go with which type is ``object_fields``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sharekit.names import (
    MAX_NAME_LENGTH,
    OBJECT_TYPE_OF_TABLE_TYPE,
    OBJECT_TYPES,
    STRING_ALIAS_TYPES,
    TABLE_LIKE_TYPES,
)
from sharekit.server.body import obj_of, opt_bool, opt_enum, opt_int, opt_list, opt_str, req_str
from sharekit.server.errors import BadRequest, NotFound
from sharekit.server.metastore import names
from sharekit.server.metastore.catalog_objects import CATALOG_KINDS
from sharekit.server.metastore.changes import ObjectChange
from sharekit.server.metastore.records import Partition, PartitionValue, SharedObject
from sharekit.server.tables.registry import TableEntry, TableRegistry
from sharekit.server.tables.status import NOTEBOOKS_DIR
from sharekit.server.uc.object_fields import check_fields, notebook_content, string_alias, table_alias
from sharekit.types import JSONObject

ACTIONS = {"ADD", "REMOVE", "UPDATE"}
OBJECT_FIELDS = {"name", "added_at", "added_by", "cdf_enabled", "comment", "content", "data_object_type",
                 "history_data_sharing_status", "partitions", "shared_as", "start_version", "status",
                 "string_shared_as"}
_NOT_UPDATED = {"name", "data_object_type", "added_at", "added_by", "status"}


@dataclass(frozen=True)
class UpdateContext:
    tables: TableRegistry
    storage_root: str | None  # the share's (after this request): notebook files need one


def parse_update(raw: Any, index: int, ctx: UpdateContext) -> ObjectChange:
    where = f"updates[{index}]"
    item = obj_of(raw, where, {"action", "data_object"})
    action = opt_enum(item, "action", ACTIONS, where)
    if action is None:
        raise BadRequest(f"Field 'action' is required in {where}")
    data = obj_of(item.get("data_object"), f"{where}.data_object", OBJECT_FIELDS)
    where = f"{where}.data_object"
    name = req_str(data, "name", where)
    declared = opt_enum(data, "data_object_type", set(OBJECT_TYPES), where)
    fields = {k for k, v in data.items() if v is not None} - _NOT_UPDATED
    if data.get("history_data_sharing_status") == "ENABLED":
        fields.add("cdf_enabled")  # history shares the change data feed (the stored answer says so)
    if "content" in fields:
        fields = (fields - {"content"}) | {"content_file"}
    if action == "REMOVE":  # the object may be gone from the catalog; removing it from the share must still work
        return ObjectChange(action, SharedObject(_removal_name(name, declared), declared or "TABLE"), frozenset(),
                            declared_type=declared)
    full_name, kind, entry = _target(name, declared, ctx.tables)
    check_fields(kind, data, where)
    values = _sharing_options(data, where, full_name, kind)
    if kind == "NOTEBOOK_FILE":
        values["content_file"] = _store_notebook(ctx, data, action, where)
    if kind in STRING_ALIAS_TYPES:
        alias = string_alias(kind, data, where)
        generated = action == "ADD" and alias is None and kind != "NOTEBOOK_FILE"
        values["string_shared_as"] = _default_alias(full_name) if generated else alias
    partitions = opt_list(data, "partitions", where) or []
    if entry is not None and entry.table_type != "VIEW":
        values["partitions"] = _table_checks(ctx.tables, entry, partitions, values["start_version"],
                                             bool(opt_bool(data, "cdf_enabled", where)), where)
    return ObjectChange(action, SharedObject(**values), frozenset(fields), declared_type=declared)


def _default_alias(full_name: str) -> str:
    """As for tables' shared_as, the server names a volume, function or model the request does not alias:
    ``<schema>.<name>`` (a notebook file keeps no alias unless given one)."""
    return ".".join(full_name.split(".")[-2:])


def _removal_name(name: str, declared: str | None) -> str:
    """The stored name a REMOVE means: catalog names lower-cased; a notebook file's name as given."""
    if declared == "NOTEBOOK_FILE" or (declared is None and "." not in name):
        return name
    parts = 2 if declared == "SCHEMA" or (declared is None and name.count(".") == 1) else 3
    return ".".join(names.split_full_name(name, parts, "schema" if parts == 2 else "table"))


def _target(name: str, declared: str | None, tables: TableRegistry) -> tuple[str, str, TableEntry | None]:
    """(full name, data object type, the local table) of the object an ADD or UPDATE names."""
    if declared == "NOTEBOOK_FILE":
        if not name.strip() or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
            raise BadRequest(f"Invalid notebook file name '{name}'")
        return name, "NOTEBOOK_FILE", None
    if declared == "SCHEMA" or (declared is None and name.count(".") == 1):
        catalog, schema = names.split_full_name(name, 2, "schema")
        tables.list_tables(catalog, schema)  # SCHEMA_DOES_NOT_EXIST / CATALOG_DOES_NOT_EXIST
        return f"{catalog}.{schema}", "SCHEMA", None
    if declared in CATALOG_KINDS:
        return tables.catalog.get((declared,), name).full_name, declared, None
    try:
        entry = tables.get(name)
    except NotFound:
        found = None if declared is not None else _catalog_object(tables, name)
        if found is None:
            raise
        return found
    kind = OBJECT_TYPE_OF_TABLE_TYPE.get(entry.table_type, "TABLE")
    if declared is not None and declared != kind:
        raise BadRequest(f"'{entry.full_name}' is a {kind.lower().replace('_', ' ')}, not a "
                         f"{declared.lower().replace('_', ' ')}: add it as data_object_type {kind}")
    return entry.full_name, kind, entry


def _catalog_object(tables: TableRegistry, name: str) -> tuple[str, str, None] | None:
    """An undeclared 3-part name that is no table: a volume, model or function of that name."""
    for kind in CATALOG_KINDS:
        found = tables.catalog.find((kind,), name)
        if found is not None:
            return found.full_name, kind, None
    return None


def _sharing_options(data: JSONObject, where: str, full_name: str, kind: str) -> dict[str, Any]:
    """Name, type, comment, alias, history, change data feed and start version of the shared object."""
    history = opt_enum(data, "history_data_sharing_status", {"ENABLED", "DISABLED"}, where) or "DISABLED"
    cdf = bool(opt_bool(data, "cdf_enabled", where))
    return {"name": full_name, "data_object_type": kind, "comment": opt_str(data, "comment", where),
            "shared_as": table_alias(data, where) if kind in TABLE_LIKE_TYPES else None,
            "history_data_sharing_status": history,
            # sharing history shares the change data feed too: the workspace answers cdf_enabled true
            "cdf_enabled": cdf or history == "ENABLED",
            "start_version": opt_int(data, "start_version", where)}


def _store_notebook(ctx: UpdateContext, data: JSONObject, action: str, where: str) -> str | None:
    """Keep a notebook file's content under the server home (named by its hash, so a retry writes the same file)."""
    content = notebook_content(data, where)
    if content is None:
        if action == "ADD":
            raise BadRequest(f"A notebook file needs its content (base64) ({where})")
        return None
    if not ctx.storage_root:
        raise BadRequest("The share has no storage_root: set one (PATCH the share with storage_root) before "
                         f"adding notebook files ({where})")
    relative = f"{NOTEBOOKS_DIR}/{hashlib.sha256(content).hexdigest()}"
    target = ctx.tables.home.root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(".partial")
        partial.write_bytes(content)
        partial.replace(target)
    return relative


def _table_checks(tables: TableRegistry, entry: TableEntry, partitions: list[Any], start: int | None, cdf: bool,
                  where: str) -> tuple[Partition, ...]:
    """What only the table's Delta metadata can confirm: CDF enabled, the start version, the partition spec."""
    meta = tables.metadata(entry)
    if cdf and meta.properties.get("delta.enableChangeDataFeed", "").lower() != "true":
        raise BadRequest(f"Change data feed is not enabled on table '{entry.full_name}' "
                         "(set the table property delta.enableChangeDataFeed = true)")
    if start is not None and not 0 <= start <= meta.version:
        raise BadRequest(f"start_version {start} is outside the versions of '{entry.full_name}' (0..{meta.version})")
    return tuple(_partition(p, i, where, meta.partition_columns, entry.full_name) for i, p in enumerate(partitions))


def _partition(raw: Any, index: int, where: str, columns: list[str], table: str) -> Partition:
    where = f"{where}.partitions[{index}]"
    part = obj_of(raw, where, {"values"})
    values = opt_list(part, "values", where)
    if not values:
        raise BadRequest(f"A partition needs at least one value ({where})")
    out = []
    for i, raw_value in enumerate(values):
        at = f"{where}.values[{i}]"
        value = obj_of(raw_value, at, {"name", "op", "value", "recipient_property_key"})
        column = req_str(value, "name", at).lower()
        if column not in columns:
            allowed = ", ".join(columns) or "none"
            raise BadRequest(f"'{column}' is not a partition column of '{table}' (partition columns: {allowed})")
        op = opt_enum(value, "op", {"EQUAL", "LIKE"}, at) or "EQUAL"
        literal, key = opt_str(value, "value", at), opt_str(value, "recipient_property_key", at)
        if (literal is None) == (key is None):
            raise BadRequest(f"Exactly one of 'value' and 'recipient_property_key' must be set ({at})")
        out.append(PartitionValue(column, op, literal, key))
    return Partition(tuple(out))
