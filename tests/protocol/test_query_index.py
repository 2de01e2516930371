"""The file selection of a snapshot query through the partition-value index equals the file-by-file reading of the
same rules: the share's partition filter (access control: exact), predicate hints (a file is dropped only when
its facts rule it out) and the limit hint — for random files, filters, trees and pages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.server.metastore.records import Partition, PartitionValue, Recipient, SharedObject
from sharekit.server.security.signing import quote_path
from sharekit.server.sharing import predicates
from sharekit.server.sharing.partitions import PartitionFilter, for_recipient
from sharekit.server.sharing.query import Page, Signer, query_snapshot
from sharekit.server.tables.column_stats import ColumnStats
from sharekit.server.tables.snapshots import FileEntry, Snapshot

TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
TEXT_PATHS = st.lists(TEXTS, max_size=4).map("/".join)  # any characters, "/" between them
VALUES = st.sampled_from(["a", "b", "c", "1", "10", None])
METADATA = {"id": "t", "name": "t", "description": None, "schemaString": "{}", "configuration": {},
            "partitionColumns": ["Region", "n"], "format": {"provider": "parquet"}}


@st.composite
def files(draw: Any) -> tuple[FileEntry, ...]:
    described = []
    for _ in range(draw(st.integers(0, 30))):
        values = {"Region": draw(VALUES), "n": draw(VALUES)}
        if draw(st.integers(0, 9)) == 0:
            del values[draw(st.sampled_from(["Region", "n"]))]  # a file without a value: decided per file
        low = draw(st.integers(0, 9))
        raw = None if draw(st.integers(0, 9)) == 0 else ({"x": low}, {"x": low + draw(st.integers(0, 3))}, {"x": 0})
        described.append((values, draw(st.sampled_from([None, 1, 5])), raw))
    records = [n for _, n, _ in described]
    stats = ColumnStats.of_rows(records, [raw or ({}, {}, {}) for _, _, raw in described])
    return tuple(FileEntry(f"f{i}.parquet", f"f{i}.parquet", 10 + i, 0, values, values, n, None,
                           None if raw is None else stats, i) for i, (values, n, raw) in enumerate(described))


def column(name: str, value_type: str) -> dict[str, Any]:
    return {"op": "column", "name": name, "valueType": value_type}


LEAVES = st.one_of(
    st.builds(lambda op, name, v: {"op": op, "children": [column(name, "string"),
                                                         {"op": "literal", "value": v, "valueType": "string"}]},
              st.sampled_from(["equal", "lessThan", "greaterThanOrEqual"]), st.sampled_from(["region", "REGION", "n"]),
              st.sampled_from(["a", "b", "1"])),
    st.builds(lambda op, v: {"op": op, "children": [column("n", "int"),
                                                   {"op": "literal", "value": v, "valueType": "int"}]},
              st.sampled_from(["equal", "lessThan"]), st.sampled_from(["1", "10"])),  # "a" as an int: unknown
    st.builds(lambda v: {"op": "lessThan", "children": [column("x", "long"),
                                                       {"op": "literal", "value": v, "valueType": "long"}]},
              st.sampled_from(["2", "5"])),  # a data column: per file, on stats
    st.builds(lambda name: {"op": "isNull", "children": [column(name, "string")]}, st.sampled_from(["region", "n"])))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(lambda c: {"op": "not", "children": [c]}, inner),
    st.builds(lambda op, cs: {"op": op, "children": cs}, st.sampled_from(["and", "or"]),
              st.lists(inner, min_size=2, max_size=3))), max_leaves=4)
TERMS = st.one_of(
    st.builds(lambda name, v: PartitionValue(name, value=v), st.sampled_from(["region", "N", "other"]), VALUES),
    st.builds(lambda v: PartitionValue("region", op="LIKE", value=v), st.sampled_from(["a%", "%", "1_"])),
    st.builds(lambda key: PartitionValue("n", recipient_property_key=key), st.sampled_from(["tier", "absent"])))
FILTERS = st.one_of(st.just(()), st.lists(st.builds(lambda vs: Partition(tuple(vs)), st.lists(TERMS, min_size=1,
                                                                                            max_size=2)),
                                          min_size=1, max_size=2).map(tuple))


def reference(snapshot: Snapshot, partitions: PartitionFilter, tree: dict[str, Any] | None,
              limit: int | None) -> tuple[list[str], int, bool]:
    """The rules read file by file: the files sent, the files the filter allows, and whether the limit cut."""
    selected, active, records, early = [], 0, 0, False
    for entry in snapshot.files:
        if not partitions.allows(entry.partition_values):
            continue
        active += 1
        if early or (tree is not None and entry.facts is not None
                     and predicates.evaluate(tree, entry.facts) is False):
            continue
        if limit is not None and records >= limit:
            early = True
            continue
        selected.append(entry.path)
        records += entry.num_records or 0
    return selected, active, early


@settings(max_examples=300, deadline=None)
@given(files(), FILTERS, st.one_of(st.none(), TREES), st.one_of(st.none(), st.integers(0, 12)),
       st.integers(1, 7))
def test_indexed_selection_is_the_file_by_file_one(entries: tuple[FileEntry, ...], spec: tuple[Partition, ...],
                                                  tree: dict[str, Any] | None, limit: int | None,
                                                  page_size: int) -> None:
    import json

    snapshot = Snapshot("/t", 3, 0, {"minReaderVersion": 1}, METADATA, entries)
    partitions = for_recipient(SharedObject("c.s.t", partitions=spec),
                               Recipient("id", "r", None, "o", "TOKEN", properties={"Tier": "1"}))
    signer = Signer(b"k" * 32, "http://127.0.0.1:1/delta-sharing/", "key", 0)
    hints = json.dumps(tree) if tree is not None else None
    expected, active, early = reference(snapshot, partitions, tree, limit)
    for _ in range(2):  # the second time from the indexes the first one built
        sent: list[str] = []
        start = 0
        while True:  # page by page: together the pages are the selection, in order, without overlap
            answer = query_snapshot(snapshot, "parquet", signer, partitions, json_hints=hints, limit_hint=limit,
                                    time_travel=False, cdf_shared=False, page=Page(start, page_size))
            lines = [json.loads(text) for text in answer.file_lines]
            paths = [line["file"]["url"].split("/key/")[1].split("?")[0] for line in lines]
            assert [line["file"]["url"] for line in lines] == [signer.table_files().url(p) for p in paths]
            assert [e.path for e in answer.sent] == paths
            sent += paths
            assert answer.metrics["activeAddFiles"] == active and answer.metrics["earlyTermination"] == early
            if answer.next_position is None:
                break
            start = answer.next_position
        assert sent == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet="abcXYZ019_.~/=-", max_size=40), TEXT_PATHS))
def test_quote_path_is_quote(generated: str) -> None:
    from urllib.parse import quote

    for path in ("/files/t/k/region=EU/part-0.parquet", "a b/ü/%/=?#&+é€😀~-_.", "", "/", "x%2Fy", "\x00\n\"",
                 generated):
        assert quote_path(path) == quote(path, safe="/")




@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["parquet", "delta"]), st.sampled_from(["file", "add", "remove", "cdf"]), TEXTS,
       st.dictionaries(TEXTS, st.one_of(st.none(), TEXTS), max_size=3), st.integers(0, 2**40),
       st.integers(0, 2**45), st.one_of(st.none(), TEXTS), st.one_of(st.none(), st.integers(0, 99)),
       st.one_of(st.none(), st.integers(0, 2**45)), st.integers(0, 2**45))
def test_filled_template_is_the_encoded_line(fmt: str, kind: str, url: str, values: dict[str, str | None], size: int,
                                             expires: int, stats: str | None, version: int | None,
                                             timestamp: int | None, modified: int) -> None:
    """Whatever a file carries (markers' text included), its template filled in is ``line_text(file_line(...))``."""
    from sharekit.server.sharing import wire

    line = wire.FileLine(kind, url, "0123abcd", values, size, expires, stats, version, timestamp, modified)
    template = wire.LineTemplate.of(fmt, wire.FileLine(kind, "", "0123abcd", values, size, 0, stats, version,
                                                       timestamp, modified))
    assert template.fill(url, expires) == wire.line_text(wire.file_line(fmt, line))
    assert wire.LineTemplate.of(fmt, line).fill("\x00url", -(2**62) - 2) == wire.line_text(wire.file_line(
        fmt, wire.FileLine(kind, "\x00url", "0123abcd", values, size, -(2**62) - 2, stats, version, timestamp,
                           modified)))


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXTS,
              st.dates(), st.builds(lambda: {1: 2})),
    lambda inner: st.dictionaries(TEXTS, inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_compact_json_is_json_dumps(value: Any) -> None:
    import json

    from sharekit.server.tables.stats import compact_json

    try:
        expected = json.dumps(value, separators=(",", ":"))
    except TypeError:  # what json cannot encode, neither does compact_json
        with pytest.raises(TypeError):
            compact_json(value)
        return
    assert compact_json(value) == expected
