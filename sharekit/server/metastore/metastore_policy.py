"""The metastore's own settings in SQLite: the lifetime of new recipient tokens
(``delta_sharing_recipient_token_lifetime_in_seconds``), read by the summary and applied to every new token.

As on Databricks, the lifetime applies to tokens created from then on (a new recipient's, a rotation's); existing
tokens keep their expiry until they are rotated.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sharekit.server.metastore.schema import Database
from sharekit.server.settings import ADMIN_USER, METASTORE_ID
from sharekit.token_policy import check_lifetime, lifetime_expiry


@dataclass(frozen=True)
class MetastoreSettings:
    token_lifetime_s: int | None  # None: new tokens never expire
    updated_at: int | None
    updated_by: str | None


def _row(conn: sqlite3.Connection) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM metastore_settings WHERE metastore_id = ?", (METASTORE_ID,)).fetchone()
    return row


def new_token_expiry(conn: sqlite3.Connection, now_ms: int) -> int | None:
    """The expiration of a token created now, inside the caller's transaction."""
    row = _row(conn)
    return lifetime_expiry(now_ms, row["token_lifetime_s"] if row is not None else None)


def read_settings(db: Database) -> MetastoreSettings:
    with db._tx(False) as conn:  # one transaction of the store's own file: this module is part of the store
        row = _row(conn)
    if row is None:
        return MetastoreSettings(None, None, None)
    return MetastoreSettings(row["token_lifetime_s"] or None, row["updated_at"], row["updated_by"])


def set_token_lifetime(db: Database, seconds: int, *, user: str = ADMIN_USER, now_ms: int) -> MetastoreSettings:
    """Set the lifetime of new tokens (0 clears it); raises ValueError outside 0 .. one year."""
    check_lifetime(seconds)
    with db._tx(True) as conn:
        conn.execute("""INSERT INTO metastore_settings VALUES (?, ?, ?, ?)
                        ON CONFLICT (metastore_id) DO UPDATE SET token_lifetime_s = excluded.token_lifetime_s,
                        updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
                     (METASTORE_ID, seconds or None, now_ms, user))
    return read_settings(db)
