"""What is known about one data file without reading it: partition values in the protocol's string form, and the
per-column statistics of the Delta log (for the wire, and as ``FileFacts`` for predicate hints)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any


@dataclass(frozen=True)
class FileFacts:
    """What is known about one file: exact partition values and per-column stats (lower-case names)."""

    partition_values: Mapping[str, Any]  # lower-case column -> typed value or protocol string (None = null)
    num_records: int | None
    min_values: Mapping[str, Any]
    max_values: Mapping[str, Any]
    null_count: Mapping[str, Any]


def file_facts(partition_values: Mapping[str, Any], num_records: int | None, min_values: Mapping[str, Any],
               max_values: Mapping[str, Any], null_count: Mapping[str, Any]) -> FileFacts:
    lower = {k.lower(): v for k, v in partition_values.items()}
    return FileFacts(lower, num_records, {k.lower(): v for k, v in min_values.items()},
                     {k.lower(): v for k, v in max_values.items()}, {k.lower(): v for k, v in null_count.items()})


def partition_string(value: Any) -> str | None:
    """Partition values in the protocol's string form: dates ``yyyy-mm-dd``, timestamps ``yyyy-mm-dd hh:mm:ss``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value.microsecond else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def utc_millis_text(moment: dt.datetime) -> str:
    """``yyyy-mm-ddThh:mm:ss.mmmZ`` (a naive moment is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder: ``json.dumps`` with options builds one per call


def compact_json(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``, the same text; strings, ints, finite floats, booleans, None
    and dicts of them without the encoder's set-up per call (a stats string is built for every file)."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is int or kind is bool or value is None:
        return "true" if value is True else "false" if value is False else "null" if value is None else str(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is dict and all(type(k) is str for k in value):
        return "{" + ",".join([f"{encode_basestring_ascii(k)}:"
                               f"{encode_basestring_ascii(v) if type(v) is str else compact_json(v)}"
                               for k, v in value.items()]) + "}"  # strings (partition values) without a call
    return _COMPACT.encode(value)


def flatten(values: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested statistics (struct columns) as ``a.b`` names."""
    flat: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif value is not None:
            flat[f"{prefix}{key}"] = value
    return flat


def stat_value(value: Any) -> Any:
    """A statistic as a JSON value (None: nothing to tell); a struct's fields keep their nulls."""
    if isinstance(value, dict):
        return {k: stat_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, dt.datetime):
        return utc_millis_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):  # NaN tells nothing about a range
        return None
    return value
