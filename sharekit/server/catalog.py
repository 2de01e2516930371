"""The catalog store (SQLite): shares, shared objects, recipients, tokens, grants, table registrations.

All SQL of the server lives here and every value is a bound parameter. SQLite runs in WAL mode with
``synchronous=FULL`` (an acknowledged change survives a crash); every change is one ``BEGIN IMMEDIATE``
transaction that also bumps ``change_seq``. Each thread gets its own connection. Names are stored lower-case.
Validation of request shapes happens in the REST layer; the store enforces what needs the data:
existence, uniqueness, the two-token limit, single-use activation links.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from dataclasses import replace as replace_record
from pathlib import Path
from typing import Any

from sharekit.server.catalog_model import (
    GrantChange,
    ObjectChange,
    TableRegistration,
    apply_object_change,
    decode_page_token,
    effective_expiry,
    encode_page_token,
    page_size,
    paginate,
)
from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.records import (
    Grant,
    Page,
    Partition,
    PartitionValue,
    Recipient,
    RecipientToken,
    Share,
    SharedObject,
)
from sharekit.server.security.tokens import activation_token, hash_token, new_token, tokens_equal
from sharekit.types import Clock

PRIVILEGE = "SELECT"

__all__ = [
    "PRIVILEGE", "CatalogStore", "GrantChange", "ObjectChange", "TableRegistration",
    "decode_page_token", "encode_page_token", "page_size", "paginate",
]

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
)


class CatalogStore:
    def __init__(self, path: Path, *, clock: Clock = time.time, secret: bytes = b"") -> None:
        self.path = path
        self.clock = clock
        self.secret = secret
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._migrate()

    # -- plumbing ---------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def _tx(self, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
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
            for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
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

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def change_seq(self) -> int:
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'change_seq'").fetchone()
        return int(row[0])

    # -- shares -----------------------------------------------------------------------------------
    def get_share(self, name: str) -> Share:
        with self._tx(False) as conn:
            return self._share(conn, name)

    def list_shares(self, *, max_results: int | None = None, page_token: str | None = None) -> Page:
        after, size = decode_page_token(page_token), page_size(max_results)
        with self._tx(False) as conn:
            rows = conn.execute("SELECT name FROM shares WHERE name > ? ORDER BY name LIMIT ?",
                                (after or "", size + 1)).fetchall()
            items = [self._share(conn, row["name"]) for row in rows[:size]]
        return Page(items, encode_page_token(items[-1].name) if len(rows) > size else None)

    def create_share(self, name: str, *, user: str, comment: str | None = None, owner: str | None = None) -> Share:
        now = self.now_ms()
        with self._tx(True) as conn:
            if conn.execute("SELECT 1 FROM shares WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"Share '{name}' already exists", "SHARE_ALREADY_EXISTS")
            conn.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (uuid.uuid4().hex, name, comment, owner or user, now, user, now, user))
            return self._share(conn, name)

    def update_share(self, name: str, *, user: str, changes: Mapping[str, Any] | None = None,
                     updates: Sequence[ObjectChange] = ()) -> Share:
        """``changes`` may hold ``comment``, ``owner``, ``new_name``; ``updates`` apply in order, all or nothing."""
        changes = dict(changes or {})
        now = self.now_ms()
        with self._tx(True) as conn:
            share = self._share(conn, name)
            share_id = share.id
            objects = list(share.objects)
            for change in updates:
                objects = apply_object_change(objects, change, user, now)
            conn.execute("DELETE FROM shared_objects WHERE share_id = ?", (share_id,))
            conn.executemany("INSERT INTO shared_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [_object_row(share_id, pos, obj) for pos, obj in enumerate(objects)])
            new_name = changes.pop("new_name", None)
            if new_name and new_name != name:
                if conn.execute("SELECT 1 FROM shares WHERE name = ?", (new_name,)).fetchone():
                    raise Conflict(f"Share '{new_name}' already exists", "SHARE_ALREADY_EXISTS")
                conn.execute("UPDATE shares SET name = ? WHERE id = ?", (new_name, share_id))
                name = new_name
            for column in ("comment", "owner"):
                if column in changes:
                    conn.execute(f"UPDATE shares SET {_column(column)} = ? WHERE id = ?", (changes[column], share_id))
            conn.execute("UPDATE shares SET updated_at = ?, updated_by = ? WHERE id = ?", (now, user, share_id))
            return self._share(conn, name)

    def delete_share(self, name: str) -> None:
        with self._tx(True) as conn:
            if conn.execute("DELETE FROM shares WHERE name = ?", (name,)).rowcount == 0:
                raise _no_share(name)

    def _share(self, conn: sqlite3.Connection, name: str) -> Share:
        row = conn.execute("SELECT * FROM shares WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_share(name)
        objects = tuple(_object_from_row(r) for r in conn.execute(
            "SELECT * FROM shared_objects WHERE share_id = ? ORDER BY position", (row["id"],)))
        return Share(id=row["id"], name=row["name"], comment=row["comment"], owner=row["owner"],
                     created_at=row["created_at"], created_by=row["created_by"], updated_at=row["updated_at"],
                     updated_by=row["updated_by"], objects=objects)

    # -- grants -----------------------------------------------------------------------------------
    def share_grants(self, share: str) -> list[Grant]:
        with self._tx(False) as conn:
            return self._share_grants(conn, self._share(conn, share))

    def update_share_grants(self, share: str, changes: Sequence[GrantChange]) -> list[Grant]:
        now = self.now_ms()
        with self._tx(True) as conn:
            info = self._share(conn, share)
            for change in changes:
                recipient_id = self._recipient_row(conn, change.principal)["id"]
                for privilege in change.remove:
                    conn.execute("DELETE FROM grants WHERE share_id = ? AND recipient_id = ? AND privilege = ?",
                                 (info.id, recipient_id, privilege))
                for privilege in change.add:
                    conn.execute("INSERT OR IGNORE INTO grants VALUES (?, ?, ?, ?)",
                                 (info.id, recipient_id, privilege, now))
            return self._share_grants(conn, info)

    def _share_grants(self, conn: sqlite3.Connection, share: Share) -> list[Grant]:
        rows = conn.execute("""SELECT r.name, g.privilege FROM grants g JOIN recipients r ON r.id = g.recipient_id
                               WHERE g.share_id = ? ORDER BY r.name, g.privilege""", (share.id,)).fetchall()
        return _group_grants(rows, lambda r: (share.name, r[0]))

    def recipient_grants(self, recipient: str) -> list[Grant]:
        with self._tx(False) as conn:
            row = self._recipient_row(conn, recipient)
            rows = conn.execute("""SELECT s.name, g.privilege FROM grants g JOIN shares s ON s.id = g.share_id
                                   WHERE g.recipient_id = ? ORDER BY s.name, g.privilege""", (row["id"],)).fetchall()
        return _group_grants(rows, lambda r: (r[0], row["name"]))

    def shares_for_recipient(self, recipient: str) -> list[str]:
        rows = self._conn().execute(
            """SELECT s.name FROM grants g JOIN shares s ON s.id = g.share_id JOIN recipients r ON r.id = g.recipient_id
               WHERE r.name = ? AND g.privilege = ? ORDER BY s.name""", (recipient, PRIVILEGE)).fetchall()
        return [row[0] for row in rows]

    # -- recipients -------------------------------------------------------------------------------
    def get_recipient(self, name: str) -> Recipient:
        with self._tx(False) as conn:
            return self._recipient(conn, self._recipient_row(conn, name))

    def list_recipients(self, *, max_results: int | None = None, page_token: str | None = None) -> Page:
        after, size = decode_page_token(page_token), page_size(max_results)
        with self._tx(False) as conn:
            rows = conn.execute("SELECT * FROM recipients WHERE name > ? ORDER BY name LIMIT ?",
                                (after or "", size + 1)).fetchall()
            items = [self._recipient(conn, row) for row in rows[:size]]
        return Page(items, encode_page_token(items[-1].name) if len(rows) > size else None)

    def create_recipient(self, name: str, *, user: str, comment: str | None = None, owner: str | None = None,
                         properties: Mapping[str, str] | None = None, ip_access_list: Sequence[str] | None = None,
                         expiration_time: int | None = None, authentication_type: str = "TOKEN") -> Recipient:
        now = self.now_ms()
        with self._tx(True) as conn:
            if conn.execute("SELECT 1 FROM recipients WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"Recipient '{name}' already exists", "RECIPIENT_ALREADY_EXISTS")
            recipient_id = str(uuid.uuid4())
            conn.execute("INSERT INTO recipients VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                         (recipient_id, name, comment, owner or user, authentication_type,
                          json.dumps(dict(properties or {}), sort_keys=True), _ip_json(ip_access_list),
                          expiration_time, now, user, now, user))
            self._new_token(conn, recipient_id, user, now)
            return self._recipient(conn, self._recipient_row(conn, name))

    def update_recipient(self, name: str, *, user: str, changes: Mapping[str, Any]) -> Recipient:
        """``changes`` may hold ``new_name``, ``comment``, ``owner``, ``properties``, ``ip_access_list``,
        ``expiration_time``."""
        now = self.now_ms()
        with self._tx(True) as conn:
            row = self._recipient_row(conn, name)
            new_name = changes.get("new_name")
            if new_name and new_name != name:
                if conn.execute("SELECT 1 FROM recipients WHERE name = ?", (new_name,)).fetchone():
                    raise Conflict(f"Recipient '{new_name}' already exists", "RECIPIENT_ALREADY_EXISTS")
                conn.execute("UPDATE recipients SET name = ? WHERE id = ?", (new_name, row["id"]))
                name = new_name
            encoders = {"comment": lambda v: v, "owner": lambda v: v, "expiration_time": lambda v: v,
                        "properties": lambda v: json.dumps(dict(v), sort_keys=True), "ip_access_list": _ip_json}
            for column, encode in encoders.items():
                if column in changes:
                    conn.execute(f"UPDATE recipients SET {_column(column)} = ? WHERE id = ?",
                                 (encode(changes[column]), row["id"]))
            conn.execute("UPDATE recipients SET updated_at = ?, updated_by = ? WHERE id = ?", (now, user, row["id"]))
            return self._recipient(conn, self._recipient_row(conn, name))

    def delete_recipient(self, name: str) -> None:
        with self._tx(True) as conn:
            if conn.execute("DELETE FROM recipients WHERE name = ?", (name,)).rowcount == 0:
                raise _no_recipient(name)

    def rotate_recipient_token(self, name: str, *, existing_token_expire_in_seconds: int, user: str) -> Recipient:
        """Shorten the live tokens to ``now + seconds`` (never lengthen), then add a new token (at most two live)."""
        if existing_token_expire_in_seconds < 0:
            raise BadRequest("existing_token_expire_in_seconds must not be negative")
        now = self.now_ms()
        limit = now + existing_token_expire_in_seconds * 1000
        with self._tx(True) as conn:
            row = self._recipient_row(conn, name)
            live = 0
            for token in conn.execute("SELECT * FROM recipient_tokens WHERE recipient_id = ?", (row["id"],)).fetchall():
                expiry = effective_expiry(token["expiration_time"], row["expiration_time"])
                if expiry is not None and expiry <= now:
                    continue
                if expiry is None or expiry > limit:
                    conn.execute("UPDATE recipient_tokens SET expiration_time = ?, updated_at = ?, updated_by = ? "
                                 "WHERE id = ?", (limit, now, user, token["id"]))
                    expiry = limit
                live += expiry > now
            if live >= 2:
                raise BadRequest(f"There are already two active tokens for recipient {row['name']}")
            self._new_token(conn, row["id"], user, now)
            conn.execute("UPDATE recipients SET updated_at = ?, updated_by = ? WHERE id = ?", (now, user, row["id"]))
            return self._recipient(conn, self._recipient_row(conn, row["name"]))

    def recipient_for_token(self, token: str, now_ms: int) -> tuple[Recipient, RecipientToken] | None:
        digest = hash_token(token)
        with self._tx(False) as conn:
            found = conn.execute("""SELECT t.*, r.expiration_time AS recipient_expiration FROM recipient_tokens t
                                    JOIN recipients r ON r.id = t.recipient_id WHERE t.token_hash = ?""",
                                 (digest,)).fetchone()
            if found is None or not tokens_equal(found["token_hash"], digest):
                return None
            expiry = effective_expiry(found["expiration_time"], found["recipient_expiration"])
            if expiry is not None and expiry <= now_ms:
                return None
            row = conn.execute("SELECT * FROM recipients WHERE id = ?", (found["recipient_id"],)).fetchone()
            return self._recipient(conn, row, now_ms), self._token(found, expiry)

    def activation_info(self, activation_token: str) -> Recipient:
        with self._tx(False) as conn:
            token = self._unspent_token(conn, activation_token, self.now_ms())
            row = conn.execute("SELECT * FROM recipients WHERE id = ?", (token["recipient_id"],)).fetchone()
            return self._recipient(conn, row)

    def retrieve_activation(self, activation_token: str, now_ms: int) -> tuple[Recipient, str, int | None]:
        """Spend the activation link: mint a bearer token, keep only its hash, return the plaintext once."""
        bearer = new_token()
        with self._tx(True) as conn:
            token = self._unspent_token(conn, activation_token, now_ms)
            conn.execute("UPDATE recipient_tokens SET token_hash = ?, retrieved_at = ?, updated_at = ? WHERE id = ?",
                         (hash_token(bearer), now_ms, now_ms, token["id"]))
            conn.execute("UPDATE recipients SET activated = 1 WHERE id = ?", (token["recipient_id"],))
            row = conn.execute("SELECT * FROM recipients WHERE id = ?", (token["recipient_id"],)).fetchone()
            expiry = effective_expiry(token["expiration_time"], row["expiration_time"])
            return self._recipient(conn, row, now_ms), bearer, expiry

    def _unspent_token(self, conn: sqlite3.Connection, activation: str, now_ms: int) -> sqlite3.Row:
        rows: list[sqlite3.Row] = conn.execute(
            """SELECT t.*, r.expiration_time AS recipient_expiration FROM recipient_tokens t
               JOIN recipients r ON r.id = t.recipient_id WHERE t.retrieved_at IS NULL""").fetchall()
        for row in rows:
            if tokens_equal(activation_token(self.secret, row["id"]), activation):
                expiry = effective_expiry(row["expiration_time"], row["recipient_expiration"])
                if expiry is None or expiry > now_ms:
                    return row
        raise NotFound("Activation link is invalid, expired or has already been used")

    def _new_token(self, conn: sqlite3.Connection, recipient_id: str, user: str, now: int) -> None:
        conn.execute("INSERT INTO recipient_tokens VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, NULL)",
                     (str(uuid.uuid4()), recipient_id, now, user, now, user))

    def _recipient_row(self, conn: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM recipients WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_recipient(name)
        return row  # type: ignore[no-any-return]

    def _recipient(self, conn: sqlite3.Connection, row: sqlite3.Row, now_ms: int | None = None) -> Recipient:
        now = self.now_ms() if now_ms is None else now_ms
        tokens = []
        for token in conn.execute("SELECT * FROM recipient_tokens WHERE recipient_id = ? ORDER BY created_at, rowid",
                                  (row["id"],)):
            expiry = effective_expiry(token["expiration_time"], row["expiration_time"])
            if expiry is None or expiry > now:
                tokens.append(self._token(token, expiry))
        ips = json.loads(row["ip_access_list"]) if row["ip_access_list"] else None
        return Recipient(id=row["id"], name=row["name"], comment=row["comment"], owner=row["owner"],
                         authentication_type=row["authentication_type"], properties=json.loads(row["properties"]),
                         ip_access_list=tuple(ips) if ips else None, expiration_time=row["expiration_time"],
                         created_at=row["created_at"], created_by=row["created_by"], updated_at=row["updated_at"],
                         updated_by=row["updated_by"], activated=bool(row["activated"]), tokens=tuple(tokens))

    def _token(self, row: sqlite3.Row, expiry: int | None) -> RecipientToken:
        spent = row["retrieved_at"] is not None
        return RecipientToken(id=row["id"], created_at=row["created_at"], created_by=row["created_by"],
                              expiration_time=expiry, updated_at=row["updated_at"], updated_by=row["updated_by"],
                              retrieved=spent,
                              activation_token=None if spent else activation_token(self.secret, row["id"]))

    # -- table registrations (read by tables.TableRegistry) ----------------------------------------
    def register_table(self, registration: TableRegistration) -> TableRegistration:
        registration = replace(registration, created_at=registration.created_at or self.now_ms())
        with self._tx(True) as conn:
            known = conn.execute("SELECT 1 FROM registered_tables WHERE full_name = ?", (registration.full_name,))
            if known.fetchone():
                raise Conflict(f"Table '{registration.full_name}' is already registered", "TABLE_ALREADY_EXISTS")
            conn.execute("INSERT INTO registered_tables VALUES (?, ?, ?, ?, ?, ?)",
                         (registration.full_name, registration.path, registration.table_type, registration.comment,
                          registration.view_definition, registration.created_at))
        return registration

    def put_view(self, view: TableRegistration, *, replace: bool) -> TableRegistration:
        """Create (or, with ``replace``, redefine) a view registration in one transaction."""
        view = replace_record(view, created_at=view.created_at or self.now_ms())
        with self._tx(True) as conn:
            row = conn.execute("SELECT table_type FROM registered_tables WHERE full_name = ?",
                               (view.full_name,)).fetchone()
            if row is not None and (row["table_type"] != "VIEW" or not replace):
                what = "view" if row["table_type"] == "VIEW" else "table"
                raise Conflict(f"[TABLE_OR_VIEW_ALREADY_EXISTS] The {what} '{view.full_name}' already exists",
                               "TABLE_ALREADY_EXISTS")
            conn.execute("DELETE FROM registered_tables WHERE full_name = ?", (view.full_name,))
            conn.execute("INSERT INTO registered_tables VALUES (?, ?, ?, ?, ?, ?)",
                         (view.full_name, None, "VIEW", view.comment, view.view_definition, view.created_at))
        return view

    def unregister_table(self, full_name: str) -> None:
        with self._tx(True) as conn:
            if conn.execute("DELETE FROM registered_tables WHERE full_name = ?", (full_name,)).rowcount == 0:
                raise NotFound(f"Table '{full_name}' is not registered", "TABLE_DOES_NOT_EXIST")

    def registered_tables(self) -> list[TableRegistration]:
        rows = self._conn().execute("SELECT * FROM registered_tables ORDER BY full_name").fetchall()
        return [TableRegistration(**dict(row)) for row in rows]


def _column(name: str) -> str:
    """The one place a column name is interpolated: only from this fixed set, quoted."""
    if name not in {"comment", "owner", "expiration_time", "properties", "ip_access_list"}:
        raise ValueError(f"not an updatable column: {name}")
    return '"' + name + '"'


def _no_share(name: str) -> NotFound:
    return NotFound(f"Share '{name}' does not exist.", "SHARE_DOES_NOT_EXIST")


def _no_recipient(name: str) -> NotFound:
    return NotFound(f"Recipient '{name}' does not exist.", "RECIPIENT_DOES_NOT_EXIST")


def _ip_json(values: Sequence[str] | None) -> str | None:
    return json.dumps(list(values)) if values else None


def _group_grants(rows: Sequence[sqlite3.Row], key: Any) -> list[Grant]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row[1])
    return [Grant(share, recipient, tuple(privs)) for (share, recipient), privs in grouped.items()]


def _object_row(share_id: str, position: int, obj: SharedObject) -> tuple[Any, ...]:
    partitions = [[{"name": v.name, "op": v.op, "value": v.value, "recipient_property_key": v.recipient_property_key}
                   for v in part.values] for part in obj.partitions]
    return (share_id, position, obj.name, obj.data_object_type, obj.comment, obj.shared_as, json.dumps(partitions),
            obj.history_data_sharing_status, int(obj.cdf_enabled), obj.start_version, obj.added_at, obj.added_by)


def _object_from_row(row: sqlite3.Row) -> SharedObject:
    partitions = tuple(Partition(tuple(PartitionValue(**value) for value in part))
                       for part in json.loads(row["partitions"]))
    return SharedObject(name=row["name"], data_object_type=row["data_object_type"], comment=row["comment"],
                        shared_as=row["shared_as"], partitions=partitions,
                        history_data_sharing_status=row["history_data_sharing_status"],
                        cdf_enabled=bool(row["cdf_enabled"]), start_version=row["start_version"],
                        added_at=row["added_at"], added_by=row["added_by"])
