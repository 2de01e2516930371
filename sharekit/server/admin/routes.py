"""The admin area's route table and its small handlers: health, the SDK's host-metadata probe, the current user,
demo tables, table registration, preview-as-recipient and the OpenAPI document."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.routing import BaseRoute, Route

from sharekit.server import paths
from sharekit.server.admin import catalog_registration, openapi, preview
from sharekit.server.admin.demo_tables import create_demo_tables
from sharekit.server.body import opt_str, req_str
from sharekit.server.endpoint import Call, admin, body_name, endpoint, no_params, public
from sharekit.server.settings import WORKSPACE_ID
from sharekit.types import JSONObject


def health(call: Call[None]) -> JSONObject:
    return {"status": "ok", "pid": os.getpid(), "home": str(call.state.home.root)}


def databricks_config(call: Call[None]) -> JSONObject:
    # Answered at once so WorkspaceClient() never stalls (a 404 would make the SDK log a warning).
    return {"workspace_id": WORKSPACE_ID, "cloud": "local"}


def current_user(call: Call[str]) -> JSONObject:
    return {
        "id": "1",
        "userName": call.who,
        "displayName": "sharekit admin",
        "active": True,
        "emails": [{"value": call.who, "primary": True, "type": "work"}],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    }


def create_demo(call: Call[str]) -> JSONObject:
    return {"created": create_demo_tables(call.state.home.tables_dir), "workspace_id": WORKSPACE_ID}


def register_table(call: Call[str]) -> JSONObject:
    """``{"name": "main.x.y", "path": "/abs/delta/folder", "comment": "..."}``: share a Delta folder that lives
    outside ``home/tables`` under a Unity Catalog name (it then lists, describes and shares like any table)."""
    entry = call.state.tables.register(req_str(call.body, "name"), Path(req_str(call.body, "path")),
                                       comment=opt_str(call.body, "comment"),
                                       table_type=(opt_str(call.body, "table_type") or "EXTERNAL").upper())
    return {"full_name": entry.full_name, "path": str(entry.path), "table_type": entry.table_type,
            "comment": entry.comment}


def list_registered_tables(call: Call[str]) -> JSONObject:
    return {"tables": [{"full_name": e.full_name, "path": str(e.path), "table_type": e.table_type}
                       for _, e in sorted(call.state.tables.entries().items())]}


def unregister_table(call: Call[str]) -> JSONObject:
    call.state.tables.unregister(call.path("full_name"))
    return {}


def routes() -> list[BaseRoute]:
    """Housekeeping (not audited, as on Databricks: probes and set-up) and the audited admin calls."""
    tables = paths.ADMIN + "/tables"
    return [
        Route(paths.HEALTH, endpoint(None, health, guard=public, params=no_params), methods=["GET"]),
        Route(paths.DATABRICKS_CONFIG, endpoint(None, databricks_config, guard=public, params=no_params),
              methods=["GET"]),
        Route(paths.SCIM_ME, endpoint(None, current_user, guard=admin, params=no_params), methods=["GET"]),
        Route(paths.ADMIN + "/demo", endpoint(None, create_demo, guard=admin, params=no_params), methods=["POST"]),
        Route(tables, endpoint("registerTable", register_table, guard=admin,
                               fields={"name", "path", "comment", "table_type"},
                               audit_params=body_name), methods=["POST"]),
        Route(tables, endpoint("listRegisteredTables", list_registered_tables, guard=admin), methods=["GET"]),
        Route(tables + "/{full_name}", endpoint("unregisterTable", unregister_table, guard=admin),
              methods=["DELETE"]),
        *_catalog_object_routes(),
        Route(paths.ADMIN + "/preview", endpoint("previewAsRecipient", preview.handle, guard=admin), methods=["GET"]),
    ]


def _catalog_object_routes() -> list[BaseRoute]:
    objects, handlers = paths.ADMIN + "/catalog-objects", catalog_registration
    return [
        Route(objects, endpoint("registerCatalogObject", handlers.register, guard=admin,
                                fields=handlers.REGISTER_FIELDS, audit_params=body_name), methods=["POST"]),
        Route(objects, endpoint("listCatalogObjects", handlers.listing, guard=admin), methods=["GET"]),
        Route(objects + "/{kind}/{full_name}", endpoint("unregisterCatalogObject", handlers.unregister, guard=admin),
              methods=["DELETE"]),
    ]


def openapi_routes() -> list[BaseRoute]:
    """The OpenAPI document, listed last: it describes the route table as built."""
    return [Route(paths.OPENAPI, endpoint(None, openapi.openapi_json, guard=public, params=no_params),
                  methods=["GET"])]
