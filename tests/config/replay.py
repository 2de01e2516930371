"""A plain-HTTP replay of what a real Databricks workspace answers to the sharing calls sharekit makes.

The real ``databricks-sdk`` talks HTTP to it (nothing of the SDK is mocked). Its state starts from ``RECORDED``
(responses assembled from the SDK's wire model and the Terraform provider's recorded unit-test fixtures; each
source is named beside its data) and changes as a workspace would on writes, refusing what a workspace refuses:
``history_data_sharing_status: ENABLED`` together with ``cdf_enabled`` (the provider's
``suppressCDFEnabledDiff``: "API does not accept both fields to be set"), ``shared_as`` on a non-table object and
``string_shared_as`` on a table-like one (SDK ``SharedDataObject`` docstrings), a ``databricks.*`` recipient
property (which the workspace sets and keeps itself: terraform-provider-databricks ``sharing/resource_recipient.go``
Read, "we can't set them"). Every write body is kept in ``writes`` for the tests to read.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

UC = "/api/2.1/unity-catalog"
TABLE_LIKE = {"TABLE", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN_TABLE"}
STRING_ALIASED = {"VOLUME", "FUNCTION", "MODEL", "NOTEBOOK_FILE"}
ADDED = {"added_at": 1700000000000, "added_by": "admin@example.com", "status": "ACTIVE"}

RECORDED: dict[str, Any] = {
    "shares": {
        # terraform-provider-databricks exporter/impl_sharing_test.go TestImportShare: one share holding a table, a
        # model, a volume, a schema and a notebook side by side; added_at/added_by/status/owner/string_shared_as as
        # the SDK's ShareInfo/SharedDataObject carry them (databricks-sdk service/sharing.py).
        "test_share": {
            "name": "test_share", "owner": "admin@example.com", "comment": "every kind",
            "storage_root": "s3://bucket/share-root",
            "objects": [
                {"name": "catalog.schema.table1", "data_object_type": "TABLE", "shared_as": "schema.table1",
                 "history_data_sharing_status": "DISABLED", **ADDED},
                {"name": "catalog.schema.model1", "data_object_type": "MODEL", "string_shared_as": "schema.model1",
                 **ADDED},
                {"name": "catalog.schema.volume1", "data_object_type": "VOLUME", "string_shared_as": "ml.volume1",
                 **ADDED},
                {"name": "catalog.schema1", "data_object_type": "SCHEMA", **ADDED},
                {"name": "catalog.schema.notebook1", "data_object_type": "NOTEBOOK_FILE",
                 "string_shared_as": "notebook1.py", **ADDED},
                # MATERIALIZED_VIEW and FUNCTION: SharedDataObjectDataObjectType values (SDK); the issue names them
                {"name": "catalog.schema.daily_mv", "data_object_type": "MATERIALIZED_VIEW",
                 "shared_as": "schema.daily_mv", **ADDED},
                {"name": "catalog.schema.tax_fn", "data_object_type": "FUNCTION", "string_shared_as": "schema.tax_fn",
                 **ADDED},
            ],
        },
        # A table shared with history: the workspace answers cdf_enabled: true beside
        # history_data_sharing_status: ENABLED (shared/reference databricks-api.md §2a; resource_share.go
        # suppressCDFEnabledDiff). Partitions in the SDK's Partition/PartitionValue shape
        # (sharing/resource_share_test.go uses the same keys). The second object lost its owner's SELECT: status
        # PERMISSION_DENIED (SharedDataObjectStatus).
        "history_share": {
            "name": "history_share", "owner": "admin@example.com",
            "objects": [
                {"name": "main.sales.orders", "data_object_type": "TABLE", "shared_as": "sales.orders",
                 "history_data_sharing_status": "ENABLED", "cdf_enabled": True, "start_version": 0,
                 "partitions": [{"values": [{"name": "region", "op": "EQUAL", "recipient_property_key": "region"}]}],
                 **ADDED},
                {"name": "main.sales.refunds", "data_object_type": "TABLE", "shared_as": "sales.refunds",
                 "history_data_sharing_status": "DISABLED", **ADDED, "status": "PERMISSION_DENIED"},
            ],
        },
        # An object of a type newer than this SDK: the SDK turns an unknown enum string into None
        # (databricks-api.md §1, wire-verified with authentication_type).
        "future_share": {
            "name": "future_share", "owner": "admin@example.com",
            "objects": [{"name": "catalog.schema.agent1", "data_object_type": "AGENT_SKILL", **ADDED},
                        {"name": "catalog.schema.table2", "data_object_type": "TABLE", "shared_as": "schema.table2",
                         **ADDED}],
        },
    },
    "recipients": {
        # sharing/resource_recipient_test.go TestCreateRecipient / TestReadRecipient
        "a": {"name": "a", "comment": "b", "sharing_code": "c", "authentication_type": "TOKEN",
              "owner": "InitialOwner", "ip_access_list": {"allowed_ip_addresses": ["0.0.0.0/0"]},
              "activated": True, "tokens": [{"id": "t1", "created_at": 1700000000000,
                                             "expiration_time": 1900000000000}]},
        # A DATABRICKS recipient with the reserved properties the workspace adds (databricks-api.md §2a;
        # resource_recipient_test.go TestRecipientPropsSuppressDiff names databricks.name)
        "partner_ws": {"name": "partner_ws", "authentication_type": "DATABRICKS", "owner": "admin@example.com",
                       "data_recipient_global_metastore_id": "aws:us-west-2:0c1f5d4e-4b1a-4f5e-9b3c-2d7a8e9f0a1b",
                       "properties_kvpairs": {"properties": {
                           "databricks.accountId": "a1b2", "databricks.metastoreId": "0c1f5d4e",
                           "databricks.name": "partner", "region": "EU"}},
                       "activated": True},
        # OIDC_FEDERATION (AuthenticationType, SDK); its policy below follows FederationPolicy/OidcFederationPolicy
        "oidc_partner": {"name": "oidc_partner", "authentication_type": "OIDC_FEDERATION",
                         "owner": "admin@example.com", "comment": "M2M over OIDC"},
        "future_kind": {"name": "future_kind", "authentication_type": "SOMETHING_NEW", "owner": "admin@example.com"},
    },
    "policies": {
        "oidc_partner": [{"name": "nightly-job", "comment": "nightly sync", "id": "p-1",
                          "create_time": "2025-01-01T00:00:00Z", "update_time": "2025-01-01T00:00:00Z",
                          "oidc_policy": {"issuer": "https://login.microsoftonline.com/tenant/v2.0",
                                          "audiences": ["api://delta-sharing"], "subject_claim": "azp",
                                          "subject": "0000-client-id"}}],
    },
    "grants": {"test_share": ["a", "oidc_partner"], "history_share": ["partner_ws"], "future_share": ["a"]},
}


class Replay:
    """The workspace state and the write bodies received."""

    def __init__(self) -> None:
        self.state = copy.deepcopy(RECORDED)
        self.writes: list[tuple[str, str, Any]] = []
        self.lock = threading.Lock()

    def writes_to(self, fragment: str) -> list[Any]:
        return [body for _, path, body in self.writes if fragment in path]


def _share_update(state: dict[str, Any], name: str, body: dict[str, Any]) -> tuple[int, Any]:
    share = state["shares"][name]
    for key in ("comment", "owner", "storage_root"):
        if key in body:
            share[key] = body[key]
    objects = {o["name"]: o for o in share["objects"]}
    for update in body.get("updates", []):
        data = update["data_object"]
        kind = data.get("data_object_type", "TABLE")
        if data.get("history_data_sharing_status") == "ENABLED" and "cdf_enabled" in data:
            return 400, {"error_code": "INVALID_PARAMETER_VALUE",
                         "message": "history_data_sharing_status and cdf_enabled cannot both be set"}
        if "shared_as" in data and kind not in TABLE_LIKE or "string_shared_as" in data and kind not in STRING_ALIASED:
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"wrong alias field for {kind}"}
        if update["action"] == "REMOVE":
            objects.pop(data["name"], None)
            continue
        if update["action"] == "ADD" and data["name"] in objects:
            return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": f"Shared object '{data['name']}' exists"}
        stored = {**objects.get(data["name"], {}), **data, **ADDED}  # a notebook's content is answered back
        if stored.get("history_data_sharing_status") == "ENABLED":
            stored["cdf_enabled"] = True  # what the workspace answers
        objects[data["name"]] = stored
    share["objects"] = list(objects.values())
    return 200, share


def _recipient_update(recipient: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
    """properties_kvpairs replaces the map of settable properties; the workspace's own databricks.* keys cannot be
    set and stay (resource_recipient.go: "we can't set them"; recepientPropertiesSuppressDiff)."""
    new = (body.get("properties_kvpairs") or {}).get("properties")
    if new is not None:
        if any(key.startswith("databricks.") for key in new):
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "databricks.* properties are read-only"}
        old = (recipient.get("properties_kvpairs") or {}).get("properties") or {}
        kept = {k: v for k, v in old.items() if k.startswith("databricks.")}
        body = {**body, "properties_kvpairs": {"properties": {**kept, **new}}}
    recipient.update(body)
    return 200, recipient


class _Handler(BaseHTTPRequestHandler):
    replay: Replay

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        with self.replay.lock:
            if method != "GET":
                self.replay.writes.append((method, path, body))
            status, answer = route(self.replay.state, method, path, query, body)
        self._send(status, answer)

    def do_GET(self) -> None:
        self._route("GET")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


def _missing(what: str) -> tuple[int, Any]:
    return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"{what} does not exist"}


def _get(state: dict[str, Any], path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    if path == f"{UC}/shares":
        return 200, {"shares": [{k: v for k, v in s.items() if k != "objects"} for s in state["shares"].values()]}
    if path == f"{UC}/recipients":
        return 200, {"recipients": list(state["recipients"].values())}
    if m := re.fullmatch(f"{UC}/shares/([^/]+)/permissions", path):
        holders = state["grants"].get(m[1], [])
        return 200, {"privilege_assignments": [{"principal": r, "privileges": ["SELECT"]} for r in holders]}
    if m := re.fullmatch(f"{UC}/shares/([^/]+)", path):
        share = state["shares"].get(m[1])
        return (200, share) if share else _missing(f"share {m[1]}")
    if m := re.fullmatch(f"{UC}/recipients/([^/]+)/share-permissions", path):
        shares = [s for s, holders in state["grants"].items() if m[1] in holders]
        return 200, {"permissions_out": [{"share_name": s, "privilege_assignments": [
            {"principal": m[1], "privileges": ["SELECT"]}]} for s in shares]}
    if m := re.fullmatch("/api/2.0/data-sharing/recipients/([^/]+)/federation-policies", path):
        return 200, {"policies": state["policies"].get(m[1], [])}
    if m := re.fullmatch(f"{UC}/recipients/([^/]+)", path):
        recipient = state["recipients"].get(m[1])
        return (200, recipient) if recipient else _missing(f"recipient {m[1]}")
    return _missing(path)


def route(state: dict[str, Any], method: str, path: str, query: dict[str, list[str]],
          body: Any) -> tuple[int, Any]:
    if method == "GET":
        return _get(state, path, query)
    if method == "PATCH" and (m := re.fullmatch(f"{UC}/shares/([^/]+)/permissions", path)):
        holders = state["grants"].setdefault(m[1], [])
        for change in body.get("changes", []):
            if "SELECT" in (change.get("add") or []) and change["principal"] not in holders:
                holders.append(change["principal"])
            if "SELECT" in (change.get("remove") or []) and change["principal"] in holders:
                holders.remove(change["principal"])
        return 200, {}
    if method == "PATCH" and (m := re.fullmatch(f"{UC}/shares/([^/]+)", path)):
        return _share_update(state, m[1], body)
    if method == "PATCH" and (m := re.fullmatch(f"{UC}/recipients/([^/]+)", path)):
        return _recipient_update(state["recipients"][m[1]], body)
    if method == "POST" and (m := re.fullmatch("/api/2.0/data-sharing/recipients/([^/]+)/federation-policies", path)):
        state["policies"].setdefault(m[1], []).append(body)
        return 200, body
    if method == "DELETE" and (m := re.fullmatch("/api/2.0/data-sharing/recipients/([^/]+)/federation-policies/(.+)",
                                                 path)):
        state["policies"][m[1]] = [p for p in state["policies"].get(m[1], []) if p["name"] != m[2]]
        return 200, {}
    if method == "DELETE" and (m := re.fullmatch(f"{UC}/(shares|recipients)/([^/]+)", path)):
        state[m[1]].pop(m[2], None)
        return 200, {}
    if method == "POST" and path in (f"{UC}/shares", f"{UC}/recipients"):
        kind = "shares" if path.endswith("shares") else "recipients"
        state[kind][body["name"]] = {**body, "owner": "admin@example.com"} | ({"objects": []} if kind == "shares"
                                                                              else {})
        return 200, state[kind][body["name"]]
    return _missing(path)


def serve(replay: Replay) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"replay": replay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
