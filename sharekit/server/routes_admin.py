"""Server housekeeping: health, the SDK's host-metadata probe, the current user, and demo/table set-up."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server.audit import WORKSPACE_ID
from sharekit.server.auth import require_admin, server_state


async def health(request: Request) -> Response:
    state = server_state(request)
    return JSONResponse({"status": "ok", "pid": os.getpid(), "home": str(state.home.root)})


async def databricks_config(request: Request) -> Response:
    # Answered at once so WorkspaceClient() never stalls (a 404 would make the SDK log a warning).
    return JSONResponse({"workspace_id": WORKSPACE_ID, "cloud": "local"})


async def current_user(request: Request) -> Response:
    user = require_admin(request)
    return JSONResponse({
        "id": "1",
        "userName": user,
        "displayName": "sharekit admin",
        "active": True,
        "emails": [{"value": user, "primary": True, "type": "work"}],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    })


async def create_demo(request: Request) -> Response:
    require_admin(request)
    from sharekit.demo.tables import create_demo_tables

    state = server_state(request)
    created = create_demo_tables(state.home.tables_dir)
    return JSONResponse({"created": created, "workspace_id": WORKSPACE_ID})


def routes() -> list[BaseRoute]:
    return [
        Route("/sharekit/health", health, methods=["GET"]),
        Route("/.well-known/databricks-config", databricks_config, methods=["GET"]),
        Route("/api/2.0/preview/scim/v2/Me", current_user, methods=["GET"]),
        Route("/sharekit/admin/demo", create_demo, methods=["POST"]),
    ]
