"""Statement execution (read-only SQL over system.access.audit) and the one warehouse w.warehouses.list() shows."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
