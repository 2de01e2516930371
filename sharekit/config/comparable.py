"""Normalised, comparable forms of shared objects and recipients, built from the document or from the SDK.

Rules that make "apply twice = no change" hold: names compare lower-case, a ``shared_as`` equal to the automatic
``<schema>.<table>`` is the same as none, partitions compare as sets, and fields the document leaves out
(object/share/recipient ``comment``, ``start_version``, recipient ``expires``, ``ip_access_list``,
``properties``+``email``) are not managed: the live value stays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit import names
from sharekit.config import object_types
from sharekit.config.expiry import format_expiry
from sharekit.config.federation import PolicyState
from sharekit.config.model import (
    EMAIL_PROPERTY,
    RECIPIENT_TYPES,
    ObjectSpec,
    RecipientSpec,
)
from sharekit.config.partition_spec import PartitionValueSpec

if TYPE_CHECKING:
    from databricks.sdk.service import sharing

PartitionKey = tuple[tuple[str, str, "str | None", "str | None"], ...]


def _blank(text: str | None) -> str | None:
    return text if text else None


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _live_content_hash(obj: sharing.SharedDataObject) -> str | None:
    if not obj.content:
        return None  # a workspace that does not return the content: not compared
    try:
        return content_hash(base64.b64decode(obj.content, validate=False))
    except (ValueError, binascii.Error):
        return None


@dataclass(frozen=True)
class ObjectState:
    """A shared object as compared. ``shared_as`` None = the automatic alias (or, for volumes, functions, models
    and notebooks, an alias the document leaves unmanaged); ``content_hash`` None = content not compared."""

    name: str
    type: str = "TABLE"
    comment: str | None = None
    shared_as: str | None = None
    partitions: tuple[PartitionKey, ...] = ()
    history: bool = False
    start_version: int | None = None
    content_hash: str | None = None
    status: str | None = field(default=None, compare=False)  # ACTIVE | PERMISSION_DENIED (output only)

    @property
    def nameable(self) -> bool:
        return self.type in object_types.NAMEABLE

    @classmethod
    def from_spec(cls, spec: ObjectSpec, content: bytes | None = None) -> ObjectState:
        partitions = tuple(sorted({tuple(sorted(v.canonical() for v in part)) for part in spec.partitions}, key=repr))
        alias = spec.shared_as if spec.shared_as != object_types.default_alias(spec.name, spec.type) else None
        return cls(spec.name, spec.type, spec.comment, alias, partitions, spec.history,
                   spec.start_version if spec.history else None,
                   content_hash(content) if content is not None else None)

    @classmethod
    def from_sdk(cls, obj: sharing.SharedDataObject) -> ObjectState:
        # An enum value this SDK does not know arrives as None: never guess TABLE for it (it could be removed).
        kind = obj.data_object_type.value if obj.data_object_type is not None else object_types.UNKNOWN
        name = (obj.name or "").lower() if kind != "NOTEBOOK_FILE" else (obj.name or "").strip()  # kept as given
        alias = _live_alias(obj, kind, name)
        parts = set()
        for part in (obj.partitions or []) if kind in object_types.PARTITION_TYPES else []:
            values = tuple(sorted(
                ((v.name or "").lower(), v.op.value if v.op is not None else "EQUAL",
                 None if v.recipient_property_key else v.value, v.recipient_property_key or None)
                for v in part.values or []))
            if values:
                parts.add(values)
        # With history ENABLED the workspace also answers cdf_enabled: true; CDF is part of history sharing, so it
        # is not compared (terraform-provider-databricks resource_share.go suppressCDFEnabledDiff).
        history = obj.history_data_sharing_status is not None and obj.history_data_sharing_status.value == "ENABLED"
        status = obj.status.value if obj.status is not None else None
        return cls(name, kind, _blank(obj.comment), alias, tuple(sorted(parts, key=repr)), history,
                   obj.start_version if history else None, _live_content_hash(obj) if kind == "NOTEBOOK_FILE" else None,
                   status)

    def to_sdk(self, content: bytes | None = None, *, update: bool = False) -> sharing.SharedDataObject:
        """The object as sent: only the fields its type takes, history without cdf_enabled (the API refuses both),
        the alias in ``shared_as`` or ``string_shared_as`` by type, a notebook's content base64-encoded. An ADD
        names history only when enabled (DISABLED is the default; the provider's recorded ADD bodies carry just
        name, type and comment); an UPDATE always says it, and never carries the alias (the provider's
        pluginfw ``resource_share.go`` diff(): "do not send SharedAs" on UPDATE; an alias changes by REMOVE + ADD)."""
        from databricks.sdk.service import sharing

        kind = self.type
        partitions = [
            sharing.Partition(values=[
                sharing.PartitionValue(name=column, op=sharing.PartitionValueOp(op), value=value,
                                       recipient_property_key=key)
                for column, op, value, key in part])
            for part in self.partitions] or None
        history = None
        if kind in object_types.HISTORY_TYPES and (self.history or update):
            history = sharing.SharedDataObjectHistoryDataSharingStatus("ENABLED" if self.history else "DISABLED")
        field_name = object_types.wire_alias_field(kind) if self.shared_as and not update else None
        return sharing.SharedDataObject(
            name=self.name,
            data_object_type=sharing.SharedDataObjectDataObjectType(kind),
            comment=self.comment,
            shared_as=self.shared_as if field_name == "shared_as" else None,
            string_shared_as=self.shared_as if field_name == "string_shared_as" else None,
            partitions=partitions if kind in object_types.PARTITION_TYPES else None,
            history_data_sharing_status=history,
            start_version=self.start_version if self.history else None,
            content=base64.b64encode(content).decode("ascii") if content is not None and kind == "NOTEBOOK_FILE"
            else None,
        )

    def to_yaml(self) -> str | dict[str, Any]:
        """The shortest YAML form: a plain string when nothing but the name is set."""
        out: dict[str, Any] = {"name": self.name}
        if self.type != "TABLE":
            out["type"] = self.type
        if self.comment:
            out["comment"] = self.comment
        if self.shared_as:
            out["shared_as"] = self.shared_as
        if self.partitions:
            out["partitions"] = [
                {column: ({"recipient_property": key} if key else ({"like": value} if op == "LIKE" else value))
                 for column, op, value, key in part}
                for part in self.partitions]
        if self.history:
            out["history"] = True
            if self.start_version is not None:
                out["start_version"] = self.start_version
        return self.name if len(out) == 1 else out


def _live_alias(obj: sharing.SharedDataObject, kind: str, name: str) -> str | None:
    alias = obj.shared_as if kind in object_types.TABLE_LIKE else obj.string_shared_as
    alias = (alias or obj.shared_as or obj.string_shared_as or "").strip() or None
    if alias is None or not object_types.aliasable(kind):
        return None
    alias = alias if kind == "NOTEBOOK_FILE" else alias.lower()
    return None if alias == object_types.default_alias(name, kind) else alias


def object_changes(desired: ObjectState, live: ObjectState) -> list[str]:
    """The managed fields that differ (empty = in sync). For volumes, functions, models and notebooks an alias the
    document leaves out is not managed (the workspace's generated form is not documented for every type)."""
    changed = []
    if desired.type != live.type:
        changed.append("type")
    if desired.comment is not None and desired.comment != live.comment:
        changed.append("comment")
    alias_managed = desired.type in object_types.TABLE_LIKE or desired.shared_as is not None
    if alias_managed and desired.shared_as != live.shared_as:
        changed.append("shared_as")
    if desired.partitions != live.partitions:
        changed.append("partitions")
    if desired.history != live.history:
        changed.append("history")
    if desired.history and desired.start_version is not None and desired.start_version != live.start_version:
        changed.append("start_version")
    if desired.content_hash is not None and live.content_hash is not None and desired.content_hash != live.content_hash:
        changed.append("content")
    return changed


def needs_replace(changed: list[str], desired: ObjectState, live: ObjectState) -> bool:
    """Changes an UPDATE cannot express: the type or alias (object_types.REPLACED_FIELDS), or dropping every
    partition (an empty list is not sent by the SDK, so the update would be read as "unchanged")."""
    return bool(object_types.REPLACED_FIELDS & set(changed)) or (bool(live.partitions) and not desired.partitions)


@dataclass(frozen=True)
class RecipientState:
    name: str
    comment: str | None = None
    authentication_type: str = "TOKEN"  # UNKNOWN: a type this SDK does not know (it arrives as None)
    properties: dict[str, str] = field(default_factory=dict)
    ip_access_list: tuple[str, ...] = ()
    expires: int | None = None
    sharing_id: str | None = None
    activated: bool = False
    activation_url: str | None = None
    token_expires: int | None = None
    owner: str | None = None
    # The workspace's own databricks.* properties: never compared, exported or sent. The client "can't set them"
    # and the workspace keeps them when an update leaves them out (terraform-provider-databricks
    # sharing/resource_recipient.go: Read drops them, recepientPropertiesSuppressDiff hides the "1 → 0" they
    # cause); the embedded server refuses a request that sets one.
    reserved: dict[str, str] = field(default_factory=dict, compare=False)
    policies: tuple[PolicyState, ...] | None = None  # OIDC_FEDERATION: its federation policies (None = not read)

    @property
    def nameable(self) -> bool:
        return self.authentication_type in RECIPIENT_TYPES

    @classmethod
    def from_sdk(cls, info: sharing.RecipientInfo) -> RecipientState:
        every = dict(info.properties_kvpairs.properties or {}) if info.properties_kvpairs else {}
        properties = {k: v for k, v in every.items() if not names.is_reserved_property(k, strict=True)}
        reserved = {k: v for k, v in every.items() if k not in properties}
        ips = tuple(sorted(info.ip_access_list.allowed_ip_addresses or [])) if info.ip_access_list else ()
        tokens = sorted(info.tokens or [], key=lambda t: t.created_at or 0)
        token_expiry = tokens[-1].expiration_time if tokens else None
        return cls((info.name or "").lower(), _blank(info.comment),
                   info.authentication_type.value if info.authentication_type else object_types.UNKNOWN,
                   properties, ips, info.expiration_time or None, info.data_recipient_global_metastore_id,
                   bool(info.activated), activation_url(info), token_expiry, _blank(info.owner), reserved)

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.comment:
            out["comment"] = self.comment
        out["authentication_type"] = self.authentication_type
        if self.owner:
            out["owner"] = self.owner
        if self.sharing_id:
            out["sharing_id"] = self.sharing_id
        properties = dict(self.properties)
        if EMAIL_PROPERTY in properties:
            out["email"] = properties.pop(EMAIL_PROPERTY)
        if properties:
            out["properties"] = dict(sorted(properties.items()))
        if self.ip_access_list:
            out["ip_access_list"] = list(self.ip_access_list)
        if self.expires:
            out["expires"] = format_expiry(self.expires)
        if self.policies is not None and self.authentication_type == "OIDC_FEDERATION":
            out["federation_policies"] = [p.to_yaml() for p in sorted(self.policies, key=lambda p: p.name)]
        return out


def activation_url(info: Any) -> str | None:
    """The activation link of the newest token (after a rotation the old, unused link may still be listed), else
    the recipient's own; None once it has been used."""
    tokens = list(enumerate(getattr(info, "tokens", None) or []))
    for _, token in sorted(tokens, key=lambda pair: (pair[1].created_at or 0, pair[0]), reverse=True):
        if getattr(token, "activation_url", None):
            return str(token.activation_url)
    url = getattr(info, "activation_url", None)
    return str(url) if url else None


def recipient_changes(spec: RecipientSpec, live: RecipientState) -> dict[str, Any]:
    """Keyword arguments for ``recipients.update`` that bring ``live`` to ``spec`` (empty = in sync)."""
    from databricks.sdk.service import sharing

    changes: dict[str, Any] = {}
    if spec.comment is not None and spec.comment != live.comment:
        changes["comment"] = spec.comment
    if spec.manages_properties and spec.all_properties() != live.properties:
        # the whole map of the properties the document manages; the workspace keeps its own databricks.* keys
        changes["properties_kvpairs"] = sharing.SecurablePropertiesKvPairs(properties=spec.all_properties())
    if "ip_access_list" in spec.model_fields_set and tuple(sorted(spec.ip_access_list)) != live.ip_access_list:
        changes["ip_access_list"] = sharing.IpAccessList(allowed_ip_addresses=list(spec.ip_access_list))
    if spec.expires is not None and spec.expires != live.expires:
        changes["expiration_time"] = spec.expires
    return changes


def partition_spec_text(part: PartitionKey) -> str:
    """``region = CURRENT_RECIPIENT('region') AND year = '2024'`` for plan tables."""
    terms = []
    for column, op, value, key in part:
        right = f"CURRENT_RECIPIENT('{key}')" if key else repr(value)
        terms.append(f"{column} {'LIKE' if op == 'LIKE' else '='} {right}")
    return " AND ".join(terms)


__all__ = ["ObjectState", "PartitionValueSpec", "RecipientState", "activation_url", "needs_replace",
           "object_changes", "partition_spec_text", "recipient_changes"]
