"""Partition filters of a shared table in the document: ``{region: EU}``, ``{year: {like: "20%"}}``,
``{tenant: {recipient_property: tenant}}``; several entries are OR-ed, the columns inside one AND-ed."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, model_validator

from sharekit.dbsql import value_text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def scalar_text(value: Any, what: str) -> str:
    """YAML scalars as the strings the workspace stores (``2024`` → "2024", ``true`` → "true")."""
    if not isinstance(value, (bool, int, float, str, dt.date)):  # a datetime is a date
        raise ValueError(f"{what} must be a string or a number, not {type(value).__name__}")  # noqa: TRY004
    return cast(str, value_text(value))


class PartitionValueSpec(_Strict):
    """``column = value``, ``column LIKE pattern`` or ``column = <recipient property>``."""

    column: str
    op: Literal["EQUAL", "LIKE"] = "EQUAL"
    value: str | None = None
    recipient_property: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PartitionValueSpec:
        if (self.value is None) == (self.recipient_property is None):
            raise ValueError(f"partition column {self.column!r} needs either a value or a recipient_property")
        if self.recipient_property is not None and self.op != "EQUAL":
            raise ValueError("a recipient_property partition can only use EQUAL")
        return self

    def canonical(self) -> tuple[str, str, str | None, str | None]:
        return (self.column.lower(), self.op, self.value, self.recipient_property)


def parse_partition(entry: Any) -> list[dict[str, Any]]:
    """``{region: EU, year: {like: "20%"}, tenant: {recipient_property: tenant}}`` → value specs (AND-ed)."""
    if isinstance(entry, dict) and set(entry) == {"values"} and isinstance(entry["values"], list):
        return list(entry["values"])  # already in the explicit form
    if not isinstance(entry, dict) or not entry:
        raise ValueError("each partition is a mapping of column to value, e.g. {region: EU}")
    values: list[dict[str, Any]] = []
    for column, spec in entry.items():
        if not isinstance(column, str) or not column.strip():
            raise ValueError(f"partition column {column!r} must be a non-empty string")
        if isinstance(spec, dict):
            unknown = set(spec) - {"recipient_property", "like", "value", "op"}
            if unknown:
                raise ValueError(f"partition column {column!r}: unknown key(s) {sorted(unknown)}; "
                                 "use a value, {like: pattern} or {recipient_property: key}")
            if len(set(spec) & {"recipient_property", "like", "value"}) != 1:
                raise ValueError(f"partition column {column!r} needs either a value or a recipient_property "
                                 "(give exactly one of value, like, recipient_property)")
            if "like" in spec:
                values.append({"column": column, "op": "LIKE", "value": scalar_text(spec["like"], column)})
            elif "recipient_property" in spec:
                values.append({"column": column, "recipient_property": spec["recipient_property"]})
            else:
                value = spec.get("value")
                values.append({"column": column, "op": spec.get("op", "EQUAL"),
                               "value": None if value is None else scalar_text(value, column)})
        else:
            values.append({"column": column, "value": scalar_text(spec, f"partition column {column!r}")})
    return values
