"""Signed, expiring file URLs (HEAD, Range) and the recipient activation page."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
