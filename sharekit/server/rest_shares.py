"""Shares and share permissions: ``/api/2.1/unity-catalog/shares``."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from sharekit.server.errors import BadRequest
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import GrantChange, ObjectChange
from sharekit.server.metastore.paging import paginate
from sharekit.server.metastore.records import Grant, Partition, PartitionValue, Share, SharedObject
from sharekit.server.rest_common import (
    API,
    Call,
    drop_none,
    dumps,
    endpoint,
    obj_of,
    opt_bool,
    opt_enum,
    opt_int,
    opt_list,
    opt_str,
    req_str,
    str_list,
)
from sharekit.server.settings import MAX_UPDATES
from sharekit.server.tables.registry import TableRegistry
from sharekit.types import JSONObject

ACTIONS = {"ADD", "REMOVE", "UPDATE"}
OBJECT_TYPES = {"FEATURE_SPEC", "FOREIGN_TABLE", "FUNCTION", "MATERIALIZED_VIEW", "MODEL", "NOTEBOOK_FILE", "SCHEMA",
                "STREAMING_TABLE", "TABLE", "VIEW", "VOLUME"}
SUPPORTED_TYPES = {"TABLE", "VIEW", "SCHEMA"}
OBJECT_FIELDS = {"name", "added_at", "added_by", "cdf_enabled", "comment", "content", "data_object_type",
                 "history_data_sharing_status", "partitions", "shared_as", "start_version", "status",
                 "string_shared_as"}
SHARE_PRIVILEGES = {"SELECT"}


# -- rendering ------------------------------------------------------------------------------------
def share_json(share: Share, *, include_objects: bool) -> JSONObject:
    payload = drop_none({
        "name": share.name, "comment": share.comment, "owner": share.owner,
        "created_at": share.created_at, "created_by": share.created_by,
        "updated_at": share.updated_at, "updated_by": share.updated_by,
    })
    if include_objects:
        payload["objects"] = [object_json(obj) for obj in share.objects]
    return payload


def object_json(obj: SharedObject) -> JSONObject:
    payload: JSONObject = drop_none({
        "name": obj.name, "data_object_type": obj.data_object_type, "comment": obj.comment,
        "added_at": obj.added_at, "added_by": obj.added_by, "status": obj.status,
        "history_data_sharing_status": obj.history_data_sharing_status, "cdf_enabled": obj.cdf_enabled,
        "start_version": obj.start_version,
        "shared_as": None if obj.data_object_type == "SCHEMA" else obj.recipient_name,
    })
    if obj.partitions:
        payload["partitions"] = [{"values": [drop_none({"name": v.name, "op": v.op, "value": v.value,
                                                        "recipient_property_key": v.recipient_property_key})
                                             for v in part.values]} for part in obj.partitions]
    return payload


def assignments_json(grants: list[Grant], principal_of: str = "recipient") -> list[JSONObject]:
    return [{"principal": getattr(g, principal_of), "privileges": list(g.privileges)} for g in grants]


# -- parsing of data object updates ---------------------------------------------------------------
def parse_update(raw: Any, index: int, tables: TableRegistry) -> ObjectChange:
    where = f"updates[{index}]"
    item = obj_of(raw, where, {"action", "data_object"})
    action = opt_enum(item, "action", ACTIONS, where)
    if action is None:
        raise BadRequest(f"Field 'action' is required in {where}")
    data = obj_of(item.get("data_object"), f"{where}.data_object", OBJECT_FIELDS)
    where = f"{where}.data_object"
    name = req_str(data, "name", where)
    declared = opt_enum(data, "data_object_type", OBJECT_TYPES, where)
    if declared is not None and declared not in SUPPORTED_TYPES:
        raise BadRequest(f"data_object_type {declared} is not supported by the embedded server "
                         f"(supported: {', '.join(sorted(SUPPORTED_TYPES))})")
    for key in ("content", "string_shared_as"):
        if data.get(key) is not None:
            raise BadRequest(f"Field '{key}' applies only to volumes, functions, models and notebook files ({where})")
    is_schema = declared == "SCHEMA" or (declared is None and name.count(".") == 1)
    if is_schema:
        catalog, schema = names.split_full_name(name, 2, "schema")
        full_name, kind, entry = f"{catalog}.{schema}", "SCHEMA", None
        if action != "REMOVE":
            tables.list_tables(catalog, schema)  # SCHEMA_DOES_NOT_EXIST / CATALOG_DOES_NOT_EXIST
    elif action == "REMOVE":  # the table may be gone from disk; removing it from the share must still work
        full_name, kind, entry = ".".join(names.split_full_name(name, 3)), declared or "TABLE", None
    else:
        entry = tables.get(name)
        full_name = entry.full_name
        kind = declared or ("VIEW" if entry.table_type == "VIEW" else "TABLE")
        if (kind == "VIEW") != (entry.table_type == "VIEW"):
            raise BadRequest(f"'{full_name}' is a {entry.table_type.lower()}, not a {kind.lower()}")
    fields = {k for k, v in data.items() if v is not None} - {"name", "data_object_type", "added_at", "added_by",
                                                                   "status"}
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
    start = opt_int(data, "start_version", where)
    partitions = opt_list(data, "partitions", where) or []
    if action != "REMOVE" and entry is not None and entry.table_type != "VIEW":
        meta = tables.metadata(entry)
        if cdf and meta.properties.get("delta.enableChangeDataFeed", "").lower() != "true":
            raise BadRequest(f"Change data feed is not enabled on table '{full_name}' "
                             "(set the table property delta.enableChangeDataFeed = true)")
        if start is not None and not 0 <= start <= meta.version:
            raise BadRequest(f"start_version {start} is outside the versions of '{full_name}' (0..{meta.version})")
        values["partitions"] = tuple(_partition(p, i, where, meta.partition_columns, full_name)
                                     for i, p in enumerate(partitions))
    elif partitions and action != "REMOVE":
        raise BadRequest(f"partitions can only be set on tables ({where})")
    elif start is not None and start < 0:
        raise BadRequest(f"start_version must not be negative ({where})")
    values["start_version"] = start
    return ObjectChange(action, SharedObject(**values), frozenset(fields))


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


# -- handlers -------------------------------------------------------------------------------------
def _share_name(call: Call) -> str:
    return call.path("name").lower()


def create_share(call: Call) -> JSONObject:
    name = names.securable_name(req_str(call.body, "name"), "share")
    if call.body.get("storage_root") is not None:
        raise BadRequest("storage_root is not supported by the embedded server (tables are local Delta folders)")
    share = call.state.metastore.create_share(name, user=call.user or "", comment=opt_str(call.body, "comment"))
    return share_json(share, include_objects=False)


def get_share(call: Call) -> JSONObject:
    share = call.state.metastore.get_share(_share_name(call))
    return share_json(share, include_objects=call.query_bool("include_shared_data"))


def list_shares(call: Call) -> JSONObject:
    page = call.state.metastore.list_shares(max_results=call.query_int("max_results"),
                                          page_token=call.query_str("page_token"))
    return drop_none({"shares": [share_json(s, include_objects=False) for s in page.items],
                      "next_page_token": page.next_page_token})


def update_share(call: Call) -> JSONObject:
    body = call.body
    if body.get("storage_root") is not None:
        raise BadRequest("storage_root is not supported by the embedded server (tables are local Delta folders)")
    raw_updates = opt_list(body, "updates") or []
    if len(raw_updates) > MAX_UPDATES:
        raise BadRequest(f"At most {MAX_UPDATES} data object updates are allowed in one request, "
                         f"got {len(raw_updates)}")
    changes: dict[str, Any] = {}
    for key in ("comment", "owner"):
        if key in body:
            changes[key] = opt_str(body, key)
    new_name = opt_str(body, "new_name")
    if new_name:
        changes["new_name"] = names.securable_name(new_name, "share")
    updates = [parse_update(raw, i, call.state.tables) for i, raw in enumerate(raw_updates)]
    share = call.state.metastore.update_share(_share_name(call), user=call.user or "", changes=changes, updates=updates)
    return share_json(share, include_objects=True)


def delete_share(call: Call) -> JSONObject:
    call.state.metastore.delete_share(_share_name(call))
    return {}


def get_permissions(call: Call) -> JSONObject:
    grants = call.state.metastore.share_grants(_share_name(call))
    max_results = call.query_int("max_results")
    if max_results is None and call.query_str("page_token") is None:
        return {"privilege_assignments": assignments_json(grants)}
    by_name = {g.recipient: g for g in grants}
    keys, token = paginate(sorted(by_name), max_results, call.query_str("page_token"))
    return drop_none({"privilege_assignments": assignments_json([by_name[k] for k in keys]), "next_page_token": token})


def update_permissions(call: Call) -> JSONObject:
    raw_changes = opt_list(call.body, "changes") or []
    omit = opt_bool(call.body, "omit_permissions_list")
    changes = []
    for i, raw in enumerate(raw_changes):
        where = f"changes[{i}]"
        item = obj_of(raw, where, {"principal", "add", "remove"})
        principal = req_str(item, "principal", where).lower()
        add = str_list(opt_list(item, "add", where) or [], f"{where}.add")
        remove = str_list(opt_list(item, "remove", where) or [], f"{where}.remove")
        for privilege in (*add, *remove):
            if privilege.upper() not in SHARE_PRIVILEGES:
                raise BadRequest(f"Privilege '{privilege}' cannot be granted on a share: "
                                 "recipients are granted SELECT only")
        changes.append(GrantChange(principal, tuple(p.upper() for p in add), tuple(p.upper() for p in remove)))
    grants = call.state.metastore.update_share_grants(_share_name(call), changes)
    return {} if omit else {"privilege_assignments": assignments_json(grants)}


def _audit_updates(call: Call) -> dict[str, Any]:
    return {"updates": dumps(call.body["updates"]) if "updates" in call.body else None,
            "new_name": call.body.get("new_name")}


def _audit_changes(call: Call) -> dict[str, Any]:
    return {"changes": dumps(call.body.get("changes", []))}


def _audit_create(call: Call) -> dict[str, Any]:
    return {"name": call.body.get("name")}


def routes() -> list[BaseRoute]:
    base = f"{API}/shares"
    return [
        Route(base, endpoint("createShare", create_share, fields={"name", "comment", "storage_root"},
                             audit_params=_audit_create), methods=["POST"]),
        Route(base, endpoint("listShares", list_shares), methods=["GET"]),
        Route(base + "/{name}", endpoint("getShare", get_share), methods=["GET"]),
        Route(base + "/{name}", endpoint("updateShare", update_share,
                                         fields={"comment", "new_name", "owner", "storage_root", "updates"},
                                         audit_params=_audit_updates), methods=["PATCH"]),
        Route(base + "/{name}", endpoint("deleteShare", delete_share), methods=["DELETE"]),
        Route(base + "/{name}/permissions", endpoint("getSharePermissions", get_permissions), methods=["GET"]),
        Route(base + "/{name}/permissions", endpoint("updateSharePermissions", update_permissions,
                                                     fields={"changes", "omit_permissions_list"},
                                                     audit_params=_audit_changes), methods=["PATCH"]),
    ]
