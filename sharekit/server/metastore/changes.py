"""The metastore's plain logic, kept apart from its SQL: change records, token liveness, and how a list of shared
objects changes under ADD / REMOVE / UPDATE (names and aliases unique)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sharekit.server.errors import Conflict, NotFound
from sharekit.server.metastore.records import SharedObject


@dataclass(frozen=True)
class ObjectChange:
    """One entry of a share update: ``fields`` names the keys the request set (UPDATE keeps the others)."""

    action: str  # ADD | REMOVE | UPDATE
    obj: SharedObject
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GrantChange:
    principal: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableRegistration:
    """A table (a Delta folder outside ``home/tables``) or a view (``path`` None) registered under a UC name."""

    full_name: str
    path: str | None
    table_type: str  # EXTERNAL | VIEW
    comment: str | None = None
    view_definition: str | None = None
    created_at: int = 0


def effective_expiry(token_expiry: int | None, recipient_expiry: int | None) -> int | None:
    """A token expires with its own expiry or its recipient's, whichever comes first (None = never)."""
    known = [value for value in (token_expiry, recipient_expiry) if value is not None]
    return min(known) if known else None


def is_live(expiry: int | None, now_ms: int) -> bool:
    """The one liveness rule of recipient tokens: a token whose effective expiry is ``expiry`` works at ``now_ms``."""
    return expiry is None or expiry > now_ms


def apply_object_change(objects: list[SharedObject], change: ObjectChange, user: str, now: int) -> list[SharedObject]:
    obj = change.obj
    index = next((i for i, existing in enumerate(objects) if existing.name == obj.name), None)
    if change.action == "ADD":
        if index is not None:
            kind = {"SCHEMA": "Schema", "TABLE": "Table"}.get(obj.data_object_type, "View")
            raise Conflict(f"Shared {kind} '{obj.name}' already exists", "RESOURCE_ALREADY_EXISTS")
        _check_alias_free(objects, obj, skip=None)
        return [*objects, replace(obj, added_at=now, added_by=user, status="ACTIVE")]
    if index is None:
        raise NotFound(f"Data object '{obj.name}' is not in the share", "RESOURCE_DOES_NOT_EXIST")
    if change.action == "REMOVE":
        return objects[:index] + objects[index + 1:]
    current = objects[index]
    kept = {key: getattr(obj, key) for key in change.fields if key in _UPDATABLE}
    updated = replace(current, **kept)
    _check_alias_free(objects, updated, skip=index)
    return objects[:index] + [updated] + objects[index + 1:]


_UPDATABLE = {"comment", "shared_as", "partitions", "history_data_sharing_status", "cdf_enabled", "start_version"}


def _check_alias_free(objects: list[SharedObject], obj: SharedObject, skip: int | None) -> None:
    if obj.data_object_type == "SCHEMA":
        return
    alias = obj.recipient_name.lower()
    for i, other in enumerate(objects):
        if i != skip and other.data_object_type != "SCHEMA" and other.recipient_name.lower() == alias:
            raise Conflict(f"Shared name '{alias}' is already used by '{other.name}' in this share",
                           "RESOURCE_ALREADY_EXISTS")
