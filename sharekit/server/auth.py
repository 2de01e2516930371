"""Bearer-token checks. Tokens are random, kept only as SHA-256 hashes, compared in constant time, never logged."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

from sharekit.server.errors import Unauthenticated
from sharekit.server.state import ServerState


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no password stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.sharekit
    return state


def require_admin(request: Request) -> str:
    """The provider's admin token guards every management call; returns the acting user's name."""
    state = server_state(request)
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("Missing credentials: send 'Authorization: Bearer <admin token>'")
    if not tokens_equal(token, state.admin_token):
        raise Unauthenticated("Invalid access token")
    return state.admin_user
