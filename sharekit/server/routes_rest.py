"""Unity Catalog REST subset (shares, recipients, permissions, activation, catalogs/schemas/tables) that
databricks-sdk calls. One module per surface: ``rest_shares``, ``rest_recipients``, ``rest_catalog``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from sharekit.server import rest_catalog, rest_recipients, rest_shares


def routes() -> list[BaseRoute]:
    return [*rest_shares.routes(), *rest_recipients.routes(), *rest_catalog.routes()]
