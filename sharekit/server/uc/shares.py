"""Shares and share permissions: ``/api/2.1/unity-catalog/shares``."""

from __future__ import annotations

import base64
from typing import Any

from sharekit.names import HISTORY_TYPES
from sharekit.server.body import drop_none, dumps, obj_of, opt_bool, opt_list, opt_str, req_str, str_list
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import GrantChange
from sharekit.server.metastore.paging import paginate
from sharekit.server.metastore.records import Grant, Share, SharedObject
from sharekit.server.settings import MAX_UPDATES
from sharekit.server.tables.registry import TableRegistry
from sharekit.server.tables.status import share_statuses
from sharekit.server.uc.share_objects import UpdateContext, parse_update
from sharekit.types import JSONObject

SHARE_PRIVILEGES = {"SELECT"}
CREATE_FIELDS = {"name", "comment", "storage_root"}
UPDATE_FIELDS = {"comment", "new_name", "owner", "storage_root", "updates"}
PERMISSION_FIELDS = {"changes", "omit_permissions_list"}


# -- rendering ------------------------------------------------------------------------------------
def share_json(share: Share, *, include_objects: bool, tables: TableRegistry | None = None) -> JSONObject:
    """``ShareInfo``; with ``include_objects``, each object with its status (``tables`` tells which can be read)."""
    payload = drop_none({
        "name": share.name, "comment": share.comment, "owner": share.owner, "storage_root": share.storage_root,
        "storage_location": share.storage_root, "created_at": share.created_at, "created_by": share.created_by,
        "updated_at": share.updated_at, "updated_by": share.updated_by,
    })
    if include_objects:
        statuses = share_statuses(tables, share) if tables is not None else {}
        payload["objects"] = [object_json(obj, statuses.get(obj.name, obj.status),
                                          _content(tables, obj) if tables is not None else None)
                              for obj in share.objects]
    return payload


def _content(tables: TableRegistry, obj: SharedObject) -> str | None:
    """A notebook file's content (base64), answered so that a client can tell whether its copy is the same."""
    if obj.data_object_type != "NOTEBOOK_FILE" or obj.content_file is None:
        return None
    try:
        return base64.b64encode((tables.home.root / obj.content_file).read_bytes()).decode("ascii")
    except OSError:
        return None  # gone: the object is PERMISSION_DENIED


def object_json(obj: SharedObject, status: str = "ACTIVE", content: str | None = None) -> JSONObject:
    history = obj.data_object_type in HISTORY_TYPES
    payload: JSONObject = drop_none({
        "name": obj.name, "data_object_type": obj.data_object_type, "comment": obj.comment,
        "added_at": obj.added_at, "added_by": obj.added_by, "status": status,
        "history_data_sharing_status": obj.history_data_sharing_status if history else None,
        # a workspace answers cdf_enabled true for an object shared with history (suppressCDFEnabledDiff)
        "cdf_enabled": (obj.cdf_enabled or obj.history_shared) if history else None,
        "start_version": obj.start_version,
        "shared_as": obj.recipient_name if obj.is_table_like else None,
        "string_shared_as": obj.string_shared_as, "content": content,
    })
    if obj.partitions:
        payload["partitions"] = [{"values": [drop_none({"name": v.name, "op": v.op, "value": v.value,
                                                        "recipient_property_key": v.recipient_property_key})
                                             for v in part.values]} for part in obj.partitions]
    return payload


def assignments_json(grants: list[Grant], principal_of: str = "recipient") -> list[JSONObject]:
    return [{"principal": getattr(g, principal_of), "privileges": list(g.privileges)} for g in grants]


# -- handlers -------------------------------------------------------------------------------------
def _share_name(call: Call[str]) -> str:
    return call.path("name").lower()


def create_share(call: Call[str]) -> JSONObject:
    name = names.securable_name(req_str(call.body, "name"), "share")
    share = call.state.metastore.create_share(name, user=call.who, comment=opt_str(call.body, "comment"),
                                              storage_root=opt_str(call.body, "storage_root"))
    return share_json(share, include_objects=False)


def get_share(call: Call[str]) -> JSONObject:
    share = call.state.metastore.get_share(_share_name(call))
    return share_json(share, include_objects=call.query_bool("include_shared_data"), tables=call.state.tables)


def list_shares(call: Call[str]) -> JSONObject:
    page = call.state.metastore.list_shares(max_results=call.query_int("max_results"),
                                            page_token=call.query_str("page_token"))
    return drop_none({"shares": [share_json(s, include_objects=False) for s in page.items],
                      "next_page_token": page.next_page_token})


def update_share(call: Call[str]) -> JSONObject:
    body = call.body
    raw_updates = opt_list(body, "updates") or []
    if len(raw_updates) > MAX_UPDATES:
        raise BadRequest(f"At most {MAX_UPDATES} data object updates are allowed in one request, "
                         f"got {len(raw_updates)}")
    changes: dict[str, Any] = {}
    for key in ("comment", "owner", "storage_root"):
        if key in body:
            changes[key] = opt_str(body, key)
    if "owner" in changes and not changes["owner"]:
        raise BadRequest("owner must not be empty")
    new_name = opt_str(body, "new_name")
    if new_name:
        changes["new_name"] = names.securable_name(new_name, "share")
    current = call.state.metastore.get_share(_share_name(call))
    storage_root = changes.get("storage_root", current.storage_root)
    if "storage_root" in changes and changes["storage_root"] != current.storage_root and any(
            obj.data_object_type == "NOTEBOOK_FILE" for obj in current.objects):
        raise BadRequest("storage_root cannot change while the share holds notebook files")
    ctx = UpdateContext(call.state.tables, storage_root)
    updates = [parse_update(raw, i, ctx) for i, raw in enumerate(raw_updates)]
    share = call.state.metastore.update_share(_share_name(call), user=call.who, changes=changes, updates=updates)
    return share_json(share, include_objects=True, tables=call.state.tables)


def delete_share(call: Call[str]) -> JSONObject:
    call.state.metastore.delete_share(_share_name(call))
    return {}


def get_permissions(call: Call[str]) -> JSONObject:
    grants = call.state.metastore.share_grants(_share_name(call))
    max_results = call.query_int("max_results")
    if max_results is None and call.query_str("page_token") is None:
        return {"privilege_assignments": assignments_json(grants)}
    by_name = {g.recipient: g for g in grants}
    keys, token = paginate(sorted(by_name), max_results, call.query_str("page_token"))
    return drop_none({"privilege_assignments": assignments_json([by_name[k] for k in keys]), "next_page_token": token})


def update_permissions(call: Call[str]) -> JSONObject:
    raw_changes = opt_list(call.body, "changes") or []
    omit = opt_bool(call.body, "omit_permissions_list")
    changes = [_grant_change(raw, i) for i, raw in enumerate(raw_changes)]
    grants = call.state.metastore.update_share_grants(_share_name(call), changes)
    return {} if omit else {"privilege_assignments": assignments_json(grants)}


def _grant_change(raw: Any, index: int) -> GrantChange:
    where = f"changes[{index}]"
    item = obj_of(raw, where, {"principal", "add", "remove"})
    principal = req_str(item, "principal", where).lower()
    add = str_list(opt_list(item, "add", where) or [], f"{where}.add")
    remove = str_list(opt_list(item, "remove", where) or [], f"{where}.remove")
    for privilege in (*add, *remove):
        if privilege.upper() not in SHARE_PRIVILEGES:
            raise BadRequest(f"Privilege '{privilege}' cannot be granted on a share: "
                             "recipients are granted SELECT only")
    return GrantChange(principal, tuple(p.upper() for p in add), tuple(p.upper() for p in remove))


# -- what the audit log records of a request body -------------------------------------------------
def audit_updates(call: Call[str]) -> dict[str, Any]:
    return {"updates": dumps(call.body["updates"]) if "updates" in call.body else None,
            "new_name": call.body.get("new_name")}


def audit_changes(call: Call[str]) -> dict[str, Any]:
    return {"changes": dumps(call.body.get("changes", []))}
