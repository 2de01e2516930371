"""Page and refresh tokens of table queries: opaque to the client, signed by the server, bound to what they page.

A token is ``<base64url JSON>.<HMAC-SHA256 hex>`` over a context string and the JSON. The JSON pins:

- ``k``: the kind (``page`` of a snapshot query, ``versions`` of a startingVersion query, ``changes`` of a change
  feed, ``refresh`` of a snapshot query), so one kind is never accepted as another;
- ``t`` and ``r``: the table (its opaque URL key) and the recipient, so a token cannot be replayed elsewhere;
- ``v`` and ``e``: the version (snapshot, or start of a range) and the range's end, resolved on the first page, so
  every page of one query reads the same commit(s) even while the table moves on;
- ``p``: the position of the next file line; ``c``: a checksum of the query's other parameters (a page must be
  asked for with the same predicates, limit and versions as the first); ``x``: the expiry (epoch ms).

Anything that does not verify (tampered, expired, for another table, recipient or query) is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sharekit.server.errors import BadRequest

_CONTEXT = b"sharekit-query-token\n"
PAGE, VERSIONS, CHANGES, REFRESH = "page", "versions", "changes", "refresh"


@dataclass(frozen=True)
class Scope:
    """What a token is valid for: one kind of query on one table, for one recipient, with one set of parameters."""

    kind: str
    table: str
    recipient: str
    checksum: str

    @classmethod
    def of(cls, kind: str, table: str, recipient: str, parameters: dict[str, Any]) -> Scope:
        canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
        return cls(kind, table, recipient, hashlib.sha256(canonical.encode()).hexdigest()[:32])


@dataclass(frozen=True)
class Cursor:
    version: int
    end: int | None = None  # the last version of a range (startingVersion queries, change feeds)
    position: int = 0  # index of the next file line


def issue(secret: bytes, scope: Scope, cursor: Cursor, expires_ms: int) -> str:
    payload = json.dumps({"k": scope.kind, "t": scope.table, "r": scope.recipient, "c": scope.checksum,
                          "v": cursor.version, "e": cursor.end, "p": cursor.position, "x": expires_ms},
                         separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_mac(secret, payload)}"


def read(secret: bytes, token: str, scope: Scope, now_ms: int) -> Cursor:
    """The cursor a token carries, once it verifies for ``scope``; BadRequest otherwise."""
    name = "refreshToken" if scope.kind == REFRESH else "pageToken"
    encoded, _, mac = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as err:
        raise _refused(name, "it is not a token this server issued") from err
    if not hmac.compare_digest(_mac(secret, payload).encode(), mac.encode()):
        raise _refused(name, "it is not a token this server issued")
    claims = json.loads(payload)
    if claims["k"] != scope.kind or claims["t"] != scope.table or claims["r"] != scope.recipient:
        raise _refused(name, "it was issued for another query")
    if claims["c"] != scope.checksum:
        raise _refused(name, "the query's parameters differ from the ones it was issued for; send the same "
                             "query with the token")
    if claims["x"] <= now_ms:
        raise _refused(name, "it has expired; start the query again")
    return Cursor(int(claims["v"]), None if claims["e"] is None else int(claims["e"]), int(claims["p"]))


def _mac(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).hexdigest()


def _refused(name: str, why: str) -> BadRequest:
    return BadRequest(f"{name} refused: {why}", "INVALID_PARAMETER_VALUE")
