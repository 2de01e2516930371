"""The real ``delta-sharing`` client against the real server, compared with direct ``deltalake`` reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import delta_sharing
import pandas as pd
import pytest
import requests
from deltalake import DeltaTable

from tests.protocol.conftest import Provider

ORDERS = "main.sales.orders"
STOCK = "main.inventory.stock_levels"


def same_rows(got: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    left = got.sort_values(key).reset_index(drop=True)
    right = expected.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def direct(provider: Provider, full_name: str, version: int | None = None, where: Any = None) -> pd.DataFrame:
    table = DeltaTable(provider.table_path(full_name), version=version)
    return table.to_pandas(filters=where)


@pytest.mark.parametrize("fmt", [None, True, False], ids=["default", "delta", "parquet"])
def test_load_as_pandas_matches_deltalake(provider: Provider, fmt: bool | None) -> None:
    shared = provider.setup({"name": ORDERS}, {"name": STOCK})
    orders = delta_sharing.load_as_pandas(shared.url("sales.orders"), use_delta_format=fmt)
    same_rows(orders, direct(provider, ORDERS), ["order_id"])
    stock = delta_sharing.load_as_pandas(shared.url("inventory.stock_levels"), use_delta_format=fmt)
    # versions 1-3 of stock_levels are an update, a delete and an append: removes must be applied
    same_rows(stock, direct(provider, STOCK), ["product_id"])
    assert len(stock) == 93


@pytest.mark.parametrize("fmt", [True, False], ids=["delta", "parquet"])
def test_limit(provider: Provider, fmt: bool) -> None:
    shared = provider.setup({"name": ORDERS})
    got = delta_sharing.load_as_pandas(shared.url("sales.orders"), limit=7, use_delta_format=fmt)
    assert len(got) == 7
    full = direct(provider, ORDERS)
    assert set(got["order_id"]) <= set(full["order_id"])
    # the server used limitHint: one 500-row file covers 7 rows
    event = provider.audit("deltaSharingQueriedTable", recipient_name=shared.recipient)[-1]
    result = json.loads(event["response"]["result"])
    assert result["numAddFiles"] == "1" and result["activeAddFiles"] == "4" and result["limitHint"] == "7"


def predicate(column: str, value: str, value_type: str, op: str = "equal") -> str:
    return json.dumps({"op": op, "children": [{"op": "column", "name": column, "valueType": value_type},
                                              {"op": "literal", "value": value, "valueType": value_type}]})


@pytest.mark.parametrize("fmt", [True, False], ids=["delta", "parquet"])
def test_json_predicate_hints_on_partitions(provider: Provider, fmt: bool) -> None:
    shared = provider.setup({"name": ORDERS})
    got = delta_sharing.load_as_pandas(shared.url("sales.orders"), jsonPredicateHints=predicate("region", "EU", "string"),
                                       use_delta_format=fmt)
    # the client does not filter: every row returned proves the server pruned the other partitions
    same_rows(got, direct(provider, ORDERS, where=[("region", "=", "EU")]), ["order_id"])


def test_json_predicate_hints_on_stats(provider: Provider) -> None:
    """V2: data columns are pruned with per-file min/max; files that may match are kept."""
    import pyarrow as pa
    from deltalake import write_deltalake

    name = provider.copy_table("analytics.customer_metrics")
    path = provider.table_path(name)
    extra = DeltaTable(path).to_pyarrow_table().slice(0, 10)
    extra = extra.set_column(0, "customer_id", pa.array(range(1001, 1011), pa.int64()))
    write_deltalake(path, extra, mode="append")  # a second file with ids 1001..1010
    shared = provider.setup({"name": name})
    url = shared.url(f"analytics.{name.split('.')[-1]}")
    high = delta_sharing.load_as_pandas(url, jsonPredicateHints=predicate("customer_id", "1000", "long", "greaterThan"))
    assert sorted(high["customer_id"]) == list(range(1001, 1011))
    low = delta_sharing.load_as_pandas(url, jsonPredicateHints=predicate("customer_id", "5", "long", "lessThan"))
    assert len(low) == 200  # the first file may hold ids < 5: kept whole
    bad = delta_sharing.load_as_pandas(url, jsonPredicateHints='{"op": "frobnicate"}')
    assert len(bad) == 210  # an unusable hint filters nothing


@pytest.mark.parametrize("fmt", [True, False], ids=["delta", "parquet"])
def test_time_travel_by_version_and_timestamp(provider: Provider, fmt: bool) -> None:
    shared = provider.setup({"name": STOCK, "history": True})
    url = shared.url("inventory.stock_levels")
    for version in range(4):
        got = delta_sharing.load_as_pandas(url, version=version, use_delta_format=fmt)
        same_rows(got, direct(provider, STOCK, version), ["product_id"])
    history = {h["version"]: h["timestamp"] for h in DeltaTable(provider.table_path(STOCK)).history()}
    moment = dt.datetime.fromtimestamp(history[1] / 1000, tz=dt.timezone.utc)
    got = delta_sharing.load_as_pandas(url, timestamp=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                       use_delta_format=fmt)
    same_rows(got, direct(provider, STOCK, 1), ["product_id"])


def test_time_travel_needs_history(provider: Provider) -> None:
    shared = provider.setup({"name": STOCK})
    with pytest.raises(Exception, match="shared without history"):
        delta_sharing.load_as_pandas(shared.url("inventory.stock_levels"), version=0, use_delta_format=False)
    assert delta_sharing.get_table_version(shared.url("inventory.stock_levels")) == 3


def test_start_version_bounds_history(provider: Provider) -> None:
    shared = provider.setup({"name": STOCK, "history": True, "cdf": True, "start_version": 2})
    url = shared.url("inventory.stock_levels")
    same_rows(delta_sharing.load_as_pandas(url, version=2), direct(provider, STOCK, 2), ["product_id"])
    with pytest.raises(Exception, match="start version"):
        delta_sharing.load_as_pandas(url, version=1)
    with pytest.raises(Exception, match="start version"):
        delta_sharing.load_table_changes_as_pandas(url, starting_version=0)


def expected_changes(provider: Provider, full_name: str, start: int, end: int) -> pd.DataFrame:
    import pyarrow as pa

    reader = DeltaTable(provider.table_path(full_name)).load_cdf(starting_version=start, ending_version=end)
    frame = pa.RecordBatchReader.from_stream(reader).read_all().to_pandas()
    return frame.drop(columns=["_commit_timestamp"])


@pytest.mark.parametrize("fmt", [True, False], ids=["delta", "parquet"])
def test_table_changes_match_load_cdf(provider: Provider, fmt: bool) -> None:
    shared = provider.setup({"name": STOCK, "history": True, "cdf": True})
    url = shared.url("inventory.stock_levels")
    got = delta_sharing.load_table_changes_as_pandas(url, starting_version=0, ending_version=3, use_delta_format=fmt)
    expected = expected_changes(provider, STOCK, 0, 3)
    got = got.drop(columns=["_commit_timestamp"])
    got["_commit_version"] = got["_commit_version"].astype("int64")
    expected["_commit_version"] = expected["_commit_version"].astype("int64")
    same_rows(got[list(expected.columns)], expected, ["_commit_version", "_change_type", "product_id"])
    kinds = set(got["_change_type"])
    assert {"insert", "update_preimage", "update_postimage", "delete"} <= kinds
    partial = delta_sharing.load_table_changes_as_pandas(url, starting_version=2, ending_version=3, use_delta_format=fmt)
    assert set(partial["_commit_version"].astype(int)) == {2, 3}


def test_changes_need_cdf_shared(provider: Provider) -> None:
    shared = provider.setup({"name": STOCK})  # shared without history: no change data feed either
    with pytest.raises(Exception, match="Change data feed"):
        delta_sharing.load_table_changes_as_pandas(shared.url("inventory.stock_levels"), starting_version=0)


def test_updates_and_deletes_after_sharing(provider: Provider) -> None:
    """The server notices new versions at once and returns the correct snapshot after UPDATE and DELETE."""
    name = provider.copy_table("inventory.stock_levels")
    table_name = name.split(".")[-1]
    shared = provider.setup({"name": name, "history": True, "cdf": True})
    url = shared.url(f"inventory.{table_name}")
    same_rows(delta_sharing.load_as_pandas(url), direct(provider, name), ["product_id"])
    DeltaTable(provider.table_path(name)).update(updates={"quantity": "quantity * 2"}, predicate="warehouse = 'east'")
    DeltaTable(provider.table_path(name)).delete(predicate="product_id > 90")
    assert delta_sharing.get_table_version(url) == 5
    for fmt in (True, False):
        same_rows(delta_sharing.load_as_pandas(url, use_delta_format=fmt), direct(provider, name), ["product_id"])
    changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=4, ending_version=5)
    assert set(changes["_change_type"]) == {"update_preimage", "update_postimage", "delete"}


def test_listing(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS}, {"name": STOCK, "shared_as": "warehouse.stock"},
                            {"name": "main.analytics.product_sales"})
    client = delta_sharing.SharingClient(str(shared.profile))
    assert [s.name for s in client.list_shares()] == [shared.share]
    share = client.list_shares()[0]
    assert sorted(s.name for s in client.list_schemas(share)) == ["analytics", "sales", "warehouse"]
    tables = sorted((t.schema, t.name) for t in client.list_all_tables())
    assert tables == [("analytics", "product_sales"), ("sales", "orders"), ("warehouse", "stock")]
    # the alias is what the recipient reads
    same_rows(delta_sharing.load_as_pandas(shared.url("warehouse.stock")), direct(provider, STOCK), ["product_id"])


def test_pagination(provider: Provider) -> None:
    import requests

    shared = provider.setup({"name": ORDERS}, {"name": STOCK}, {"name": "main.analytics.product_sales"},
                            {"name": "main.analytics.customer_metrics"})
    profile = json.loads(shared.profile.read_text())
    headers = {"Authorization": f"Bearer {profile['bearerToken']}"}
    base = profile["endpoint"] + f"shares/{shared.share}/all-tables"
    names, token, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"maxResults": 1}
        if token:
            params["pageToken"] = token
        body = requests.get(base, headers=headers, params=params, timeout=10).json()
        names += [t["name"] for t in body.get("items", [])]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    assert pages == 4 and sorted(names) == ["customer_metrics", "orders", "product_sales", "stock_levels"]
    bad = requests.get(base, headers=headers, params={"pageToken": "not-a-token"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["errorCode"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("fmt", [True, False], ids=["delta", "parquet"])
def test_table_with_deletion_vectors_is_refused_not_served_wrong(provider: Provider, fmt: bool) -> None:
    """Deletion vectors hide rows inside files; listing the files without them would return deleted rows."""
    from deltalake.table import TableFeatures

    name = provider.copy_table("analytics.customer_metrics")
    DeltaTable(provider.table_path(name)).alter.add_feature(TableFeatures.DeletionVectors,
                                                             allow_protocol_versions_increase=True)
    shared = provider.setup({"name": name})
    with pytest.raises(requests.HTTPError, match="deletionVectors") as refused:
        delta_sharing.load_as_pandas(shared.url(f"analytics.{name.split('.')[-1]}"), use_delta_format=fmt)
    assert "400" in str(refused.value)
    event = provider.audit("deltaSharingQueryTable", recipient_name=shared.recipient)[-1]
    assert event["response"]["status_code"] == 400
    assert "UNSUPPORTED_OPERATION" in event["response"]["error_message"]
