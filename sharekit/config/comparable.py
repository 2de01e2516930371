"""Normalised, comparable forms of shared objects and recipients, built from the document or from the SDK.

Rules that make "apply twice = no change" hold: names compare lower-case, a ``shared_as`` equal to the automatic
``<schema>.<table>`` is the same as none, partitions compare as sets, and fields the document leaves out
(object/share/recipient ``comment``, ``start_version``, recipient ``expires``, ``ip_access_list``,
``properties``+``email``) are not managed: the live value stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit import names
from sharekit.config.expiry import format_expiry
from sharekit.config.model import EMAIL_PROPERTY, ObjectSpec, PartitionValueSpec, RecipientSpec

if TYPE_CHECKING:
    from databricks.sdk.service import sharing

PartitionKey = tuple[tuple[str, str, "str | None", "str | None"], ...]


def _default_alias(name: str) -> str:
    return ".".join(name.split(".")[-2:])


def _blank(text: str | None) -> str | None:
    return text if text else None


@dataclass(frozen=True)
class ObjectState:
    name: str
    type: str = "TABLE"
    comment: str | None = None
    shared_as: str | None = None  # None = automatic
    partitions: tuple[PartitionKey, ...] = ()
    history: bool = False
    cdf: bool = False
    start_version: int | None = None

    @classmethod
    def from_spec(cls, spec: ObjectSpec) -> ObjectState:
        partitions = tuple(sorted({tuple(sorted(v.canonical() for v in part)) for part in spec.partitions}, key=repr))
        alias = spec.shared_as if spec.shared_as and spec.shared_as != _default_alias(spec.name) else None
        return cls(spec.name, spec.type, spec.comment, alias, partitions, spec.history, spec.cdf,
                   spec.start_version if spec.history else None)

    @classmethod
    def from_sdk(cls, obj: sharing.SharedDataObject) -> ObjectState:
        name = (obj.name or "").lower()
        kind = obj.data_object_type.value if obj.data_object_type is not None else "TABLE"
        alias = (obj.shared_as or "").lower() or None
        if alias == _default_alias(name) or kind == "SCHEMA":
            alias = None
        parts = set()
        for part in obj.partitions or []:
            values = tuple(sorted(
                ((v.name or "").lower(), v.op.value if v.op is not None else "EQUAL",
                 None if v.recipient_property_key else v.value, v.recipient_property_key or None)
                for v in part.values or []))
            if values:
                parts.add(values)
        history = obj.history_data_sharing_status is not None and obj.history_data_sharing_status.value == "ENABLED"
        return cls(name, kind, _blank(obj.comment), alias, tuple(sorted(parts, key=repr)), history,
                   bool(obj.cdf_enabled) and history, obj.start_version if history else None)

    def to_sdk(self) -> sharing.SharedDataObject:
        from databricks.sdk.service import sharing

        partitions = [
            sharing.Partition(values=[
                sharing.PartitionValue(name=column, op=sharing.PartitionValueOp(op), value=value,
                                       recipient_property_key=key)
                for column, op, value, key in part])
            for part in self.partitions] or None
        return sharing.SharedDataObject(
            name=self.name,
            data_object_type=sharing.SharedDataObjectDataObjectType(self.type),
            comment=self.comment,
            shared_as=self.shared_as if self.type != "SCHEMA" else None,
            partitions=partitions,
            history_data_sharing_status=sharing.SharedDataObjectHistoryDataSharingStatus(
                "ENABLED" if self.history else "DISABLED"),
            cdf_enabled=self.cdf,
            start_version=self.start_version if self.history else None,
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
            out["history"] = {"cdf": True} if self.cdf else True
            if self.start_version is not None:
                out["start_version"] = self.start_version
        return self.name if len(out) == 1 else out


def object_changes(desired: ObjectState, live: ObjectState) -> list[str]:
    """The managed fields that differ (empty = in sync)."""
    changed = []
    if desired.type != live.type:
        changed.append("type")
    if desired.comment is not None and desired.comment != live.comment:
        changed.append("comment")
    if desired.shared_as != live.shared_as:
        changed.append("shared_as")
    if desired.partitions != live.partitions:
        changed.append("partitions")
    if desired.history != live.history:
        changed.append("history")
    if desired.cdf != live.cdf:
        changed.append("cdf")
    if desired.history and desired.start_version is not None and desired.start_version != live.start_version:
        changed.append("start_version")
    return changed


def needs_replace(changed: list[str], desired: ObjectState, live: ObjectState) -> bool:
    """Changes an UPDATE cannot express: the type or alias, or dropping every partition (an empty list is not
    sent by the SDK, so the update would be read as "unchanged")."""
    return bool({"type", "shared_as"} & set(changed)) or (bool(live.partitions) and not desired.partitions)


@dataclass(frozen=True)
class RecipientState:
    name: str
    comment: str | None = None
    authentication_type: str = "TOKEN"
    properties: dict[str, str] = field(default_factory=dict)
    ip_access_list: tuple[str, ...] = ()
    expires: int | None = None
    sharing_id: str | None = None
    activated: bool = False
    activation_url: str | None = None
    token_expires: int | None = None

    @classmethod
    def from_sdk(cls, info: sharing.RecipientInfo) -> RecipientState:
        properties = dict(info.properties_kvpairs.properties or {}) if info.properties_kvpairs else {}
        properties = {k: v for k, v in properties.items() if not names.is_reserved_property(k, strict=True)}
        ips = tuple(sorted(info.ip_access_list.allowed_ip_addresses or [])) if info.ip_access_list else ()
        tokens = sorted(info.tokens or [], key=lambda t: t.created_at or 0)
        token_expiry = tokens[-1].expiration_time if tokens else None
        return cls((info.name or "").lower(), _blank(info.comment),
                   info.authentication_type.value if info.authentication_type else "TOKEN",
                   properties, ips, info.expiration_time or None, info.data_recipient_global_metastore_id,
                   bool(info.activated), activation_url(info), token_expiry)

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.comment:
            out["comment"] = self.comment
        out["authentication_type"] = self.authentication_type
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
