"""Who sees what: partition filtering by recipient property, grants, token life, IP access lists — and the audit."""

from __future__ import annotations

import json
import time
from typing import Any

import delta_sharing
import pytest
import requests
from deltalake import DeltaTable

from tests.protocol.conftest import Provider, Shared

ORDERS = "main.sales.orders"
BY_REGION = [[{"name": "region", "recipient_property_key": "region"}]]


def call(shared: Shared, path: str, method: str = "GET", headers: dict[str, str] | None = None,
         **kwargs: Any) -> requests.Response:
    profile = json.loads(shared.profile.read_text())
    return requests.request(method, profile["endpoint"] + path, timeout=10,
                            headers={"Authorization": f"Bearer {profile['bearerToken']}", **(headers or {})}, **kwargs)


def test_recipients_see_only_their_region(provider: Provider) -> None:
    share = provider.share({"name": ORDERS, "partitions": BY_REGION, "history": True})
    readers = {}
    for region in ("EU", "US"):
        name = provider.recipient(properties={"region": region})
        provider.grant(share, name)
        readers[region] = Shared(share, name, provider.profile(name))
    nobody = provider.recipient(properties={"tier": "gold"})  # no region property: sees nothing
    provider.grant(share, nobody)
    readers["none"] = Shared(share, nobody, provider.profile(nobody))

    full = DeltaTable(provider.table_path(ORDERS)).to_pandas()
    for region in ("EU", "US"):
        url = readers[region].url("sales.orders")
        expected = full[full["region"] == region]
        for fmt in (None, True, False):
            got = delta_sharing.load_as_pandas(url, use_delta_format=fmt)
            assert set(got["region"]) == {region}
            assert sorted(got["order_id"]) == sorted(expected["order_id"])
        assert set(delta_sharing.load_as_pandas(url, limit=3000)["region"]) == {region}
        assert set(delta_sharing.load_as_pandas(url, version=0)["region"]) == {region}
        # a predicate asking for another region cannot widen the view
        other = "US" if region == "EU" else "EU"
        hint = json.dumps({"op": "equal", "children": [{"op": "column", "name": "region", "valueType": "string"},
                                                       {"op": "literal", "value": other, "valueType": "string"}]})
        assert len(delta_sharing.load_as_pandas(url, jsonPredicateHints=hint)) == 0
        # the raw answer lists no file of another partition
        lines = call(readers[region], f"shares/{share}/schemas/sales/tables/orders/query", "POST", json={}).text
        files = [json.loads(line)["file"] for line in lines.splitlines()[2:]]
        assert files and {f["partitionValues"]["region"] for f in files} == {region}
        assert all(f"region%3D{region}/" in f["url"] for f in files)
    assert len(delta_sharing.load_as_pandas(readers["none"].url("sales.orders"))) == 0
    event = provider.audit("deltaSharingQueriedTable", recipient_name=readers["EU"].recipient)[-1]
    assert json.loads(event["response"]["result"])["deltaSharingPartitionFilteringAccessed"] == "True"


def test_static_partitions_or_and(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS, "partitions": [[{"name": "region", "value": "APAC"}],
                                                            [{"name": "region", "value": "LATAM"}]]})
    got = delta_sharing.load_as_pandas(shared.url("sales.orders"))
    assert set(got["region"]) == {"APAC", "LATAM"} and len(got) == 1000


def assert_refused(shared: Shared, status: int, code: str) -> requests.Response:
    response = call(shared, f"shares/{shared.share}/schemas/sales/tables/orders/query", "POST", json={})
    assert response.status_code == status, response.text
    assert response.json()["errorCode"] == code
    return response


def test_ungranted_and_unknown_shares_look_the_same(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    other = provider.share({"name": ORDERS})  # exists, not granted
    ungranted = call(shared, f"shares/{other}/schemas/sales/tables/orders/query", "POST", json={})
    missing = call(shared, "shares/no_such_share/schemas/sales/tables/orders/query", "POST", json={})
    assert ungranted.status_code == missing.status_code == 403
    assert ungranted.json()["message"].replace(other, "X") == missing.json()["message"].replace("no_such_share", "X")
    assert call(shared, f"shares/{other}").status_code == 403
    listed = call(shared, "shares").json()["items"]
    assert [s["name"] for s in listed] == [shared.share]
    assert call(shared, f"shares/{shared.share}/schemas/sales/tables/nope/metadata").status_code == 404
    refused = provider.audit("deltaSharingQueryTable", recipient_name=shared.recipient, share=other)
    assert refused and refused[-1]["response"]["status_code"] == 403
    assert "does not have SELECT" in refused[-1]["response"]["error_message"]


def test_revoke_takes_effect_on_next_request(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    assert len(delta_sharing.load_as_pandas(shared.url("sales.orders"))) == 2000
    provider.revoke(shared.share, shared.recipient)
    assert_refused(shared, 403, "PERMISSION_DENIED")


def test_deleted_recipient_is_refused(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    assert call(shared, "shares").status_code == 200
    provider.ws.client.recipients.delete(shared.recipient)
    assert_refused(shared, 401, "UNAUTHENTICATED")
    events = provider.audit("deltaSharingQueryTable", share=shared.share)
    assert events[-1]["response"]["status_code"] == 401


def test_expired_token_is_refused(provider: Provider) -> None:
    expires = int(time.time() * 1000) + 2500
    shared = provider.setup({"name": ORDERS}, expiration_time=expires)
    assert call(shared, "shares").status_code == 200
    assert "expirationTime" in json.loads(shared.profile.read_text())
    time.sleep(max(0.0, expires / 1000 - time.time()) + 0.2)
    assert_refused(shared, 401, "UNAUTHENTICATED")


def test_rotated_away_token_is_refused(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    provider.ws.client.recipients.rotate_token(shared.recipient, existing_token_expire_in_seconds=0)
    assert_refused(shared, 401, "UNAUTHENTICATED")
    fresh = Shared(shared.share, shared.recipient, provider.profile(shared.recipient))
    assert len(delta_sharing.load_as_pandas(fresh.url("sales.orders"))) == 2000


def test_ip_access_list(provider: Provider) -> None:
    blocked = provider.setup({"name": ORDERS}, ip_access_list=["10.0.0.0/8"])
    response = assert_refused(blocked, 403, "PERMISSION_DENIED")
    assert "IP access list" in response.json()["message"]
    assert call(blocked, "shares").status_code == 403  # every request, not only queries
    event = provider.audit("deltaSharingQueryTable", recipient_name=blocked.recipient)[-1]
    assert event["response"]["status_code"] == 403 and event["source_ip_address"] == "127.0.0.1"
    allowed = provider.setup({"name": ORDERS}, ip_access_list=["192.168.0.0/16", "127.0.0.1/32"])
    assert len(delta_sharing.load_as_pandas(allowed.url("sales.orders"))) == 2000


def test_missing_or_garbage_token(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    profile = json.loads(shared.profile.read_text())
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = requests.get(profile["endpoint"] + "shares", headers=headers, timeout=10)
        assert response.status_code == 401 and response.json()["errorCode"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("body,code", [
    ("{not json", "MALFORMED_REQUEST"), ('{"limitHint": "ten"}', "MALFORMED_REQUEST"),
    ('{"limitHint": -1}', "INVALID_PARAMETER_VALUE"), ('{"version": 1, "timestamp": "2026-01-01T00:00:00Z"}',
                                                        "INVALID_PARAMETER_VALUE"),
    ("[1, 2]", "MALFORMED_REQUEST"),
])
def test_bad_query_bodies_are_4xx(provider: Provider, body: str, code: str) -> None:
    shared = provider.setup({"name": ORDERS})
    response = call(shared, f"shares/{shared.share}/schemas/sales/tables/orders/query", "POST", data=body,
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == code


def test_capabilities_negotiation(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS})
    path = f"shares/{shared.share}/schemas/sales/tables/orders/metadata"
    plain = call(shared, path)
    assert plain.headers["delta-sharing-capabilities"] == "responseformat=parquet"
    assert plain.headers["Delta-Table-Version"] == "0"
    assert json.loads(plain.text.splitlines()[0]) == {"protocol": {"minReaderVersion": 1}}
    delta = call(shared, path, headers={"delta-sharing-capabilities": "responseformat=delta;includeendstreamaction=true"})
    assert delta.headers["delta-sharing-capabilities"] == "responseformat=delta;includeendstreamaction=true"
    lines = [json.loads(line) for line in delta.text.splitlines()]
    assert "deltaProtocol" in lines[0]["protocol"] and "deltaMetadata" in lines[1]["metaData"]
    assert "endStreamAction" in lines[-1]
    assert "endStreamAction" not in plain.text
    head = call(shared, f"shares/{shared.share}/schemas/sales/tables/orders", "HEAD")
    assert head.status_code == 200 and head.headers["Delta-Table-Version"] == "0"
