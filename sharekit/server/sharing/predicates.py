"""JSON predicate hints (``jsonPredicateHints``, V1 and V2) evaluated against one file, three-valued.

``evaluate`` answers ``False`` (no row of the file satisfies the predicate), ``True`` (no row contradicts it:
each row is true or, with nulls, unknown — the reading that keeps ``not`` sound under SQL's three-valued
logic) or ``None`` (unknown). Only ``False`` drops a file. Partition columns are exact; data columns use the file's
min/max/null-count stats. Any evaluation error answers ``None`` for that file, and a hint that cannot be
parsed is ignored as a whole (hints are best effort: never fail a query because of one).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sharekit.server.tables.stats import FileFacts

Truth = bool | None

COMPARISONS = ("equal", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual")
MAX_DEPTH = 64
MAX_NODES = 2000


class PredicateError(ValueError):
    """The hint is not a well-formed predicate tree."""


def parse(hint: str) -> dict[str, Any] | None:
    """The predicate tree, or ``None`` if the hint is unusable (then no file is filtered)."""
    try:
        tree = json.loads(hint)
        _validate(tree, 0, [0])
    except (ValueError, TypeError, RecursionError):
        return None
    return tree if isinstance(tree, dict) else None


def _validate(node: Any, depth: int, count: list[int]) -> None:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise PredicateError("predicate too large")
    if not isinstance(node, dict) or not isinstance(node.get("op"), str):
        raise PredicateError("every node needs an 'op'")
    for child in node.get("children") or []:
        _validate(child, depth + 1, count)


def evaluate(tree: dict[str, Any], facts: FileFacts) -> Truth:
    try:
        return _eval(tree, facts)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
        return None


def _eval(node: dict[str, Any], facts: FileFacts) -> Truth:
    op = node["op"]
    children = node.get("children") or []
    if op in ("and", "or"):
        if len(children) < 2:
            raise PredicateError(f"'{op}' needs at least two children")
        results = [_eval(c, facts) for c in children]
        decides: bool = op == "or"  # one False decides an 'and', one True an 'or'; otherwise all must agree
        if any(r is decides for r in results):
            return decides
        return (not decides) if all(r is (not decides) for r in results) else None
    if op == "not":
        (child,) = children
        inner = _eval(child, facts)
        return None if inner is None else not inner
    if op == "isNull":
        (child,) = children
        return _is_null(child, facts)
    if op in COMPARISONS:
        left, right = children
        if left.get("op") == "literal" and right.get("op") == "column":
            left, right, op = right, left, _FLIPPED[op]
        if left.get("op") != "column" or right.get("op") != "literal":
            return None
        return _compare(op, left, right, facts)
    raise PredicateError(f"unsupported op {op!r}")


_FLIPPED = {"equal": "equal", "lessThan": "greaterThan", "lessThanOrEqual": "greaterThanOrEqual",
            "greaterThan": "lessThan", "greaterThanOrEqual": "lessThanOrEqual"}


def _is_null(column: dict[str, Any], facts: FileFacts) -> Truth:
    if column.get("op") != "column":
        return None
    name = str(column["name"]).lower()
    if name in facts.partition_values:
        return facts.partition_values[name] is None
    nulls = facts.null_count.get(name)
    if nulls is None or facts.num_records is None:
        return None
    if nulls == 0:
        return False
    return True if nulls == facts.num_records else None


def _compare(op: str, column: dict[str, Any], literal: dict[str, Any], facts: FileFacts) -> Truth:
    value_type = literal.get("valueType") or column.get("valueType")
    if not isinstance(value_type, str):
        return None
    target = coerce(literal["value"], value_type)
    name = str(column["name"]).lower()
    if name in facts.partition_values:
        raw = facts.partition_values[name]
        if raw is None:
            return None
        value = coerce(raw, value_type)
        return _OPS[op](value, target)
    low, high = facts.min_values.get(name), facts.max_values.get(name)
    if low is None or high is None:
        return None
    low, high = coerce(low, value_type), coerce(high, value_type)
    no_nulls = facts.null_count.get(name) == 0
    if op == "equal":
        if target < low or target > high:
            return False
        return True if (low == high == target and no_nulls) else None
    if op == "lessThan":
        return False if low >= target else (True if high < target and no_nulls else None)
    if op == "lessThanOrEqual":
        return False if low > target else (True if high <= target and no_nulls else None)
    if op == "greaterThan":
        return False if high <= target else (True if low > target and no_nulls else None)
    if op == "greaterThanOrEqual":
        return False if high < target else (True if low >= target and no_nulls else None)
    return None


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "equal": lambda a, b: bool(a == b),
    "lessThan": lambda a, b: bool(a < b),
    "lessThanOrEqual": lambda a, b: bool(a <= b),
    "greaterThan": lambda a, b: bool(a > b),
    "greaterThanOrEqual": lambda a, b: bool(a >= b),
}


def coerce(value: Any, value_type: str) -> Any:
    """``value`` (a typed value or its string form) as a comparable Python value of ``value_type``."""
    if value_type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("true", "false"):
            raise ValueError(f"not a boolean: {value!r}")
        return text == "true"
    if value_type in ("int", "long"):
        if isinstance(value, (bool, float)):
            raise TypeError("not an integer")
        return int(value)
    if value_type in ("float", "double"):
        if isinstance(value, bool):
            raise TypeError("not a number")
        return float(value)
    if value_type == "string":
        if not isinstance(value, str):
            raise TypeError("not a string")
        return value
    if value_type == "date":
        if isinstance(value, dt.datetime):
            raise TypeError("not a date")
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if value_type == "timestamp":
        if not isinstance(value, dt.datetime):
            value = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    raise ValueError(f"unsupported valueType {value_type!r}")
