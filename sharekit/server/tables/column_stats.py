"""The statistics of a snapshot's files kept as deltalake gives them (Arrow struct columns ``min``, ``max``,
``null_count``), and turned into the wire's ``stats`` strings or into per-file values for predicates column by
column, once, on first use.

Built per file, the stats strings were most of a cold 100,000-file query (a dict per file and per kind, then a
recursive encoder); per column, the common types (integers, strings, floats, booleans) are encoded with a call per
column instead of per value. Every other type takes the per-value rule of ``stats`` (``_stat_value`` and
``compact_json``), so the text is the very text ``stats.stats_json`` gives (``tests/server/test_column_stats.py``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from sharekit.server.tables import collector
from sharekit.server.tables.stats import compact_json, stat_value

KINDS = ("min", "max", "null_count")  # deltalake's names, in the order of the wire's minValues, maxValues, nullCount
RawStats = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]
BULK_SHARE = 8  # files asked for at once, times this, from the snapshot's count up: all files' texts are made


class ColumnStats:
    """The statistics of all files of one snapshot; ``row`` is a file's position in the snapshot. Thread-safe."""

    def __init__(self, num_records: Sequence[int | None], columns: Sequence[Any]) -> None:
        self._num_records = num_records
        self._columns = tuple(columns)  # an Arrow struct array per kind (None: the log has none of that kind)
        self._lock = threading.Lock()
        self._texts: list[str | None] | None = None
        self._raw: list[RawStats] | None = None

    @classmethod
    def of_adds(cls, adds: Any, num_records: Sequence[int | None]) -> ColumnStats:
        """From deltalake's add actions (a pyarrow table)."""
        return cls(num_records, [adds.column(kind).combine_chunks() if kind in adds.column_names else None
                                 for kind in KINDS])

    @classmethod
    def of_rows(cls, num_records: Sequence[int | None], rows: Sequence[RawStats]) -> ColumnStats:
        """From ``(min, max, null_count)`` dicts per file, as ``to_pylist`` would give them (tests build tables so)."""
        import pyarrow as pa

        return cls(num_records, [pa.array([row[k] for row in rows]) if any(row[k] for row in rows) else None
                                 for k in range(len(KINDS))])

    def text(self, row: int) -> str | None:
        """The file's ``stats`` string (``numRecords``, ``minValues``, ``maxValues``, ``nullCount``); None when the
        log has no statistics for it."""
        return self.texts([row])[0]

    def texts(self, rows: Sequence[int]) -> list[str | None]:
        """The stats strings of those files: of all files at once (and kept) when they are a good part of the
        snapshot — a query's first lines — else each from its own row (the few files a commit added)."""
        texts = self._texts
        if texts is None and len(rows) * BULK_SHARE < len(self._num_records):
            return [stats_texts([self._num_records[row]], [None if column is None else column.slice(row, 1)
                                                           for column in self._columns])[0] for row in rows]
        if texts is None:
            with self._lock:
                if self._texts is None:
                    with collector.paused():
                        self._texts = stats_texts(self._num_records, self._columns)
                texts = self._texts
        return [texts[row] for row in rows]

    def raw(self, row: int) -> RawStats:
        """The file's ``(min, max, null_count)`` as dicts (``{}`` where it has none), for predicate evaluation."""
        raw = self._raw
        if raw is None:
            with self._lock:
                if self._raw is None:
                    count = len(self._num_records)
                    with collector.paused():
                        low, high, nulls = (struct_rows(column, count) for column in self._columns)
                        self._raw = list(zip(low, high, nulls))
                raw = self._raw
        return raw[row]


def struct_rows(column: Any, count: int) -> list[dict[str, Any]]:
    """An Arrow struct column as one dict per row, as ``to_pylist`` gives them ({} where the column or the row is
    null), from the columns of its fields."""
    if column is None or count == 0:
        return [{} for _ in range(count)]
    names = [f.name for f in column.type]
    rows = [dict(zip(names, row)) for row in zip(*(child.to_pylist() for child in column.flatten()))] \
        if names else [{} for _ in range(count)]
    if column.null_count:
        for position, valid in enumerate(column.is_valid().to_pylist()):
            if not valid:
                rows[position] = {}
    return rows


_NUMPY_NAMES = {"float": "float32", "double": "float64"}  # Arrow's names where NumPy's differ


def python_values(column: Any) -> list[Any]:
    """``to_pylist()`` of an Arrow array; for numbers without a null, from a NumPy view of the data buffer (many
    times as fast; ``to_numpy`` would import pandas, a fifth of a second)."""
    import pyarrow as pa

    kind = column.type
    if column.null_count == 0 and (pa.types.is_integer(kind) or pa.types.is_float32(kind)
                                   or pa.types.is_float64(kind)):
        import numpy as np

        dtype = np.dtype(_NUMPY_NAMES.get(str(kind), str(kind)))
        data = np.frombuffer(column.buffers()[1], dtype=dtype, count=len(column),
                             offset=column.offset * dtype.itemsize)
        return data.tolist()  # type: ignore[no-any-return]
    return column.to_pylist()  # type: ignore[no-any-return]


def stats_texts(num_records: Sequence[int | None], columns: Sequence[Any]) -> list[str | None]:
    """``stats.stats_json`` of every file, column by column."""
    count = len(num_records)
    low, high, nulls = (_object_texts(column, count) for column in columns)
    return [None if records is None else
            f'{{"numRecords":{records},"minValues":{a},"maxValues":{b},"nullCount":{c}}}'
            for records, a, b, c in zip(num_records, low, high, nulls)]


def _object_texts(column: Any, count: int, *, nested: bool = False) -> list[str]:
    """The JSON object of each row of a struct column (``{}`` for a null row): its fields' non-null values."""
    if column is None or column.type.num_fields == 0:
        return ["{}"] * count
    fields = [_member_texts(encode_basestring_ascii(field.name) + ":", child, nested)
              for field, child in zip(column.type, column.flatten())]
    if any(None in members for members in fields):
        return ["{" + ",".join(filter(None, members)) + "}" for members in zip(*fields)]
    return ["{" + text + "}" for text in map(",".join, zip(*fields))]  # every file has every value: the usual


def _member_texts(key: str, column: Any, nested: bool) -> list[str | None]:
    """``"name":value`` per row, or None where the value is left out: null, and at the top level NaN (it tells
    nothing about a range). Inside a struct a NaN is kept as ``null``, as ``stat_value`` leaves it."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_struct(kind):
        valid = column.is_valid().to_pylist()
        return [key + text if ok else None
                for text, ok in zip(_object_texts(column, len(column), nested=True), valid)]
    values = python_values(column)
    complete = column.null_count == 0
    if pa.types.is_integer(kind):
        return list(map(key.__add__, map(str, values))) if complete else \
            [None if v is None else key + str(v) for v in values]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return list(map(key.__add__, map(encode_basestring_ascii, values))) if complete else \
            [None if v is None else key + encode_basestring_ascii(v) for v in values]
    if pa.types.is_boolean(kind):
        return [None if v is None else key + ("true" if v else "false") for v in values]
    if pa.types.is_floating(kind):
        if complete and all(map(math.isfinite, values)):
            return list(map(key.__add__, map(float.__repr__, values)))
        nan = key + "null" if nested else None
        return [None if v is None else key + float.__repr__(v) if math.isfinite(v) else nan if math.isnan(v)
                else key + compact_json(v) for v in values]
    return [None if v is None else _any_text(key, v, nested) for v in values]


def _any_text(key: str, value: Any, nested: bool) -> str | None:
    converted = stat_value(value)
    if converted is None:
        return key + "null" if nested else None
    return key + compact_json(converted)
