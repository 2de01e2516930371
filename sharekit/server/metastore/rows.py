"""How the metastore's records are written to and read from their SQLite rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sharekit.names import is_reserved_property
from sharekit.server.metastore.records import (
    Grant,
    Partition,
    PartitionValue,
    Recipient,
    RecipientToken,
    Share,
    SharedObject,
)
from sharekit.server.security.tokens import activation_token

_UPDATABLE_COLUMNS = frozenset({"comment", "owner", "storage_root", "expiration_time", "properties", "ip_access_list"})


def column(name: str) -> str:
    """The one place a column name is interpolated: only from this fixed set, quoted."""
    if name not in _UPDATABLE_COLUMNS:
        raise ValueError(f"not an updatable column: {name}")
    return '"' + name + '"'


def properties_json(properties: Any) -> str:
    return json.dumps(dict(properties or {}), sort_keys=True)


def keep_reserved(stored: str, new: Any) -> dict[str, str]:
    """``new`` plus the reserved ``databricks.*`` keys of the ``stored`` map (only the server sets those)."""
    reserved = {k: v for k, v in json.loads(stored).items() if is_reserved_property(k)}
    return {**dict(new or {}), **reserved}


def ip_json(values: Sequence[str] | None) -> str | None:
    return json.dumps(list(values)) if values else None


def group_grants(rows: Sequence[sqlite3.Row], key: Callable[[sqlite3.Row], tuple[str, str]]) -> list[Grant]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row[1])
    return [Grant(share, recipient, tuple(privs)) for (share, recipient), privs in grouped.items()]


def object_row(share_id: str, position: int, obj: SharedObject) -> tuple[Any, ...]:
    partitions = [[{"name": v.name, "op": v.op, "value": v.value, "recipient_property_key": v.recipient_property_key}
                   for v in part.values] for part in obj.partitions]
    return (share_id, position, obj.name, obj.data_object_type, obj.comment, obj.shared_as, json.dumps(partitions),
            obj.history_data_sharing_status, int(obj.cdf_enabled), obj.start_version, obj.added_at, obj.added_by,
            obj.string_shared_as, obj.content_file)



def object_from_row(row: sqlite3.Row) -> SharedObject:
    partitions = tuple(Partition(tuple(PartitionValue(**value) for value in part))
                       for part in json.loads(row["partitions"]))
    return SharedObject(name=row["name"], data_object_type=row["data_object_type"], comment=row["comment"],
                        shared_as=row["shared_as"], partitions=partitions,
                        history_data_sharing_status=row["history_data_sharing_status"],
                        cdf_enabled=bool(row["cdf_enabled"]), start_version=row["start_version"],
                        added_at=row["added_at"], added_by=row["added_by"],
                        string_shared_as=row["string_shared_as"], content_file=row["content_file"])


def share_from_row(row: sqlite3.Row, objects: tuple[SharedObject, ...]) -> Share:
    return Share(id=row["id"], name=row["name"], comment=row["comment"], owner=row["owner"],
                 created_at=row["created_at"], created_by=row["created_by"], updated_at=row["updated_at"],
                 updated_by=row["updated_by"], objects=objects, storage_root=row["storage_root"])


def recipient_from_row(row: sqlite3.Row, tokens: tuple[RecipientToken, ...]) -> Recipient:
    ips = json.loads(row["ip_access_list"]) if row["ip_access_list"] else None
    return Recipient(id=row["id"], name=row["name"], comment=row["comment"], owner=row["owner"],
                     authentication_type=row["authentication_type"], properties=json.loads(row["properties"]),
                     ip_access_list=tuple(ips) if ips else None, expiration_time=row["expiration_time"],
                     created_at=row["created_at"], created_by=row["created_by"], updated_at=row["updated_at"],
                     updated_by=row["updated_by"], activated=bool(row["activated"]), tokens=tokens,
                     data_recipient_global_metastore_id=row["data_recipient_global_metastore_id"])


def token_from_row(row: sqlite3.Row, expiry: int | None, secret: bytes) -> RecipientToken:
    spent = row["retrieved_at"] is not None
    return RecipientToken(id=row["id"], created_at=row["created_at"], created_by=row["created_by"],
                          expiration_time=expiry, updated_at=row["updated_at"], updated_by=row["updated_by"],
                          retrieved=spent, activation_token=None if spent else activation_token(secret, row["id"]))
