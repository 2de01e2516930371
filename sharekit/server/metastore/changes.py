"""The metastore's plain logic, kept apart from its SQL: change records, token liveness, and how a list of shared
objects changes under ADD / REMOVE / UPDATE (names and aliases unique)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.metastore.records import SharedObject


@dataclass(frozen=True)
class ObjectChange:
    """One entry of a share update: ``fields`` names the keys the request set (UPDATE keeps the others)."""

    action: str  # ADD | REMOVE | UPDATE
    obj: SharedObject
    fields: frozenset[str] = frozenset()
    declared_type: str | None = None  # the data_object_type the request named (None: inferred)


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
    table_type: str  # EXTERNAL | MATERIALIZED_VIEW | STREAMING_TABLE | FOREIGN | VIEW
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
            kind = obj.data_object_type.replace("_", " ").title()
            raise Conflict(f"Shared {kind} '{obj.name}' already exists", "RESOURCE_ALREADY_EXISTS")
        _check_alias_free(objects, obj, skip=None)
        return [*objects, replace(obj, added_at=now, added_by=user, status="ACTIVE")]
    if index is None:
        raise NotFound(f"Data object '{obj.name}' is not in the share", "RESOURCE_DOES_NOT_EXIST")
    if change.action == "REMOVE":
        return objects[:index] + objects[index + 1:]
    current = objects[index]
    _check_in_place(current, change)
    kept = {key: getattr(obj, key) for key in change.fields if key in _UPDATABLE}
    updated = replace(current, **kept)
    _check_alias_free(objects, updated, skip=index)
    return objects[:index] + [updated] + objects[index + 1:]


_UPDATABLE = {"comment", "shared_as", "string_shared_as", "partitions", "history_data_sharing_status", "cdf_enabled",
              "start_version", "content_file"}


def _check_in_place(current: SharedObject, change: ObjectChange) -> None:
    """What an UPDATE cannot change: the type, and the alias recipients know the object by (REMOVE, then ADD)."""
    obj = change.obj
    if change.declared_type is not None and change.declared_type != current.data_object_type:
        raise BadRequest(f"'{current.name}' is shared as a {current.data_object_type}: its data_object_type cannot "
                         "change (REMOVE it, then ADD it again)")
    if "shared_as" in change.fields and obj.shared_as != current.recipient_name:
        raise BadRequest(f"The shared_as of '{current.name}' cannot change in place (it is "
                         f"'{current.recipient_name}'): REMOVE the object, then ADD it with the new alias")
    if "string_shared_as" in change.fields and obj.string_shared_as != current.string_shared_as:
        raise BadRequest(f"The string_shared_as of '{current.name}' cannot change in place (it is "
                         f"'{current.string_shared_as}'): REMOVE the object, then ADD it with the new alias")


def _alias_key(obj: SharedObject) -> tuple[str, str] | None:
    """``shared_as`` is unique among a share's table-like objects; ``string_shared_as`` among its objects of the
    same type (SDK ``SharedDataObject`` docstrings)."""
    if obj.is_table_like:
        return "TABLE_LIKE", obj.recipient_name.lower()
    if obj.string_shared_as is not None:
        return obj.data_object_type, obj.string_shared_as.lower()
    return None


def _check_alias_free(objects: list[SharedObject], obj: SharedObject, skip: int | None) -> None:
    key = _alias_key(obj)
    if key is None:
        return
    for i, other in enumerate(objects):
        if i != skip and _alias_key(other) == key:
            raise Conflict(f"Shared name '{key[1]}' is already used by '{other.name}' in this share",
                           "RESOURCE_ALREADY_EXISTS")
