"""Unity Catalog REST subset (shares, recipients, permissions, activation, catalogs/schemas/tables) that databricks-sdk calls."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
