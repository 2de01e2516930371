"""Plain records the metastore returns. Times are epoch milliseconds (Databricks wire format).

These are the contract between the metastore (``metastore.store``) and the areas: the Unity Catalog routes turn
them into Databricks JSON, the protocol uses them to authorise and filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sharekit.names import TABLE_LIKE_TYPES


@dataclass(frozen=True)
class PartitionValue:
    """One ``name op value`` term; ``recipient_property_key`` makes the recipient's property the value."""

    name: str
    op: str = "EQUAL"  # EQUAL | LIKE
    value: str | None = None
    recipient_property_key: str | None = None


@dataclass(frozen=True)
class Partition:
    """Values inside one partition are AND-ed; the partitions of an object are OR-ed."""

    values: tuple[PartitionValue, ...]


@dataclass(frozen=True)
class SharedObject:
    name: str  # full name catalog.schema.object (catalog.schema for SCHEMA objects, the file name for notebooks)
    data_object_type: str = "TABLE"  # one of sharekit.names.OBJECT_TYPES
    comment: str | None = None
    shared_as: str | None = None  # "<schema>.<table>" alias seen by recipients; None = automatic
    string_shared_as: str | None = None  # the alias of a volume, function, model (2-part) or notebook (a file name)
    content_file: str | None = None  # a notebook file's content, relative to the server home
    partitions: tuple[Partition, ...] = ()
    history_data_sharing_status: str = "DISABLED"  # ENABLED | DISABLED
    cdf_enabled: bool = False
    start_version: int | None = None
    added_at: int = 0
    added_by: str = ""
    status: str = "ACTIVE"

    @property
    def history_shared(self) -> bool:
        return self.history_data_sharing_status == "ENABLED"

    @property
    def is_table_like(self) -> bool:
        return self.data_object_type in TABLE_LIKE_TYPES

    @property
    def recipient_name(self) -> str:
        """``schema.table`` as the recipient sees it (the alias, or the last two name parts)."""
        return self.shared_as or ".".join(self.name.split(".")[-2:])


@dataclass(frozen=True)
class Share:
    id: str
    name: str
    comment: str | None
    owner: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    objects: tuple[SharedObject, ...] = ()
    storage_root: str | None = None  # where the share's notebook files live (needed before adding one)


@dataclass(frozen=True)
class RecipientToken:
    id: str
    created_at: int
    created_by: str
    expiration_time: int | None  # None = never expires
    updated_at: int
    updated_by: str
    retrieved: bool  # the activation link has been used; the bearer token hash is set
    activation_token: str | None = None  # derived (HMAC of the id), only while not retrieved


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    comment: str | None
    owner: str
    authentication_type: str  # TOKEN | DATABRICKS | OIDC_FEDERATION
    properties: dict[str, str] = field(default_factory=dict)
    ip_access_list: tuple[str, ...] | None = None  # CIDRs; None = any address
    expiration_time: int | None = None
    created_at: int = 0
    created_by: str = ""
    updated_at: int = 0
    updated_by: str = ""
    activated: bool = False
    tokens: tuple[RecipientToken, ...] = ()  # TOKEN recipients only
    data_recipient_global_metastore_id: str | None = None  # DATABRICKS only: the sharing identifier


@dataclass(frozen=True)
class FederationPolicy:
    """An OIDC_FEDERATION recipient's rule for accepting a JWT: issuer, one of the audiences, and the subject claim
    holding the subject. Times are RFC 3339 strings, as the SDK's ``FederationPolicy`` carries them."""

    id: str
    recipient: str  # the recipient's name
    name: str
    issuer: str
    audiences: tuple[str, ...]
    subject_claim: str
    subject: str
    comment: str | None = None
    create_time: str = ""
    update_time: str = ""


@dataclass(frozen=True)
class Grant:
    share: str
    recipient: str
    privileges: tuple[str, ...] = ("SELECT",)


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``next_page_token`` is None on the last page."""

    items: list[Any]
    next_page_token: str | None = None
