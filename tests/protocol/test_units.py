"""Unit tests: predicate hints (three-valued, checked against row-level SQL semantics), partition specs,
capability negotiation, and snapshots compared with deltalake."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.server.errors import BadRequest
from sharekit.server.metastore.records import Partition, PartitionValue, Recipient, SharedObject
from sharekit.server.sharing import predicates, wire
from sharekit.server.sharing.partitions import for_recipient
from sharekit.server.tables import stats
from sharekit.server.tables.snapshots import SnapshotCache
from sharekit.server.tables.stats import partition_string

# -- predicates: soundness against row-level evaluation -------------------------------------------------

OPS = ("equal", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual")


def leaf(op: str, value: int) -> dict[str, Any]:
    return {"op": op, "children": [{"op": "column", "name": "x", "valueType": "long"},
                                   {"op": "literal", "value": str(value), "valueType": "long"}]}


trees = st.recursive(
    st.one_of(st.builds(leaf, st.sampled_from(OPS), st.integers(-5, 5)),
              st.just({"op": "isNull", "children": [{"op": "column", "name": "x", "valueType": "long"}]})),
    lambda inner: st.one_of(
        st.builds(lambda c: {"op": "not", "children": [c]}, inner),
        st.builds(lambda cs: {"op": "and", "children": cs}, st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda cs: {"op": "or", "children": cs}, st.lists(inner, min_size=2, max_size=3))),
    max_leaves=6)


def row_truth(node: dict[str, Any], x: int | None) -> bool | None:
    op = node["op"]
    if op == "isNull":
        return x is None
    if op == "not":
        inner = row_truth(node["children"][0], x)
        return None if inner is None else not inner
    if op in ("and", "or"):
        results = [row_truth(c, x) for c in node["children"]]
        decisive = op == "or"
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if x is None:
        return None
    value = int(node["children"][1]["value"])
    return {"equal": x == value, "lessThan": x < value, "lessThanOrEqual": x <= value,
            "greaterThan": x > value, "greaterThanOrEqual": x >= value}[op]


def facts_of(rows: list[int | None]) -> stats.FileFacts:
    present = [r for r in rows if r is not None]
    low = {"x": min(present)} if present else {}
    high = {"x": max(present)} if present else {}
    return stats.file_facts({}, len(rows), low, high, {"x": len(rows) - len(present)})


@settings(max_examples=400, deadline=None)
@given(trees, st.lists(st.one_of(st.none(), st.integers(-6, 6)), min_size=1, max_size=6))
def test_stats_pruning_is_sound(tree: dict[str, Any], rows: list[int | None]) -> None:
    verdict = predicates.evaluate(tree, facts_of(rows))
    truths = [row_truth(tree, x) for x in rows]
    # False: no row is true (dropping the file loses nothing). True: no row is false; this weaker reading of
    # True is what keeps NOT sound under SQL's three-valued logic (a null row stays null under NOT).
    if verdict is False:
        assert True not in truths
    if verdict is True:
        assert False not in truths


@settings(max_examples=200, deadline=None)
@given(trees, st.one_of(st.none(), st.integers(-6, 6)))
def test_partition_pruning_is_sound(tree: dict[str, Any], value: int | None) -> None:
    facts = stats.file_facts({"X": None if value is None else str(value)}, 3, {}, {}, {})
    verdict = predicates.evaluate(tree, facts)
    truth = row_truth(tree, value)
    if verdict is False:
        assert truth is not True
    if verdict is True:
        assert truth is not False


def test_predicate_examples() -> None:
    facts = stats.file_facts({"region": "EU", "day": "2026-01-05"}, 10, {"amount": 5.0, "ts": dt.datetime(
        2026, 1, 1, tzinfo=dt.timezone.utc)}, {"amount": 50.0, "ts": dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)},
        {"amount": 0})

    def check(node: dict[str, Any]) -> bool | None:
        return predicates.evaluate(node, facts)

    def cmp(op: str, name: str, value: str, kind: str) -> dict[str, Any]:
        return {"op": op, "children": [{"op": "column", "name": name, "valueType": kind},
                                       {"op": "literal", "value": value, "valueType": kind}]}

    assert check(cmp("equal", "region", "EU", "string")) is True
    assert check(cmp("equal", "Region", "US", "string")) is False  # names are case-insensitive
    assert check(cmp("lessThan", "day", "2026-01-06", "date")) is True
    assert check(cmp("greaterThan", "amount", "50", "double")) is False
    assert check(cmp("greaterThan", "amount", "10", "double")) is None
    assert check(cmp("lessThan", "ts", "2025-12-31T00:00:00Z", "timestamp")) is False
    assert check(cmp("equal", "missing", "1", "int")) is None  # no stats: keep
    assert check(cmp("equal", "region", "1", "int")) is None  # type mismatch: evaluation error, keep
    assert check({"op": "and", "children": [cmp("equal", "region", "US", "string"),
                                            cmp("equal", "missing", "1", "int")]}) is False
    assert check({"op": "or", "children": [cmp("equal", "region", "EU", "string"),
                                           cmp("equal", "missing", "1", "int")]}) is True
    assert check({"op": "bogus"}) is None
    assert predicates.parse("not json") is None
    assert predicates.parse(json.dumps({"op": "and", "children": [{"no": "op"}]})) is None
    deep: dict[str, Any] = cmp("equal", "region", "EU", "string")
    for _ in range(100):
        deep = {"op": "not", "children": [deep]}
    assert predicates.parse(json.dumps(deep)) is None  # too deep: ignored, never a crash


# -- partition specs -----------------------------------------------------------------------------------

def recipient(**properties: str) -> Recipient:
    return Recipient("id", "r", None, "o", "TOKEN", properties=properties)


def test_partition_spec_by_property_and_static() -> None:
    shared = SharedObject("main.sales.orders", partitions=(
        Partition((PartitionValue("region", recipient_property_key="region"),)),
        Partition((PartitionValue("region", value="APAC"), PartitionValue("status", value="open"))),
    ))
    eu = for_recipient(shared, recipient(region="EU"))
    assert eu.allows({"region": "EU", "status": "x"})
    assert not eu.allows({"region": "US", "status": "x"})
    assert eu.allows({"region": "APAC", "status": "open"}) and not eu.allows({"region": "APAC", "status": "shut"})
    nobody = for_recipient(shared, recipient(tier="gold"))
    assert not nobody.allows({"region": "EU", "status": "x"})  # missing property: nothing, never everything
    assert not nobody.allows({"region": None, "status": "x"})
    assert for_recipient(SharedObject("t"), recipient()).allows({"region": "any"})
    like = for_recipient(SharedObject("t", partitions=(Partition((PartitionValue("d", op="LIKE", value="2026-01%"),)),)),
                         recipient())
    assert like.allows({"d": "2026-01-31"}) and not like.allows({"d": "2026-02-01"})


# -- capabilities --------------------------------------------------------------------------------------

def test_capabilities() -> None:
    simple = {"minReaderVersion": 1}
    featured = {"minReaderVersion": 3, "readerFeatures": ["deletionVectors"]}
    assert wire.Capabilities.parse(None).choose(simple) == "parquet"
    both = wire.Capabilities.parse("responseformat=delta,parquet;readerfeatures=deletionvectors,columnmapping")
    assert both.choose(simple) == "parquet" and both.choose(featured) == "delta"
    assert wire.Capabilities.parse("ResponseFormat=Delta").choose(simple) == "delta"
    with pytest.raises(BadRequest):
        wire.Capabilities.parse("responseformat=parquet").choose(featured)
    with pytest.raises(BadRequest):
        wire.Capabilities.parse("responseformat=csv")
    ends = wire.Capabilities.parse("responseformat=parquet;includeendstreamaction=true")
    assert ends.include_end_stream_action and ends.response_header("parquet").endswith("includeendstreamaction=true")


# -- snapshots -----------------------------------------------------------------------------------------

def test_snapshots_match_deltalake(home: Path, tmp_path: Path) -> None:
    from deltalake import DeltaTable

    cache = SnapshotCache(tmp_path / "cache")
    path = str(home / "tables" / "main" / "inventory" / "stock_levels")
    assert cache.latest_version(path) == 3
    for version in range(4):
        snapshot = cache.snapshot(path, version)
        expected = DeltaTable(path, version=version)
        uris = [u.split(path.rstrip("/") + "/", 1)[-1] for u in expected.file_uris()]
        assert sorted(f.path for f in snapshot.files) == sorted(uris)
        assert sum(f.num_records or 0 for f in snapshot.files) == expected.to_pyarrow_table().num_rows
    assert cache.snapshot(path, 3) is cache.snapshot(path)  # cached
    added, removed = cache.diff(path, 2)
    assert added and removed  # the delete rewrote a file
    changes = cache.changes(path, "k", cache.snapshot(path, 0).metadata["id"], 1)
    assert sum(c.num_records for c in changes) == 66  # 33 updated rows: pre- and post-images
    orders = cache.snapshot(str(home / "tables" / "main" / "sales" / "orders"))
    assert sorted(f.partition_values["region"] for f in orders.files) == ["APAC", "EU", "LATAM", "US"]
    stats = json.loads(orders.files[0].stats_json or "{}")
    assert stats["numRecords"] == 500 and set(stats["minValues"]) >= {"order_id", "order_date"}


def test_partition_strings() -> None:
    assert partition_string(dt.date(2026, 1, 2)) == "2026-01-02"
    assert partition_string(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"
    assert partition_string(True) == "true" and partition_string(None) is None and partition_string(7) == "7"
