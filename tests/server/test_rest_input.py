"""Bad input on every management route gets a 4xx with the Databricks error shape, never a 5xx; audit entries."""

from __future__ import annotations

import json

import pytest

from sharekit.server.audit.log import AuditEvent
from sharekit.server.state import ServerState
from tests.server.conftest import Api

API = "/api/2.1/unity-catalog"
WRITES = [
    ("POST", f"{API}/shares"),
    ("PATCH", f"{API}/shares/s1"),
    ("PATCH", f"{API}/shares/s1/permissions"),
    ("POST", f"{API}/recipients"),
    ("PATCH", f"{API}/recipients/r1"),
    ("POST", f"{API}/recipients/r1/rotate-token"),
]
READS = [
    f"{API}/shares", f"{API}/shares/s1", f"{API}/shares/s1/permissions", f"{API}/recipients",
    f"{API}/recipients/r1", f"{API}/recipients/r1/share-permissions", f"{API}/catalogs", f"{API}/catalogs/main",
    f"{API}/schemas?catalog_name=main", f"{API}/schemas/main.sales", f"{API}/tables?catalog_name=main&schema_name=sales",
    f"{API}/tables/main.sales.orders", f"{API}/tables/main.sales.orders/exists", f"{API}/table-summaries?catalog_name=main",
]


@pytest.fixture
def seeded(api: Api) -> Api:
    assert api.post(f"{API}/shares", json={"name": "s1"}).status_code == 200
    assert api.post(f"{API}/recipients", json={"name": "r1", "authentication_type": "TOKEN"}).status_code == 200
    return api


def assert_error(response: object, status: int, code: str | None = None) -> dict[str, str]:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"} and body["message"]
    assert "Unexpected error" not in body["message"] and "try again later" not in body["message"]
    if code:
        assert body["error_code"] == code, body
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_bodies_that_are_not_json_objects(seeded: Api, method: str, path: str) -> None:
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"):
        response = seeded.request(method, path, content=raw, headers={"Content-Type": "application/json"})
        assert_error(response, 400)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_unknown_fields_are_refused(seeded: Api, method: str, path: str) -> None:
    body = assert_error(seeded.request(method, path, json={"surprise": 1}), 400, "INVALID_PARAMETER_VALUE")
    assert "surprise" in body["message"]


@pytest.mark.parametrize(("method", "path"), [*WRITES, *[("GET", p) for p in READS],
                                              ("DELETE", f"{API}/shares/s1"), ("DELETE", f"{API}/recipients/r1")])
def test_missing_or_wrong_admin_token_is_401(seeded: Api, method: str, path: str) -> None:
    assert_error(seeded.anonymous().request(method, path), 401, "UNAUTHENTICATED")
    wrong = seeded.anonymous().request(method, path, headers={"Authorization": "Bearer dapi-wrong"})
    assert_error(wrong, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("path", READS)
def test_every_read_succeeds_for_the_admin(seeded: Api, path: str) -> None:
    response = seeded.get(path)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("path", "body"), [
    (f"{API}/shares", {"name": 5}),
    (f"{API}/shares", {"name": "a b"}),
    (f"{API}/shares", {"name": "a.b"}),
    (f"{API}/shares", {"name": ""}),
    (f"{API}/shares", {"name": "x" * 256}),
    (f"{API}/shares", {"name": "ok", "comment": ["x"]}),
    (f"{API}/recipients", {"name": "r2"}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "PASSWORD"}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "DATABRICKS"}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "expiration_time": "soon"}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "expiration_time": 5}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "ip_access_list": {"allowed_ip_addresses": ["300.1.1.1"]}}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "ip_access_list": ["10.0.0.0/8"]}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "properties_kvpairs": {"properties": {"a": 1}}}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN", "properties_kvpairs": {"properties": [1]}}),
    (f"{API}/recipients", {"name": "r2", "authentication_type": "TOKEN",
                           "properties_kvpairs": {"properties": {"databricks.accountId": "x"}}}),
    (f"{API}/recipients/r1/rotate-token", {}),
    (f"{API}/recipients/r1/rotate-token", {"existing_token_expire_in_seconds": -1}),
    (f"{API}/recipients/r1/rotate-token", {"existing_token_expire_in_seconds": 1.5}),
    (f"{API}/recipients/r1/rotate-token", {"existing_token_expire_in_seconds": 10**30}),
])
def test_wrong_values_are_400(seeded: Api, path: str, body: dict[str, object]) -> None:
    assert_error(seeded.post(path, json=body), 400)


@pytest.mark.parametrize("update", [
    {"action": "ADD"},
    {"action": "MOVE", "data_object": {"name": "main.sales.orders"}},
    {"action": "ADD", "data_object": "main.sales.orders"},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "data_object_type": "MATERIALIZED_VIEW"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "data_object_type": "NONSENSE"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "shared_as": "a.b.c"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "shared_as": "a-b.c"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "shared_as": ""}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "cdf_enabled": "yes"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "cdf_enabled": True}},  # CDF off on orders
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "start_version": 99}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "history_data_sharing_status": "MAYBE"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "partitions": [{"values": [{"name": "status", "op": "EQUAL", "value": "x"}]}]}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "partitions": [{"values": [{"name": "region", "op": "EQUAL"}]}]}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "partitions": [{"values": [
        {"name": "region", "op": "EQUAL", "value": "EU", "recipient_property_key": "region"}]}]}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "partitions": [{"values": []}]}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "partitions": [{"values": [{"name": "region", "op": "GT", "value": "x"}]}]}},
    {"action": "ADD", "data_object": {"name": "main.sales", "data_object_type": "SCHEMA", "shared_as": "a.b"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "string_shared_as": "x"}},
    {"action": "ADD", "data_object": {"name": "main.sales.orders", "surprise": True}},
    {"action": "ADD", "data_object": {"name": "orders"}},
])
def test_bad_data_object_updates_are_400_and_change_nothing(seeded: Api, update: dict[str, object]) -> None:
    assert_error(seeded.patch(f"{API}/shares/s1", json={"updates": [update]}), 400)
    assert seeded.get(f"{API}/shares/s1?include_shared_data=true").json()["objects"] == []


def test_more_than_100_updates_is_400(seeded: Api) -> None:
    updates = [{"action": "REMOVE", "data_object": {"name": f"main.sales.t{i}"}} for i in range(101)]
    body = assert_error(seeded.patch(f"{API}/shares/s1", json={"updates": updates}), 400, "INVALID_PARAMETER_VALUE")
    assert "100" in body["message"]


@pytest.mark.parametrize("query", ["max_results=-1", "max_results=abc", "max_results=99999999999", "page_token=%25%25",
                                   "max_results=1.5"])
def test_bad_pagination_is_400(seeded: Api, query: str) -> None:
    assert_error(seeded.get(f"{API}/shares?{query}"), 400)
    assert_error(seeded.get(f"{API}/recipients?{query}"), 400)


def test_oversized_body_is_413_with_the_json_shape(seeded: Api) -> None:
    big = json.dumps({"name": "x", "comment": "y" * (2 << 20)})
    assert_error(seeded.post(f"{API}/shares", content=big, headers={"Content-Type": "application/json"}), 413)


def test_privileges_other_than_select_are_400(seeded: Api) -> None:
    body = {"changes": [{"principal": "r1", "add": ["MODIFY"]}]}
    assert_error(seeded.patch(f"{API}/shares/s1/permissions", json=body), 400, "INVALID_PARAMETER_VALUE")
    assert_error(seeded.patch(f"{API}/shares/s1/permissions", json={"changes": [{"principal": "r1", "add": "SELECT"}]}), 400)
    ghost = seeded.patch(f"{API}/shares/s1/permissions", json={"changes": [{"principal": "ghost", "add": ["SELECT"]}]})
    assert_error(ghost, 404, "RECIPIENT_DOES_NOT_EXIST")


def test_activation_with_unknown_link_is_404_and_needs_no_admin_token(seeded: Api) -> None:
    anonymous = seeded.anonymous()
    assert_error(anonymous.get(f"{API}/public/data_sharing_activation_info/nope"), 404)
    assert_error(anonymous.get(f"{API}/public/data_sharing_activation/nope"), 404)


def test_audit_records_actions_params_and_refusals(seeded: Api, state: ServerState) -> None:
    events: list[AuditEvent] = []
    record = state.audit.record

    def keep(event: AuditEvent) -> None:  # the real log still records; we also keep what it was given
        events.append(event)
        record(event)

    state.audit.record = keep  # type: ignore[method-assign]
    updates = [{"action": "ADD", "data_object": {"name": "main.sales.orders"}}]
    assert seeded.patch(f"{API}/shares/s1", json={"updates": updates}).status_code == 200
    assert seeded.anonymous().delete(f"{API}/shares/s1").status_code == 401
    assert seeded.patch(f"{API}/shares/nope", json={}).status_code == 404
    link = seeded.get(f"{API}/recipients/r1").json()["activation_url"].split("?")[-1]
    assert seeded.anonymous().get(f"{API}/public/data_sharing_activation/{link}").status_code == 200
    by_action = {e.action_name: e for e in events if e.request_params.get("name") != "nope"}
    assert {"updateShare", "deleteShare", "getRecipient", "retrieveRecipientToken"} <= set(by_action)
    update = by_action["updateShare"]
    assert update.request_params["name"] == "s1" and json.loads(update.request_params["updates"]) == updates
    assert update.user_email == state.admin_user and update.status_code == 200
    refused = by_action["deleteShare"]
    assert refused.status_code == 401 and refused.user_email is None and refused.error_message
    missing = next(e for e in events if e.request_params.get("name") == "nope")
    assert missing.status_code == 404 and "SHARE_DOES_NOT_EXIST" in (missing.error_message or "")
    assert by_action["retrieveRecipientToken"].request_params == {"recipient_name": "r1"}
    dumped = repr(events)
    assert link not in dumped and state.admin_token not in dumped
