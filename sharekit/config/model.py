"""The configuration document: pydantic models of ``shares``, ``recipients``, ``grants`` and ``views``.

The users' existing shape applies unchanged (tables as plain strings, ``permissions: [SELECT]``, a recipient
``email``); the richer forms extend it. A recipient's ``email`` is kept as the recipient property ``email``.
Names of shares, recipients and catalog objects are case-insensitive in Unity Catalog and are kept lower-case.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sharekit import names
from sharekit.config import object_types
from sharekit.config.expiry import parse_expiry
from sharekit.config.partition_spec import PartitionValueSpec, parse_partition, scalar_text
from sharekit.config.view_statement import check_view_query

EMAIL_PROPERTY = "email"
"""The recipient property that carries the config's ``email`` metadata."""

ObjectType = Literal["TABLE", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN_TABLE", "SCHEMA", "VOLUME",
                     "MODEL", "FUNCTION", "NOTEBOOK_FILE", "FEATURE_SPEC"]  # = object_types.OBJECT_TYPES
# Free text (comments, emails, property values) is bounded so that a document the workspace would refuse (the
# embedded server takes request bodies up to 1 MiB) fails validation before any write, never half-way through.
MAX_TEXT_LENGTH = 4096
MAX_NAME_TEXT = 255  # owners (users, groups, service principals) and policy names
RECIPIENT_TYPES = names.RECIPIENT_TYPES
SUBJECT_CLAIMS = names.SUBJECT_CLAIMS  # OidcFederationPolicy.subject_claim docstring


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


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


class ObjectSpec(_Strict):
    """One shared object. A plain string in YAML is ``{name: <string>}``.

    ``shared_as`` is the alias of every aliasable type (sent as ``shared_as`` for table-like objects and as
    ``string_shared_as`` for volumes, functions, models and notebooks); ``string_shared_as`` may be spelled out for
    the latter. ``content_file``: a NOTEBOOK_FILE's content, a path relative to the document."""

    name: str
    type: ObjectType = "TABLE"
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    shared_as: str | None = None
    partitions: list[list[PartitionValueSpec]] = Field(default_factory=list)
    history: bool = False
    cdf: bool = False  # with history the workspace shares the change data feed too; kept for older documents
    start_version: int | None = Field(default=None, ge=0)
    content_file: str | None = None

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
        kind = data.get("type", "TABLE")
        if "string_shared_as" in data:
            if "shared_as" in data:
                raise ValueError("give the alias as shared_as or string_shared_as, not both")
            if kind in object_types.TABLE_LIKE:
                raise ValueError(f"a {kind} object is aliased with shared_as, not string_shared_as")
            data["shared_as"] = data.pop("string_shared_as")
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
        return [parse_partition(entry) for entry in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> ObjectSpec:
        kind = self.type
        object.__setattr__(self, "name", _object_name(self.name, kind))
        problems = object_types.field_problems(
            kind, alias=self.shared_as is not None, string_alias=False, partitions=bool(self.partitions),
            history=self.history, start_version=self.start_version is not None,
            content=self.content_file is not None)
        if problems:
            raise ValueError("; ".join(problems))
        if self.shared_as is not None:
            object.__setattr__(self, "shared_as", object_types.check_alias(self.shared_as, kind))
        if self.cdf and not self.history:
            raise ValueError("cdf needs history: use history: {cdf: true}")
        if self.start_version is not None and not self.history:
            raise ValueError("start_version needs history: true")
        return self

    @property
    def alias(self) -> str:
        """The name recipients see: ``shared_as`` or ``<schema>.<table>``."""
        return self.shared_as or object_types.default_alias(self.name, self.type) or self.name


def _object_name(value: str, kind: str) -> str:
    if kind == "NOTEBOOK_FILE":  # a notebook file's name may carry dots of its own (analysis.py)
        name = value.strip()
        if not name or len(name) > names.MAX_NAME_LENGTH or names.FORBIDDEN_IN_NAME.search(name.replace(".", "")):
            raise ValueError(f"notebook name {value!r} must not contain spaces, '/' or control characters")
        return name  # kept as given: the workspace keeps a notebook's name as given
    return check_full_name(value, object_types.NAME_PARTS[kind], f"{kind.lower()} name")


OBJECTS_MODES = ("authoritative", "merge")


class ShareSpec(_Strict):
    """A share. ``objects_mode: merge`` makes the document additive for this share: it adds and updates the
    objects it lists and never removes one it does not list (several documents or teams can manage one share).
    The default, ``authoritative``, removes every object the document omits, as Terraform does."""

    name: str
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    owner: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_TEXT)
    storage_root: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_LENGTH)
    objects_mode: Literal["authoritative", "merge"] = "authoritative"
    tables: list[ObjectSpec] = Field(default_factory=list)

    @field_validator("objects_mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def merge(self) -> bool:
        return self.objects_mode == "merge"

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


class FederationPolicySpec(_Strict):
    """A federation policy of an OIDC_FEDERATION recipient (``sharing.FederationPolicy`` + ``OidcFederationPolicy``):
    the recipient's tokens must come from ``issuer``, for one of ``audiences``, with ``subject_claim`` =
    ``subject``."""

    name: str
    issuer: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    # a token's aud must match one (OidcFederationPolicy docstring)
    audiences: list[str] = Field(min_length=1, max_length=names.MAX_AUDIENCES)
    subject_claim: str
    subject: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)

    @field_validator("name", "issuer")
    @classmethod
    def _name_and_issuer(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "name" and not names.FEDERATION_POLICY_NAME.match(value):
            raise ValueError(f"policy name {value!r}: use only lowercase letters, digits and hyphens")
        if info.field_name == "issuer" and not names.is_issuer_url(value):
            raise ValueError(f"issuer {value!r}: expected the identity provider's issuer URL (https://...)")
        return value

    @field_validator("audiences", mode="before")
    @classmethod
    def _audiences(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if isinstance(value, list) and any(not isinstance(v, str) or not v.strip() for v in value):
            raise ValueError("each audience is a non-empty string")
        return value

    @field_validator("subject_claim")
    @classmethod
    def _claim(cls, value: str) -> str:
        if value not in SUBJECT_CLAIMS:
            raise ValueError(f"subject claim {value!r} is not supported; use one of {', '.join(SUBJECT_CLAIMS)}")
        return value


class RecipientSpec(_Strict):
    """A recipient. ``federation_policies`` (OIDC_FEDERATION only), when given, is the whole set of the recipient's
    policies; left out, the live policies are not managed."""

    name: str
    comment: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    authentication_type: Literal["TOKEN", "DATABRICKS", "OIDC_FEDERATION"] = "TOKEN"  # = names.RECIPIENT_TYPES
    owner: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_TEXT)
    federation_policies: list[FederationPolicySpec] = Field(default_factory=list)
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
            out[key] = scalar_text(item, f"property {key!r}")
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
        if self.authentication_type != "DATABRICKS" and self.sharing_id:
            raise ValueError("sharing_id (a sharing identifier) applies only to DATABRICKS recipients")
        if self.authentication_type not in names.OPEN_RECIPIENT_TYPES and self.ip_access_list:
            # resource_recipient.go: data_recipient_global_metastore_id ConflictsWith ip_access_list
            raise ValueError("an IP access list is only for open-sharing recipients, not DATABRICKS ones")
        if self.sharing_id and not names.SHARING_IDENTIFIER.match(self.sharing_id):
            raise ValueError(f"sharing_id {self.sharing_id!r}: expected <cloud>:<region>:<metastore-uuid>")
        if self.authentication_type != "OIDC_FEDERATION" and "federation_policies" in self.model_fields_set:
            raise ValueError("federation_policies apply only to OIDC_FEDERATION recipients")
        seen = [p.name for p in self.federation_policies]
        if len(seen) != len(set(seen)):
            raise ValueError("federation policy names must be unique within the recipient")
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

    @property
    def manages_policies(self) -> bool:
        return "federation_policies" in self.model_fields_set


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
        aliases: dict[str, int] = {}  # keyed by alias group and alias
        for o_index, obj in enumerate(share.tables):
            path = ("shares", s_index, "tables", o_index)
            if obj.name in names:
                issues.append((path, f"{obj.name!r} is listed twice in share {share.name!r}"))
            names.setdefault(obj.name, o_index)
            if object_types.aliasable(obj.type):
                # shared_as is unique among table-like objects, string_shared_as among objects of one type (SDK)
                group = "table" if obj.type in object_types.TABLE_LIKE else obj.type
                alias_key = f"{group}:{obj.alias}"
                if alias_key in aliases:
                    what = "tables" if obj.type in object_types.TABLE_LIKE else "objects"
                    issues.append((path, f"recipients would see two {what} named {obj.alias!r}; set shared_as"))
                aliases.setdefault(alias_key, o_index)
    pairs: dict[tuple[str, str], int] = {}
    for index, grant in enumerate(config.grants):
        key = (grant.share, grant.recipient)
        if key in pairs:
            issues.append((("grants", index), f"grant of {grant.share!r} to {grant.recipient!r} is listed twice"))
        pairs.setdefault(key, index)
    return issues
