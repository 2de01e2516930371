"""The provider's admin token: it guards every management call."""

from __future__ import annotations

from sharekit.server.errors import Unauthenticated
from sharekit.server.security.tokens import bearer_token, tokens_equal


def require_admin(authorization: str | None, admin_token: str) -> None:
    """Refuse (401) unless the ``Authorization`` header carries the admin token."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthenticated("Missing credentials: send 'Authorization: Bearer <admin token>'")
    if not tokens_equal(token, admin_token):
        raise Unauthenticated("Invalid access token")
