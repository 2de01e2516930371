"""The metastore's SQLite file: its schema (migrations), per-thread connections and transactions.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged change survives a crash); every change is one
``BEGIN IMMEDIATE`` transaction that also bumps ``change_seq``. Each thread gets its own connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sharekit.server.settings import METASTORE_BUSY_TIMEOUT_S

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO meta (key, value) VALUES ('change_seq', 0)",
        """CREATE TABLE shares (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, comment TEXT, owner TEXT NOT NULL,
            created_at INTEGER NOT NULL, created_by TEXT NOT NULL, updated_at INTEGER NOT NULL,
            updated_by TEXT NOT NULL)""",
        """CREATE TABLE shared_objects (share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, name TEXT NOT NULL, data_object_type TEXT NOT NULL, comment TEXT, shared_as TEXT,
            partitions TEXT NOT NULL, history_data_sharing_status TEXT NOT NULL, cdf_enabled INTEGER NOT NULL,
            start_version INTEGER, added_at INTEGER NOT NULL, added_by TEXT NOT NULL, PRIMARY KEY (share_id, name))""",
        """CREATE TABLE recipients (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, comment TEXT, owner TEXT NOT NULL,
            authentication_type TEXT NOT NULL, properties TEXT NOT NULL, ip_access_list TEXT, expiration_time INTEGER,
            activated INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
            updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL)""",
        """CREATE TABLE recipient_tokens (id TEXT PRIMARY KEY,
            recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE, token_hash TEXT UNIQUE,
            expiration_time INTEGER, created_at INTEGER NOT NULL, created_by TEXT NOT NULL, updated_at INTEGER NOT NULL,
            updated_by TEXT NOT NULL, retrieved_at INTEGER)""",
        "CREATE INDEX recipient_tokens_by_recipient ON recipient_tokens (recipient_id)",
        """CREATE TABLE grants (share_id TEXT NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
            recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE, privilege TEXT NOT NULL,
            created_at INTEGER NOT NULL, PRIMARY KEY (share_id, recipient_id, privilege))""",
        "CREATE INDEX grants_by_recipient ON grants (recipient_id)",
        """CREATE TABLE registered_tables (full_name TEXT PRIMARY KEY, path TEXT, table_type TEXT NOT NULL,
            comment TEXT, view_definition TEXT, created_at INTEGER NOT NULL)""",
    ),
    (  # the metastore's settings (metastore_policy.py): the lifetime of new recipient tokens
        """CREATE TABLE metastore_settings (metastore_id TEXT PRIMARY KEY, token_lifetime_s INTEGER,
            updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL)""",
    ),
    (
        # recipients of every type: a DATABRICKS recipient's sharing identifier; OIDC federation policies
        "ALTER TABLE recipients ADD COLUMN data_recipient_global_metastore_id TEXT",
        """CREATE TABLE federation_policies (id TEXT PRIMARY KEY,
            recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE, name TEXT NOT NULL,
            comment TEXT, issuer TEXT NOT NULL, audiences TEXT NOT NULL, subject_claim TEXT NOT NULL,
            subject TEXT NOT NULL, create_time TEXT NOT NULL, update_time TEXT NOT NULL,
            UNIQUE (recipient_id, name))""",
        "CREATE INDEX federation_policies_by_issuer ON federation_policies (issuer)",
    ),
    (  # every shared object type (issue 13): aliases of non-table objects, notebook files, catalog objects
        "ALTER TABLE shares ADD COLUMN storage_root TEXT",
        "ALTER TABLE shared_objects ADD COLUMN string_shared_as TEXT",
        "ALTER TABLE shared_objects ADD COLUMN content_file TEXT",
        """CREATE TABLE catalog_objects (full_name TEXT NOT NULL, kind TEXT NOT NULL, path TEXT, comment TEXT,
            details TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (kind, full_name))""",
    ),
    (  # the answers of recent writes, so a retried write whose first answer was lost gets it (metastore.replies)
        """CREATE TABLE write_replies (request_key TEXT PRIMARY KEY, response TEXT NOT NULL,
            created_at INTEGER NOT NULL)""",
        "CREATE INDEX write_replies_by_time ON write_replies (created_at)",
    ),
)


class Database:
    """One SQLite file: connections per thread, transactions, and the schema brought up to date on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._migrate()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=METASTORE_BUSY_TIMEOUT_S)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction around several store calls on this thread: they commit together or not at all."""
        return self._tx(True)

    @contextmanager
    def _tx(self, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if conn.in_transaction:  # inside transaction(): a savepoint, so a failed call undoes only its own part
            with _savepoint(conn, write):
                yield conn
            return
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
            if write:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'change_seq'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(number)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def change_seq(self) -> int:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'change_seq'").fetchone()
        return int(row[0])


@contextmanager
def _savepoint(conn: sqlite3.Connection, write: bool) -> Iterator[None]:
    conn.execute("SAVEPOINT nested")
    try:
        yield
        if write:
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'change_seq'")
        conn.execute("RELEASE nested")
    except BaseException:
        conn.execute("ROLLBACK TO nested")
        conn.execute("RELEASE nested")
        raise
