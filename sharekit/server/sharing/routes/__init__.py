"""The Delta Sharing area's route table: listings and table routes under ``/delta-sharing`` (a recipient's bearer
token), signed files (the URL's signature) and the activation page (public)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute, Route

from sharekit.server.endpoint import Call, Endpoint, Result, endpoint, no_params, public
from sharekit.server.paths import ACTIVATION_PAGE, FILES, PROTOCOL, PROTOCOL_TABLE
from sharekit.server.routing import RouteGroup
from sharekit.server.sharing.access import Caller, recipient
from sharekit.server.sharing.routes import activation_page, files, listings, tables


def _listing_routes() -> list[BaseRoute]:
    shares = PROTOCOL + "/shares"
    return [
        Route(shares, endpoint("deltaSharingListShares", listings.list_shares, guard=recipient,
                               params=lambda r: {"options": listings.options(r)}), methods=["GET"]),
        Route(shares + "/{share}", endpoint("deltaSharingGetShare", listings.get_share, guard=recipient,
                                            params=lambda r: {"share": r.path_params["share"]}), methods=["GET"]),
        Route(shares + "/{share}/schemas", endpoint(
            "deltaSharingListSchemas", listings.list_schemas, guard=recipient,
            params=lambda r: {"share": r.path_params["share"], "options": listings.options(r)}), methods=["GET"]),
        Route(shares + "/{share}/schemas/{schema}/tables", endpoint(
            "deltaSharingListTables", listings.list_tables, guard=recipient,
            params=lambda r: {"share": r.path_params["share"], "schema": r.path_params["schema"],
                              "options": listings.options(r)}), methods=["GET"]),
        Route(shares + "/{share}/all-tables", endpoint(
            "deltaSharingListAllTables", listings.list_all_tables, guard=recipient,
            params=lambda r: {"share": r.path_params["share"], "options": listings.options(r)}), methods=["GET"]),
    ]


def _table_routes() -> list[BaseRoute]:
    def table(action: str, handler: Callable[[Call[Caller]], Result], *, raw: bool = False) -> Endpoint:
        return endpoint(action, handler, guard=recipient, raw=raw, params=tables.table_params)

    version = table("deltaSharingGetTableVersion", tables.table_version)
    return [
        Route(PROTOCOL_TABLE, version, methods=["HEAD"]),
        Route(PROTOCOL_TABLE + "/version", version, methods=["GET"]),
        Route(PROTOCOL_TABLE + "/metadata", table("deltaSharingGetTableMetadata", tables.table_metadata),
              methods=["GET"]),
        Route(PROTOCOL_TABLE + "/query", table("deltaSharingQueryTable", tables.query_table, raw=True),
              methods=["POST"]),
        Route(PROTOCOL_TABLE + "/changes", table("deltaSharingQueryTableChanges", tables.table_changes_route),
              methods=["GET"]),
    ]


def routes() -> list[BaseRoute]:
    return [
        RouteGroup(PROTOCOL + "/", [*_listing_routes(), *_table_routes()]),
        Route(FILES + "{area}/{key}/{rest:path}", endpoint(None, files.serve_file, guard=files.signed_file,
                                                           params=no_params), methods=["GET", "HEAD"]),
        Route(ACTIVATION_PAGE, endpoint("deltaSharingRecipientOpenedActivationLink", activation_page.activation_page,
                                        guard=public, params=no_params), methods=["GET"]),
        Route(ACTIVATION_PAGE + "/download", endpoint("retrieveRecipientToken", activation_page.activation_download,
                                                      guard=public, params=no_params), methods=["POST"]),
    ]
