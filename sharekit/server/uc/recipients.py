"""Recipients, their tokens and their share permissions: ``/api/2.1/unity-catalog/recipients``."""

from __future__ import annotations

import uuid
from typing import Any

from sharekit.names import RECIPIENT_TYPES, SHARING_IDENTIFIER
from sharekit.server import paths
from sharekit.server.body import drop_none, obj_of, opt_enum, opt_int, opt_list, opt_str, req_str, str_list
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest
from sharekit.server.metastore import names
from sharekit.server.metastore.paging import paginate
from sharekit.server.metastore.records import Recipient, RecipientToken
from sharekit.server.settings import METASTORE_ID
from sharekit.types import JSONObject

AUTH_TYPES = {*RECIPIENT_TYPES, "OAUTH_CLIENT_CREDENTIALS"}  # the SDK enum; the last for provider imports only
CREATE_FIELDS = {"name", "authentication_type", "comment", "data_recipient_global_metastore_id", "expiration_time",
                 "id", "ip_access_list", "owner", "properties_kvpairs", "sharing_code"}
UPDATE_FIELDS = {"comment", "expiration_time", "id", "ip_access_list", "new_name", "owner", "properties_kvpairs"}
ROTATE_FIELDS = {"existing_token_expire_in_seconds"}


def recipient_json(recipient: Recipient, base_url: str) -> JSONObject:
    pending = [t for t in recipient.tokens if t.activation_token]
    payload = drop_none({
        "id": recipient.id, "name": recipient.name, "comment": recipient.comment, "owner": recipient.owner,
        "authentication_type": recipient.authentication_type, "activated": recipient.activated,
        "activation_url": paths.activation_url(base_url, pending[-1].activation_token or "") if pending else None,
        "created_at": recipient.created_at, "created_by": recipient.created_by,
        "updated_at": recipient.updated_at, "updated_by": recipient.updated_by,
        "expiration_time": recipient.expiration_time, "cloud": "local", "region": "local",
        "metastore_id": METASTORE_ID,
    })
    if recipient.data_recipient_global_metastore_id:  # DATABRICKS: where the recipient's metastore is
        cloud, region, metastore = recipient.data_recipient_global_metastore_id.split(":", 2)
        payload.update(data_recipient_global_metastore_id=recipient.data_recipient_global_metastore_id,
                       cloud=cloud, region=region, metastore_id=metastore)
    if recipient.properties:
        payload["properties_kvpairs"] = {"properties": dict(recipient.properties)}
    if recipient.ip_access_list:
        payload["ip_access_list"] = {"allowed_ip_addresses": list(recipient.ip_access_list)}
    if recipient.authentication_type == "TOKEN":
        payload["tokens"] = [token_json(t, base_url) for t in recipient.tokens]
    return payload


def token_json(token: RecipientToken, base_url: str) -> JSONObject:
    return drop_none({
        "id": token.id, "created_at": token.created_at, "created_by": token.created_by,
        "updated_at": token.updated_at, "updated_by": token.updated_by, "expiration_time": token.expiration_time,
        "activation_url": paths.activation_url(base_url, token.activation_token) if token.activation_token else None,
    })


def _properties(body: JSONObject) -> dict[str, str] | None:
    if body.get("properties_kvpairs") is None:
        return None
    kv = obj_of(body["properties_kvpairs"], "properties_kvpairs", {"properties"})
    props = kv.get("properties") or {}
    if not isinstance(props, dict):
        raise BadRequest("properties_kvpairs.properties must be a JSON object of string values")
    for key, value in props.items():
        names.property_key(key)
        if not isinstance(value, str):
            raise BadRequest(f"Recipient property '{key}' must be a string value")
    return dict(props)


def _ip_list(body: JSONObject) -> tuple[str, ...] | None:
    """The allowed addresses; None for no restriction (absent, null or an empty list)."""
    if body.get("ip_access_list") is None:
        return None
    ips = obj_of(body["ip_access_list"], "ip_access_list", {"allowed_ip_addresses"})
    values = str_list(opt_list(ips, "allowed_ip_addresses", "ip_access_list") or [], "allowed_ip_addresses")
    return names.ip_access_list(values)


def _expiration(call: Call[str]) -> int | None:
    expiration = opt_int(call.body, "expiration_time")
    if expiration is not None and expiration <= call.state.now_ms():
        raise BadRequest(f"expiration_time {expiration} is in the past (epoch milliseconds expected)")
    return expiration


def _name(call: Call[str]) -> str:
    return call.path("name").lower()


def create_recipient(call: Call[str]) -> JSONObject:
    body = call.body
    name = names.securable_name(req_str(body, "name"), "recipient")
    auth_type = opt_enum(body, "authentication_type", AUTH_TYPES)
    if auth_type is None:
        raise BadRequest("Field 'authentication_type' is required")
    if auth_type == "OAUTH_CLIENT_CREDENTIALS":  # the SDK: "This option is for provider imports only"
        raise BadRequest("authentication_type OAUTH_CLIENT_CREDENTIALS is for provider imports only; use "
                         "OIDC_FEDERATION for a recipient that signs in with its own identity provider")
    global_id = _sharing_identifier(body, auth_type)
    ips = _ip_list(body)
    if global_id and ips:  # the Terraform provider: data_recipient_global_metastore_id conflicts with ip_access_list
        raise BadRequest("ip_access_list applies only to open sharing recipients (TOKEN, OIDC_FEDERATION)")
    properties = _properties(body) or {}
    if global_id:
        properties = {**properties, **databricks_properties(name, global_id)}
    recipient = call.state.metastore.create_recipient(
        name, user=call.who, comment=opt_str(body, "comment"), owner=opt_str(body, "owner"),
        properties=properties, ip_access_list=ips, expiration_time=_expiration(call),
        authentication_type=auth_type, global_metastore_id=global_id)
    return recipient_json(recipient, call.state.base_url)


def _sharing_identifier(body: JSONObject, auth_type: str) -> str | None:
    """A DATABRICKS recipient's ``<cloud>:<region>:<metastore uuid>`` (required); refused for the other types."""
    global_id = opt_str(body, "data_recipient_global_metastore_id")
    if auth_type != "DATABRICKS":
        for key in ("data_recipient_global_metastore_id", "sharing_code"):
            if body.get(key) is not None:
                raise BadRequest(f"Field '{key}' applies only to DATABRICKS recipients")
        return None
    if not global_id:
        raise BadRequest("A DATABRICKS recipient needs data_recipient_global_metastore_id: the sharing identifier "
                         "<cloud>:<region>:<metastore-uuid> its workspace shows in current_metastore()")
    if not SHARING_IDENTIFIER.match(global_id):
        raise BadRequest(f"Invalid sharing identifier '{global_id}': expected <cloud>:<region>:<metastore-uuid>")
    opt_str(body, "sharing_code")  # accepted (a string) but never stored or returned, as it is a secret
    return global_id  # as given: a changed spelling would be a perpetual diff for a document


def databricks_properties(name: str, global_id: str) -> dict[str, str]:
    """The reserved properties a workspace adds to a DATABRICKS recipient. The recipient's account id is not
    known here: a stable stand-in is derived from its sharing identifier."""
    metastore = global_id.rsplit(":", 1)[-1]
    return {"databricks.accountId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sharekit-account:{global_id}")),
            "databricks.metastoreId": metastore, "databricks.name": name}


def get_recipient(call: Call[str]) -> JSONObject:
    return recipient_json(call.state.metastore.get_recipient(_name(call)), call.state.base_url)


def list_recipients(call: Call[str]) -> JSONObject:
    page = call.state.metastore.list_recipients(max_results=call.query_int("max_results"),
                                                page_token=call.query_str("page_token"))
    return drop_none({"recipients": [recipient_json(r, call.state.base_url) for r in page.items],
                      "next_page_token": page.next_page_token})


def update_recipient(call: Call[str]) -> JSONObject:
    body = call.body
    changes: dict[str, Any] = {}
    for key in ("comment", "owner"):
        if key in body:
            changes[key] = opt_str(body, key)
    if opt_str(body, "new_name"):
        changes["new_name"] = names.securable_name(str(body["new_name"]), "recipient")
    if "expiration_time" in body:
        changes["expiration_time"] = _expiration(call)
    properties = _properties(body)
    if properties is not None:
        changes["properties"] = properties
    if "ip_access_list" in body:
        changes["ip_access_list"] = _ip_list(body)
    recipient = call.state.metastore.update_recipient(_name(call), user=call.who, changes=changes)
    return recipient_json(recipient, call.state.base_url)


def delete_recipient(call: Call[str]) -> JSONObject:
    call.state.metastore.delete_recipient(_name(call))
    return {}


def rotate_token(call: Call[str]) -> JSONObject:
    seconds = opt_int(call.body, "existing_token_expire_in_seconds")
    if seconds is None:
        raise BadRequest("Field 'existing_token_expire_in_seconds' is required")
    if seconds < 0:
        raise BadRequest(f"existing_token_expire_in_seconds must not be negative, got {seconds}")
    kind = call.state.metastore.get_recipient(_name(call)).authentication_type
    if kind != "TOKEN":
        raise BadRequest(f"Only TOKEN recipients have tokens to rotate; this recipient is {kind}")
    recipient = call.state.metastore.rotate_recipient_token(_name(call), existing_token_expire_in_seconds=seconds,
                                                            user=call.who)
    return recipient_json(recipient, call.state.base_url)


def share_permissions(call: Call[str]) -> JSONObject:
    grants = {g.share: g for g in call.state.metastore.recipient_grants(_name(call))}
    keys, token = paginate(sorted(grants), call.query_int("max_results"), call.query_str("page_token"))
    out = [{"share_name": k, "privilege_assignments": [{"principal": grants[k].recipient,
                                                        "privileges": list(grants[k].privileges)}]} for k in keys]
    return drop_none({"permissions_out": out, "next_page_token": token})
