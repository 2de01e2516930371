"""Server housekeeping: health, the SDK's host-metadata probe, the current user, and demo/table set-up."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server import paths, preview
from sharekit.server.audit.log import RequestAudit
from sharekit.server.body import opt_str, req_str
from sharekit.server.endpoint import Call, admin, endpoint, server_state
from sharekit.server.settings import WORKSPACE_ID


async def health(request: Request) -> Response:
    state = server_state(request)
    return JSONResponse({"status": "ok", "pid": os.getpid(), "home": str(state.home.root)})


async def databricks_config(request: Request) -> Response:
    # Answered at once so WorkspaceClient() never stalls (a 404 would make the SDK log a warning).
    return JSONResponse({"workspace_id": WORKSPACE_ID, "cloud": "local"})


async def current_user(request: Request) -> Response:
    user = admin(request, server_state(request), RequestAudit("", {}))
    return JSONResponse({
        "id": "1",
        "userName": user,
        "displayName": "sharekit admin",
        "active": True,
        "emails": [{"value": user, "primary": True, "type": "work"}],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    })


async def create_demo(request: Request) -> Response:
    admin(request, server_state(request), RequestAudit("", {}))
    from sharekit.demo.tables import create_demo_tables

    state = server_state(request)
    created = create_demo_tables(state.home.tables_dir)
    return JSONResponse({"created": created, "workspace_id": WORKSPACE_ID})


def register_table(call: Call[str]) -> dict[str, str | None]:
    """``{"name": "main.x.y", "path": "/abs/delta/folder", "comment": "..."}``: share a Delta folder that lives
    outside ``home/tables`` under a Unity Catalog name (it then lists, describes and shares like any table)."""
    from pathlib import Path

    entry = call.state.tables.register(req_str(call.body, "name"), Path(req_str(call.body, "path")),
                                       comment=opt_str(call.body, "comment"))
    return {"full_name": entry.full_name, "path": str(entry.path), "table_type": entry.table_type,
            "comment": entry.comment}


def list_registered_tables(call: Call[str]) -> dict[str, list[dict[str, str | None]]]:
    return {"tables": [{"full_name": e.full_name, "path": str(e.path), "table_type": e.table_type}
                       for _, e in sorted(call.state.tables.entries().items())]}


def unregister_table(call: Call[str]) -> dict[str, str]:
    call.state.tables.unregister(call.path("full_name"))
    return {}


def routes() -> list[BaseRoute]:
    return [
        Route(paths.HEALTH, health, methods=["GET"]),
        Route(paths.DATABRICKS_CONFIG, databricks_config, methods=["GET"]),
        Route(paths.SCIM_ME, current_user, methods=["GET"]),
        Route(paths.ADMIN + "/demo", create_demo, methods=["POST"]),
        Route(paths.ADMIN + "/tables", endpoint("registerTable", register_table, guard=admin, fields={"name", "path", "comment"},
                                                 audit_params=lambda c: {"name": c.body.get("name")}),
              methods=["POST"]),
        Route(paths.ADMIN + "/tables", endpoint("listRegisteredTables", list_registered_tables, guard=admin), methods=["GET"]),
        Route(paths.ADMIN + "/tables/{full_name}", endpoint("unregisterTable", unregister_table, guard=admin), methods=["DELETE"]),
        Route(paths.ADMIN + "/preview", endpoint("previewAsRecipient", preview.handle, guard=admin), methods=["GET"]),
    ]
