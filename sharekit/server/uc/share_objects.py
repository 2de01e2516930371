"""The data-object updates of ``updateShare``: each ``{"action", "data_object"}`` checked against the local tables
and turned into an ``ObjectChange``."""

from __future__ import annotations

from typing import Any

from sharekit.server.body import obj_of, opt_bool, opt_enum, opt_int, opt_list, opt_str, req_str
from sharekit.server.errors import BadRequest
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import ObjectChange
from sharekit.server.metastore.records import Partition, PartitionValue, SharedObject
from sharekit.server.tables.registry import TableEntry, TableRegistry
from sharekit.types import JSONObject

ACTIONS = {"ADD", "REMOVE", "UPDATE"}
OBJECT_TYPES = {"FEATURE_SPEC", "FOREIGN_TABLE", "FUNCTION", "MATERIALIZED_VIEW", "MODEL", "NOTEBOOK_FILE", "SCHEMA",
                "STREAMING_TABLE", "TABLE", "VIEW", "VOLUME"}
SUPPORTED_TYPES = {"TABLE", "VIEW", "SCHEMA"}
OBJECT_FIELDS = {"name", "added_at", "added_by", "cdf_enabled", "comment", "content", "data_object_type",
                 "history_data_sharing_status", "partitions", "shared_as", "start_version", "status",
                 "string_shared_as"}
_NOT_UPDATED = {"name", "data_object_type", "added_at", "added_by", "status"}


def parse_update(raw: Any, index: int, tables: TableRegistry) -> ObjectChange:
    where = f"updates[{index}]"
    item = obj_of(raw, where, {"action", "data_object"})
    action = opt_enum(item, "action", ACTIONS, where)
    if action is None:
        raise BadRequest(f"Field 'action' is required in {where}")
    data = obj_of(item.get("data_object"), f"{where}.data_object", OBJECT_FIELDS)
    where = f"{where}.data_object"
    name, declared = _name_and_type(data, where)
    full_name, kind, entry = _target(action, name, declared, tables)
    fields = {k for k, v in data.items() if v is not None} - _NOT_UPDATED
    values = _sharing_options(data, where, action, full_name, kind)
    start = opt_int(data, "start_version", where)
    partitions = opt_list(data, "partitions", where) or []
    if action != "REMOVE" and entry is not None and entry.table_type != "VIEW":
        values["partitions"] = _table_checks(tables, entry, partitions, start, bool(values["cdf_enabled"]), where)
    elif partitions and action != "REMOVE":
        raise BadRequest(f"partitions can only be set on tables ({where})")
    elif start is not None and start < 0:
        raise BadRequest(f"start_version must not be negative ({where})")
    values["start_version"] = start
    return ObjectChange(action, SharedObject(**values), frozenset(fields))


def _name_and_type(data: JSONObject, where: str) -> tuple[str, str | None]:
    name = req_str(data, "name", where)
    declared = opt_enum(data, "data_object_type", OBJECT_TYPES, where)
    if declared is not None and declared not in SUPPORTED_TYPES:
        raise BadRequest(f"data_object_type {declared} is not supported by the embedded server "
                         f"(supported: {', '.join(sorted(SUPPORTED_TYPES))})")
    for key in ("content", "string_shared_as"):
        if data.get(key) is not None:
            raise BadRequest(f"Field '{key}' applies only to volumes, functions, models and notebook files ({where})")
    return name, declared


def _target(action: str, name: str, declared: str | None,
            tables: TableRegistry) -> tuple[str, str, TableEntry | None]:
    """(full name, data object type, the local table or view) of the object an update names."""
    if declared == "SCHEMA" or (declared is None and name.count(".") == 1):
        catalog, schema = names.split_full_name(name, 2, "schema")
        if action != "REMOVE":
            tables.list_tables(catalog, schema)  # SCHEMA_DOES_NOT_EXIST / CATALOG_DOES_NOT_EXIST
        return f"{catalog}.{schema}", "SCHEMA", None
    if action == "REMOVE":  # the table may be gone from disk; removing it from the share must still work
        return ".".join(names.split_full_name(name, 3)), declared or "TABLE", None
    entry = tables.get(name)
    kind = declared or ("VIEW" if entry.table_type == "VIEW" else "TABLE")
    if (kind == "VIEW") != (entry.table_type == "VIEW"):
        raise BadRequest(f"'{entry.full_name}' is a {entry.table_type.lower()}, not a {kind.lower()}")
    return entry.full_name, kind, entry


def _sharing_options(data: JSONObject, where: str, action: str, full_name: str, kind: str) -> dict[str, Any]:
    """Name, type, comment, alias, history and change data feed of the shared object."""
    values: dict[str, Any] = {"name": full_name, "data_object_type": kind}
    values["comment"] = opt_str(data, "comment", where)
    alias = opt_str(data, "shared_as", where)
    if alias is not None:
        if kind == "SCHEMA":
            raise BadRequest(f"shared_as cannot be set on a schema ({where})")
        values["shared_as"] = names.shared_as(alias)
    history = opt_enum(data, "history_data_sharing_status", {"ENABLED", "DISABLED"}, where)
    values["history_data_sharing_status"] = history or "DISABLED"
    cdf = opt_bool(data, "cdf_enabled", where)
    if kind == "VIEW" and action != "REMOVE" and (history == "ENABLED" or cdf):
        raise BadRequest(f"'{full_name}' is a view: views are shared without history or change data feed ({where})")
    values["cdf_enabled"] = bool(cdf)
    return values


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
