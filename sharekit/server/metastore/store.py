"""The metastore (SQLite): shares, shared objects, recipients, tokens, grants, table registrations.

All of the server's SQLite SQL lives in this package and every value is a bound parameter; the file, its schema and its
transactions are ``schema.Database``. Names are stored lower-case. Validation of request shapes happens in the
areas; the store enforces what needs the data: existence, uniqueness, the two-token limit, single-use activation
links.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.metastore import metastore_policy
from sharekit.server.metastore import rows as codec
from sharekit.server.metastore.catalog_objects import CatalogObjectStore
from sharekit.server.metastore.changes import (
    GrantChange,
    ObjectChange,
    TableRegistration,
    apply_object_change,
    effective_expiry,
    is_live,
)
from sharekit.server.metastore.federation import FederationStore
from sharekit.server.metastore.paging import decode_page_token, encode_page_token, page_size
from sharekit.server.metastore.records import Grant, Page, Recipient, RecipientToken, Share
from sharekit.server.security.tokens import activation_token, hash_token, new_token, tokens_equal
from sharekit.types import Clock

PRIVILEGE = "SELECT"


class MetastoreStore(FederationStore, CatalogObjectStore):  # policies' and catalog objects' SQL live in those modules
    def __init__(self, path: Path, *, clock: Clock = time.time, secret: bytes = b"") -> None:
        self.clock = clock
        self.secret = secret
        super().__init__(path)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

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

    def create_share(self, name: str, *, user: str, comment: str | None = None, owner: str | None = None,
                     storage_root: str | None = None) -> Share:
        now = self.now_ms()
        with self._tx(True) as conn:
            if conn.execute("SELECT 1 FROM shares WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"Share '{name}' already exists", "SHARE_ALREADY_EXISTS")
            conn.execute("INSERT INTO shares (id, name, comment, owner, created_at, created_by, updated_at, "
                         "updated_by, storage_root) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (uuid.uuid4().hex, name, comment, owner or user, now, user, now, user, storage_root))
            return self._share(conn, name)

    def update_share(self, name: str, *, user: str, changes: Mapping[str, Any] | None = None,
                     updates: Sequence[ObjectChange] = ()) -> Share:
        """``changes`` may hold ``comment``, ``owner``, ``storage_root``, ``new_name``; ``updates`` apply in order,
        all or nothing."""
        changes = dict(changes or {})
        now = self.now_ms()
        with self._tx(True) as conn:
            share = self._share(conn, name)
            share_id = share.id
            objects = list(share.objects)
            for change in updates:
                objects = apply_object_change(objects, change, user, now)
            conn.execute("DELETE FROM shared_objects WHERE share_id = ?", (share_id,))
            conn.executemany("""INSERT INTO shared_objects (share_id, position, name, data_object_type, comment,
                                shared_as, partitions, history_data_sharing_status, cdf_enabled, start_version,
                                added_at, added_by, string_shared_as, content_file)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                             [codec.object_row(share_id, pos, obj) for pos, obj in enumerate(objects)])
            new_name = changes.pop("new_name", None)
            if new_name and new_name != name:
                if conn.execute("SELECT 1 FROM shares WHERE name = ?", (new_name,)).fetchone():
                    raise Conflict(f"Share '{new_name}' already exists", "SHARE_ALREADY_EXISTS")
                conn.execute("UPDATE shares SET name = ? WHERE id = ?", (new_name, share_id))
                name = new_name
            for column in ("comment", "owner", "storage_root"):
                if column in changes:
                    conn.execute(f"UPDATE shares SET {codec.column(column)} = ? WHERE id = ?",
                                 (changes[column], share_id))
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
        objects = tuple(codec.object_from_row(r) for r in conn.execute(
            "SELECT * FROM shared_objects WHERE share_id = ? ORDER BY position", (row["id"],)))
        return codec.share_from_row(row, objects)

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
        return codec.group_grants(rows, lambda r: (share.name, r[0]))

    def recipient_grants(self, recipient: str) -> list[Grant]:
        with self._tx(False) as conn:
            row = self._recipient_row(conn, recipient)
            rows = conn.execute("""SELECT s.name, g.privilege FROM grants g JOIN shares s ON s.id = g.share_id
                                   WHERE g.recipient_id = ? ORDER BY s.name, g.privilege""", (row["id"],)).fetchall()
        return codec.group_grants(rows, lambda r: (r[0], row["name"]))

    def shares_for_recipient(self, recipient: str) -> list[str]:
        return [name for name, _ in self.share_ids_for_recipient(recipient)]

    def share_ids_for_recipient(self, recipient: str) -> list[tuple[str, str]]:
        """(name, id) of the shares granted to ``recipient`` (SELECT), by name."""
        rows = self._conn().execute(
            """SELECT s.name, s.id FROM grants g JOIN shares s ON s.id = g.share_id
               JOIN recipients r ON r.id = g.recipient_id
               WHERE r.name = ? AND g.privilege = ? ORDER BY s.name""", (recipient, PRIVILEGE)).fetchall()
        return [(row[0], row[1]) for row in rows]

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
                         expiration_time: int | None = None, authentication_type: str = "TOKEN",
                         global_metastore_id: str | None = None) -> Recipient:
        """Only a TOKEN recipient gets a token (and an activation link); a DATABRICKS recipient is active at once
        (its workspace connects with the sharing identifier); an OIDC_FEDERATION one authenticates by policy."""
        now = self.now_ms()
        with self._tx(True) as conn:
            if conn.execute("SELECT 1 FROM recipients WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"Recipient '{name}' already exists", "RECIPIENT_ALREADY_EXISTS")
            recipient_id = str(uuid.uuid4())
            conn.execute("""INSERT INTO recipients (id, name, comment, owner, authentication_type, properties,
                                ip_access_list, expiration_time, activated, created_at, created_by, updated_at,
                                updated_by, data_recipient_global_metastore_id)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                         (recipient_id, name, comment, owner or user, authentication_type,
                          codec.properties_json(properties), codec.ip_json(ip_access_list),
                          expiration_time, int(authentication_type == "DATABRICKS"), now, user, now, user,
                          global_metastore_id))
            if authentication_type == "TOKEN":
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
            if "properties" in changes:  # the map is replaced whole, but the workspace's reserved keys stay
                changes = {**changes, "properties": codec.keep_reserved(row["properties"], changes["properties"])}
            encoders = {"comment": lambda v: v, "owner": lambda v: v, "expiration_time": lambda v: v,
                        "properties": codec.properties_json, "ip_access_list": codec.ip_json}
            for column, encode in encoders.items():
                if column in changes:
                    conn.execute(f"UPDATE recipients SET {codec.column(column)} = ? WHERE id = ?",
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
                if not is_live(expiry, now):
                    continue
                if expiry is None or expiry > limit:
                    conn.execute("UPDATE recipient_tokens SET expiration_time = ?, updated_at = ?, updated_by = ? "
                                 "WHERE id = ?", (limit, now, user, token["id"]))
                    expiry = limit
                live += is_live(expiry, now)
            if live >= 2:
                raise BadRequest(f"There are already two active tokens for recipient {row['name']}")
            self._new_token(conn, row["id"], user, now)
            conn.execute("UPDATE recipients SET updated_at = ?, updated_by = ? WHERE id = ?", (now, user, row["id"]))
            return self._recipient(conn, self._recipient_row(conn, row["name"]))

    # -- tokens and activation --------------------------------------------------------------------
    def recipient_for_token(self, token: str, now_ms: int) -> tuple[Recipient, RecipientToken] | None:
        digest = hash_token(token)
        with self._tx(False) as conn:
            found = conn.execute("""SELECT t.*, r.expiration_time AS recipient_expiration FROM recipient_tokens t
                                    JOIN recipients r ON r.id = t.recipient_id WHERE t.token_hash = ?""",
                                 (digest,)).fetchone()
            if found is None or not tokens_equal(found["token_hash"], digest):
                return None
            expiry = effective_expiry(found["expiration_time"], found["recipient_expiration"])
            if not is_live(expiry, now_ms):
                return None
            row = conn.execute("SELECT * FROM recipients WHERE id = ?", (found["recipient_id"],)).fetchone()
            return self._recipient(conn, row, now_ms), codec.token_from_row(found, expiry, self.secret)

    def activation_info(self, activation: str) -> Recipient:
        with self._tx(False) as conn:
            token = self._unspent_token(conn, activation, self.now_ms())
            row = conn.execute("SELECT * FROM recipients WHERE id = ?", (token["recipient_id"],)).fetchone()
            return self._recipient(conn, row)

    def retrieve_activation(self, activation: str, now_ms: int) -> tuple[Recipient, str, int | None]:
        """Spend the activation link: mint a bearer token, keep only its hash, return the plaintext once."""
        bearer = new_token()
        with self._tx(True) as conn:
            token = self._unspent_token(conn, activation, now_ms)
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
            expiry = effective_expiry(row["expiration_time"], row["recipient_expiration"])
            if tokens_equal(activation_token(self.secret, row["id"]), activation) and is_live(expiry, now_ms):
                return row
        raise NotFound("Activation link is invalid, expired or has already been used")

    def _new_token(self, conn: sqlite3.Connection, recipient_id: str, user: str, now: int) -> None:
        expiry = metastore_policy.new_token_expiry(conn, now)  # the metastore's token lifetime, as Databricks
        conn.execute("INSERT INTO recipient_tokens VALUES (?, ?, NULL, ?, ?, ?, ?, ?, NULL)",
                     (str(uuid.uuid4()), recipient_id, expiry, now, user, now, user))

    def _recipient_row(self, conn: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM recipients WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _no_recipient(name)
        return row  # type: ignore[no-any-return]

    def _recipient(self, conn: sqlite3.Connection, row: sqlite3.Row, now_ms: int | None = None) -> Recipient:
        """The recipient with its live tokens."""
        now = self.now_ms() if now_ms is None else now_ms
        tokens = []
        for token in conn.execute("SELECT * FROM recipient_tokens WHERE recipient_id = ? ORDER BY created_at, rowid",
                                  (row["id"],)):
            expiry = effective_expiry(token["expiration_time"], row["expiration_time"])
            if is_live(expiry, now):
                tokens.append(codec.token_from_row(token, expiry, self.secret))
        return codec.recipient_from_row(row, tuple(tokens))

    # -- table registrations (read by tables.registry) ----------------------------------------------
    def register_table(self, registration: TableRegistration) -> TableRegistration:
        registration = _with_created_at(registration, self.now_ms())
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
        view = _with_created_at(view, self.now_ms())
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


def _with_created_at(registration: TableRegistration, now_ms: int) -> TableRegistration:
    return replace(registration, created_at=registration.created_at or now_ms)


def _no_share(name: str) -> NotFound:
    return NotFound(f"Share '{name}' does not exist.", "SHARE_DOES_NOT_EXIST")


def _no_recipient(name: str) -> NotFound:
    return NotFound(f"Recipient '{name}' does not exist.", "RECIPIENT_DOES_NOT_EXIST")
