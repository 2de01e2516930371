"""OIDC federation policies of OIDC_FEDERATION recipients (the SQL behind ``w.recipient_federation_policies``).

A policy belongs to one recipient and is deleted with it; its name is unique per recipient. Protocol requests
look policies up by issuer (``policies_for_issuer``), so a JWT is only ever checked against the issuers that some
recipient trusts.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.metastore.paging import decode_page_token, encode_page_token, page_size
from sharekit.server.metastore.records import FederationPolicy, Page
from sharekit.server.metastore.schema import Database

OIDC_FEDERATION = "OIDC_FEDERATION"


def rfc3339(epoch_ms: int) -> str:
    """``2026-01-31T12:00:00.123Z``: the policy times are strings on the wire (``FederationPolicy.create_time``)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _policy(row: sqlite3.Row) -> FederationPolicy:
    return FederationPolicy(id=row["id"], recipient=row["recipient_name"], name=row["name"], issuer=row["issuer"],
                            audiences=tuple(json.loads(row["audiences"])), subject_claim=row["subject_claim"],
                            subject=row["subject"], comment=row["comment"], create_time=row["create_time"],
                            update_time=row["update_time"])


_SELECT = """SELECT p.*, r.name AS recipient_name FROM federation_policies p
             JOIN recipients r ON r.id = p.recipient_id"""


class FederationStore(Database):
    """The federation-policy half of the metastore (``MetastoreStore`` inherits it)."""

    def now_ms(self) -> int:  # pragma: no cover - MetastoreStore defines the clock
        raise NotImplementedError

    def _oidc_recipient_id(self, conn: sqlite3.Connection, recipient: str) -> str:
        row = conn.execute("SELECT id, authentication_type FROM recipients WHERE name = ?", (recipient,)).fetchone()
        if row is None:
            raise NotFound(f"Recipient '{recipient}' does not exist.", "RECIPIENT_DOES_NOT_EXIST")
        if row["authentication_type"] != OIDC_FEDERATION:
            raise BadRequest(f"Federation policies apply only to OIDC_FEDERATION recipients; recipient '{recipient}' "
                             f"has authentication_type {row['authentication_type']}", "INVALID_PARAMETER_VALUE")
        return str(row["id"])

    def create_policy(self, recipient: str, *, name: str, issuer: str, audiences: Sequence[str], subject_claim: str,
                      subject: str, comment: str | None) -> FederationPolicy:
        stamp = rfc3339(self.now_ms())
        with self._tx(True) as conn:
            recipient_id = self._oidc_recipient_id(conn, recipient)
            if conn.execute("SELECT 1 FROM federation_policies WHERE recipient_id = ? AND name = ?",
                            (recipient_id, name)).fetchone():
                raise Conflict(f"Federation policy '{name}' already exists for recipient '{recipient}'",
                               "RESOURCE_ALREADY_EXISTS")
            policy_id = str(uuid.uuid4())
            conn.execute("INSERT INTO federation_policies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (policy_id, recipient_id, name, comment, issuer, json.dumps(list(audiences)), subject_claim,
                          subject, stamp, stamp))
            return _policy(conn.execute(_SELECT + " WHERE p.id = ?", (policy_id,)).fetchone())

    def get_policy(self, recipient: str, name: str) -> FederationPolicy:
        with self._tx(False) as conn:
            recipient_id = self._oidc_recipient_id(conn, recipient)
            row = conn.execute(_SELECT + " WHERE p.recipient_id = ? AND p.name = ?", (recipient_id, name)).fetchone()
        if row is None:
            raise NotFound(f"Federation policy '{name}' does not exist for recipient '{recipient}'.")
        return _policy(row)

    def list_policies(self, recipient: str, *, max_results: int | None = None,
                      page_token: str | None = None) -> Page:
        after, size = decode_page_token(page_token), page_size(max_results)
        with self._tx(False) as conn:
            recipient_id = self._oidc_recipient_id(conn, recipient)
            rows = conn.execute(_SELECT + " WHERE p.recipient_id = ? AND p.name > ? ORDER BY p.name LIMIT ?",
                                (recipient_id, after or "", size + 1)).fetchall()
        items = [_policy(row) for row in rows[:size]]
        return Page(items, encode_page_token(items[-1].name) if len(rows) > size else None)

    def delete_policy(self, recipient: str, name: str) -> None:
        with self._tx(True) as conn:
            recipient_id = self._oidc_recipient_id(conn, recipient)
            if conn.execute("DELETE FROM federation_policies WHERE recipient_id = ? AND name = ?",
                            (recipient_id, name)).rowcount == 0:
                raise NotFound(f"Federation policy '{name}' does not exist for recipient '{recipient}'.")

    def policies_for_issuer(self, issuer: str) -> list[FederationPolicy]:
        """Every policy (of any OIDC recipient) that trusts ``issuer``, by recipient and policy name."""
        rows = self._conn().execute(_SELECT + " WHERE p.issuer = ? AND r.authentication_type = ? "
                                              "ORDER BY r.name, p.name", (issuer, OIDC_FEDERATION)).fetchall()
        return [_policy(row) for row in rows]
