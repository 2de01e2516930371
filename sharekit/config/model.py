"""The configuration document: pydantic models of ``shares``, ``recipients``, ``grants`` and ``views``.

The users' existing shape applies unchanged (tables as plain strings, ``permissions: [SELECT]``, a recipient
``email``); the richer forms extend it. A recipient's ``email`` is kept as the recipient property ``email``.
Names of shares, recipients and catalog objects are case-insensitive in Unity Catalog and are kept lower-case.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sharekit import names
from sharekit.config.expiry import parse_expiry
from sharekit.config.view_statement import check_view_query
from sharekit.dbsql import value_text

EMAIL_PROPERTY = "email"
"""The recipient property that carries the config's ``email`` metadata."""

ObjectType = Literal["TABLE", "VIEW", "SCHEMA"]
# Free text (comments, emails, property values) is bounded so that a document the workspace would refuse (the
# embedded server takes request bodies up to 1 MiB) fails validation before any write, never half-way through.
MAX_TEXT_LENGTH = 4096


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _scalar_text(value: Any, what: str) -> str:
    """YAML scalars as the strings the workspace stores (``2024`` → "2024", ``true`` → "true")."""
    if not isinstance(value, (bool, int, float, str, dt.date)):  # a datetime is a date
        raise ValueError(f"{what} must be a string or a number, not {type(value).__name__}")  # noqa: TRY004
    return cast(str, value_text(value))


def check_name(value: str, what: str = "name") -> str:
    name = value.strip().lower()
    if not names.DOCUMENT_NAME.match(name):
        raise ValueError(f"{what} {value!r} is not a valid name (letters, digits, '_' and '-'; at most 255)")
    return name


def check_full_name(value: str, parts: int, what: str) -> str:
    pieces = value.strip().lower().split(".")
    if len(pieces) != parts:
        shape = "catalog.schema.table" if parts == 3 else "catalog.schema"
        raise ValueError(f"{what} {value!r} must have {parts} parts ({shape})")
    for piece in pieces:
        check_name(piece, f"part {piece!r} of")
    return ".".join(pieces)


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


def _parse_partition(entry: Any) -> list[dict[str, Any]]:
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
                values.append({"column": column, "op": "LIKE", "value": _scalar_text(spec["like"], column)})
            elif "recipient_property" in spec:
                values.append({"column": column, "recipient_property": spec["recipient_property"]})
            else:
                value = spec.get("value")
                values.append({"column": column, "op": spec.get("op", "EQUAL"),
                               "value": None if value is None else _scalar_text(value, column)})
        else:
            values.append({"column": column, "value": _scalar_text(spec, f"partition column {column!r}")})
    return values


class ObjectSpec(_Strict):
    """One shared object. A plain string in YAML is ``{name: <string>}``."""

    name: str
    type: ObjectType = "TABLE"
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    shared_as: str | None = None
    partitions: list[list[PartitionValueSpec]] = Field(default_factory=list)
    history: bool = False
    cdf: bool = False
    start_version: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("type"), str):
            data["type"] = data["type"].strip().upper()
        history = data.get("history")
        if isinstance(history, dict):
            unknown = set(history) - {"cdf", "enabled"}
            if unknown:
                raise ValueError(f"history: unknown key(s) {sorted(unknown)}; use history: true or history: {{cdf: true}}")
            data["history"] = history.get("enabled", True)
            if "cdf" in history:
                if "cdf" in data:
                    raise ValueError("give cdf either under history or beside it, not both")
                data["cdf"] = history["cdf"]
        return data

    @field_validator("partitions", mode="before")
    @classmethod
    def _partitions(cls, value: Any) -> Any:
        return [_parse_partition(entry) for entry in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> ObjectSpec:
        parts = 2 if self.type == "SCHEMA" else 3
        object.__setattr__(self, "name", check_full_name(self.name, parts, f"{self.type.lower()} name"))
        if self.type == "SCHEMA" and (self.shared_as or self.partitions):
            raise ValueError("a SCHEMA object takes no shared_as or partitions")
        if self.shared_as is not None:
            alias = self.shared_as.strip().lower()
            pieces = alias.split(".")
            if len(pieces) != 2 or not all(names.ALIAS_PART.match(p) for p in pieces):
                raise ValueError(f"shared_as {self.shared_as!r} must be <schema>.<table> (letters, digits, '_')")
            object.__setattr__(self, "shared_as", alias)
        if self.cdf and not self.history:
            raise ValueError("cdf needs history: use history: {cdf: true}")
        if self.start_version is not None and not self.history:
            raise ValueError("start_version needs history: true")
        return self

    @property
    def alias(self) -> str:
        """The name recipients see: ``shared_as`` or ``<schema>.<table>``."""
        return self.shared_as or ".".join(self.name.split(".")[-2:])


class ShareSpec(_Strict):
    name: str
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    tables: list[ObjectSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _objects_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "objects" in data:
            if "tables" in data:
                raise ValueError("give the shared objects under 'tables' or 'objects', not both")
            data = dict(data)
            data["tables"] = data.pop("objects")
        return data

    _name = field_validator("name")(lambda v: check_name(v, "share name"))


class RecipientSpec(_Strict):
    name: str
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    authentication_type: Literal["TOKEN", "DATABRICKS"] = "TOKEN"
    email: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    properties: dict[str, str] = Field(default_factory=dict)
    ip_access_list: list[str] = Field(default_factory=list)
    expires: int | None = None  # epoch milliseconds; YAML dates, datetimes and ISO strings are converted
    sharing_id: str | None = None  # data_recipient_global_metastore_id, for DATABRICKS recipients

    _name = field_validator("name")(lambda v: check_name(v, "recipient name"))

    @field_validator("authentication_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[^@\s]+@[^@\s]+$", value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("properties", mode="before")
    @classmethod
    def _properties(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not names.DOCUMENT_PROPERTY_KEY.match(key):
                raise ValueError(f"property name {key!r} is not valid (letters, digits, '_', '.', '-')")
            if names.is_reserved_property(key, strict=True):
                raise ValueError(f"property {key!r}: names starting with 'databricks' are reserved")
            out[key] = _scalar_text(item, f"property {key!r}")
            if len(out[key]) > MAX_TEXT_LENGTH:
                raise ValueError(f"property {key!r}: the value is longer than {MAX_TEXT_LENGTH} characters")
        return out

    @field_validator("ip_access_list", mode="before")
    @classmethod
    def _cidrs(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        if len(value) > names.MAX_IP_ADDRESSES:
            raise ValueError(f"at most {names.MAX_IP_ADDRESSES} addresses")
        for item in value:
            if not names.is_ip_entry(str(item)):
                raise ValueError(f"{item!r} is not an IP address or CIDR block")
        return [str(item) for item in value]

    @field_validator("expires", mode="before")
    @classmethod
    def _expires(cls, value: Any) -> Any:
        return parse_expiry(value)

    @model_validator(mode="after")
    def _consistent(self) -> RecipientSpec:
        if self.email is not None and EMAIL_PROPERTY in self.properties:
            raise ValueError(f"give the email either as 'email' or as property {EMAIL_PROPERTY!r}, not both")
        if self.authentication_type == "DATABRICKS" and not self.sharing_id:
            raise ValueError("a DATABRICKS recipient needs sharing_id (the recipient's metastore sharing identifier)")
        if self.authentication_type == "TOKEN" and self.sharing_id:
            raise ValueError("sharing_id is only for DATABRICKS recipients")
        return self

    def all_properties(self) -> dict[str, str]:
        """The properties the workspace should hold: ``properties`` plus the ``email`` metadata."""
        merged = dict(self.properties)
        if self.email is not None:
            merged[EMAIL_PROPERTY] = self.email
        return merged

    @property
    def manages_properties(self) -> bool:
        return bool({"properties", "email"} & self.model_fields_set)


class GrantSpec(_Strict):
    share: str
    recipient: str
    permissions: list[Literal["SELECT"]] = Field(default=["SELECT"], min_length=1)

    _share = field_validator("share")(lambda v: check_name(v, "share name"))
    _recipient = field_validator("recipient")(lambda v: check_name(v, "recipient name"))

    @field_validator("permissions", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return [v.strip().upper() if isinstance(v, str) else v for v in value] if isinstance(value, list) else value


class ViewSpec(_Strict):
    """A view created through the workspace's SQL endpoint before the shares that use it."""

    name: str
    sql: str

    @field_validator("name")
    @classmethod
    def _full(cls, value: str) -> str:
        return check_full_name(value, 3, "view name")

    @field_validator("sql")
    @classmethod
    def _query(cls, value: str) -> str:
        return check_view_query(value)


class ShareConfig(_Strict):
    shares: list[ShareSpec] = Field(default_factory=list)
    recipients: list[RecipientSpec] = Field(default_factory=list)
    grants: list[GrantSpec] = Field(default_factory=list)
    views: list[ViewSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):  # "grants:" with nothing under it is an empty list, not an error
            return {key: ([] if value is None and key in cls.model_fields else value) for key, value in data.items()}
        return data


def semantic_issues(config: ShareConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-reference checks the field validators cannot do: duplicates and dangling grants."""
    issues: list[tuple[tuple[str | int, ...], str]] = []

    def first_seen(items: list[str], path: str) -> None:
        seen: dict[str, int] = {}
        for index, name in enumerate(items):
            if name in seen:
                issues.append(((path, index, "name"), f"duplicate name {name!r} (first at {path}[{seen[name]}])"))
            seen.setdefault(name, index)

    first_seen([s.name for s in config.shares], "shares")
    first_seen([r.name for r in config.recipients], "recipients")
    first_seen([v.name for v in config.views], "views")
    for s_index, share in enumerate(config.shares):
        names: dict[str, int] = {}
        aliases: dict[str, int] = {}
        for o_index, obj in enumerate(share.tables):
            path = ("shares", s_index, "tables", o_index)
            if obj.name in names:
                issues.append((path, f"{obj.name!r} is listed twice in share {share.name!r}"))
            names.setdefault(obj.name, o_index)
            if obj.type != "SCHEMA":
                if obj.alias in aliases:
                    issues.append((path, f"recipients would see two tables named {obj.alias!r}; set shared_as"))
                aliases.setdefault(obj.alias, o_index)
    pairs: dict[tuple[str, str], int] = {}
    for index, grant in enumerate(config.grants):
        key = (grant.share, grant.recipient)
        if key in pairs:
            issues.append((("grants", index), f"grant of {grant.share!r} to {grant.recipient!r} is listed twice"))
        pairs.setdefault(key, index)
    return issues
