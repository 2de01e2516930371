"""The statistics of a snapshot, kept as Arrow columns and encoded column by column, give each file the stats string
the protocol's rule gives when it is read file by file — for every kind of column deltalake writes statistics for,
nulls, NaN and infinities, nested structs and null rows — and the same values to predicates."""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import json
import math
import threading
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.server.tables import collector
from sharekit.server.tables.column_stats import ColumnStats, python_values, struct_rows
from sharekit.server.tables.stats import utc_millis_text

UTC = dt.timezone.utc
TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
# (Arrow type, values of it) for the types deltalake keeps min/max statistics of, and the counts of nullCount
COLUMN_KINDS = [
    (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    (pa.int8(), st.integers(-128, 127)),
    (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    (pa.float32(), st.floats(width=32, allow_nan=True, allow_infinity=True)),
    (pa.string(), TEXTS),
    (pa.bool_(), st.booleans()),
    (pa.date32(), st.dates()),
    (pa.timestamp("us", tz="UTC"), st.datetimes(timezones=st.just(UTC))),
    (pa.timestamp("us"), st.datetimes()),
    (pa.decimal128(10, 2), st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False)),
]


def expected_value(value: Any, nested: bool) -> tuple[bool, Any]:
    """The protocol's rule for one statistic, read as JSON: (kept, value). A null is left out; so is a NaN at the
    top level (it tells nothing about a range), while inside a struct it stays as null."""
    if value is None:
        return False, None
    if isinstance(value, float) and math.isnan(value):
        return nested, None
    if isinstance(value, dict):
        return True, {k: v for k, (kept, v) in ((k, expected_value(v, True)) for k, v in value.items()) if kept}
    if isinstance(value, dt.datetime):
        return True, utc_millis_text(value)
    if isinstance(value, dt.date):
        return True, value.isoformat()
    if isinstance(value, decimal.Decimal):
        return True, float(value)
    return True, value


def expected_text(records: int | None, rows: tuple[dict[str, Any], ...]) -> str | None:
    if records is None:
        return None
    kinds = [{k: v for k, (kept, v) in ((k, expected_value(v, False)) for k, v in row.items()) if kept}
             for row in rows]
    return json.dumps({"numRecords": records, "minValues": kinds[0], "maxValues": kinds[1], "nullCount": kinds[2]},
                      separators=(",", ":"))


@st.composite
def stats_tables(draw: Any) -> tuple[list[int | None], list[Any]]:
    """``num_records`` and a struct column per kind (or None), with random fields, values, nulls and null rows."""
    count = draw(st.integers(0, 12))
    records = draw(st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=count, max_size=count))
    columns: list[Any] = []
    for _ in range(3):
        if draw(st.integers(0, 5)) == 0:
            columns.append(None)
            continue
        children, fields = [], []
        for index in range(draw(st.integers(0, 3))):
            if draw(st.integers(0, 4)) == 0:  # a nested struct column
                kind, values = COLUMN_KINDS[draw(st.integers(0, len(COLUMN_KINDS) - 1))]
                inner = pa.array(draw(st.lists(st.one_of(st.none(), values), min_size=count, max_size=count)), kind)
                mask = pa.array(draw(st.lists(st.booleans(), min_size=count, max_size=count)), pa.bool_())
                child = pa.StructArray.from_arrays([inner], names=[draw(TEXTS)], mask=mask)
            else:
                kind, values = COLUMN_KINDS[draw(st.integers(0, len(COLUMN_KINDS) - 1))]
                child = pa.array(draw(st.lists(st.one_of(st.none(), values), min_size=count, max_size=count)), kind)
            children.append(child)
            fields.append(f"{draw(TEXTS)}{index}")  # names stay distinct
        mask = pa.array(draw(st.lists(st.booleans(), min_size=count, max_size=count)), pa.bool_())
        columns.append(pa.StructArray.from_arrays(children, names=fields, mask=mask) if children
                       else pa.array([{}] * count, pa.struct([])))
    return records, columns


@settings(max_examples=400, deadline=None)
@given(stats_tables())
def test_column_texts_are_the_per_file_rule(table: tuple[list[int | None], list[Any]]) -> None:
    records, columns = table
    stats = ColumnStats(records, columns)
    rows = [struct_rows(column, len(records)) for column in columns]
    expected = [expected_text(records[row], (rows[0][row], rows[1][row], rows[2][row])) for row in range(len(records))]
    for row in range(len(records)):  # one at a time: each from its own row (of more than a few files)
        per_file = (rows[0][row], rows[1][row], rows[2][row])
        assert stats.text(row) == expected[row]
        assert repr(stats.raw(row)) == repr(per_file)  # (NaN is not equal to itself)
    assert stats.texts(range(len(records))) == expected  # all at once, column by column
    assert [stats.text(row) for row in range(len(records))] == expected  # from the texts made


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([(pa.int64(), st.integers(-(2**63), 2**63 - 1)), (pa.int16(), st.integers(-(2**15), 2**15 - 1)),
                        (pa.uint32(), st.integers(0, 2**32 - 1)), (pa.float32(), st.floats(width=32)),
                        (pa.float64(), st.floats()), (pa.string(), TEXTS)]).flatmap(
    lambda kind: st.tuples(st.just(kind[0]), st.lists(st.one_of(st.none(), kind[1]), max_size=20),
                           st.integers(0, 20), st.integers(0, 20))))
def test_python_values_are_to_pylist(case: tuple[Any, list[Any], int, int]) -> None:
    """Numbers without a null are read from the data buffer: the same values, from any slice of an array."""
    kind, values, start, length = case
    column = pa.array(values, kind).slice(start, length)
    complete = pa.array([v for v in values if v is not None], kind).slice(start, length)
    for array in (column, complete):
        assert repr(python_values(array)) == repr(array.to_pylist())


def test_struct_rows_are_to_pylist() -> None:
    column = pa.StructArray.from_arrays([pa.array([1, None, 3]), pa.array(["a", "b", None])], names=["n", "s"],
                                        mask=pa.array([False, True, False]))
    assert struct_rows(column, 3) == [{"n": 1, "s": "a"}, {}, {"n": 3, "s": None}]
    assert struct_rows(None, 2) == [{}, {}]


def test_the_collector_runs_again_once_the_last_builder_is_done() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def other_builder() -> None:
        with collector.paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_builder)
    thread.start()
    assert inside.wait(10)
    try:
        with collector.paused():
            raise ValueError("a failed build")
    except ValueError:
        pass
    assert not gc.isenabled()  # the other builder is still at work
    release.set()
    thread.join(10)
    assert gc.isenabled()
