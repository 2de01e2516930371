"""``GET /sharekit/openapi.json``: an OpenAPI 3.0 description of both surfaces, generated from the live route table.

Every route the app serves is listed (the document is built from ``request.app.routes`` at request time, so a
route added later cannot be missing); operation ids, parameters and request bodies come from the hand-written
table in ``openapi_ops``. The Unity Catalog REST subset answers errors as ``{"error_code", "message"}``, the
Delta Sharing protocol as ``{"errorCode", "message"}``; every 4xx/5xx carries one of the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Route

from sharekit.server import paths
from sharekit.server.admin.openapi_ops import OPERATIONS
from sharekit.server.endpoint import Call
from sharekit.server.routing import RouteGroup
from sharekit.types import JSONObject

_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?}")
_ERROR_REST = {"type": "object", "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
               "required": ["error_code", "message"]}
_ERROR_PROTOCOL = {"type": "object", "properties": {"errorCode": {"type": "string"}, "message": {"type": "string"}},
                   "required": ["errorCode", "message"]}


def declared_operations(routes: Iterable[BaseRoute]) -> list[tuple[str, str]]:
    """(method, Starlette path) of every route; the HEAD that Starlette adds to each GET route is left out
    unless it is described on its own."""
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, RouteGroup):
            found.extend(declared_operations(route.routes))
            continue
        if not isinstance(route, Route):
            continue
        methods = route.methods or {"GET"}
        for method in sorted(methods):
            if method == "HEAD" and "GET" in methods and ("HEAD", route.path) not in OPERATIONS:
                continue
            found.append((method, route.path))
    return found


def openapi_path(path: str) -> str:
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    params = []
    for name, kind in _PARAM.findall(path):
        schema: dict[str, Any] = {"type": "integer", "minimum": 0} if kind == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _responses(path: str) -> dict[str, Any]:
    error = _ERROR_PROTOCOL if paths.is_protocol(path) else _ERROR_REST
    content = {"application/json": {"schema": error}}
    return {"200": {"description": "Success"}, "4XX": {"description": "Refused: bad input, credentials or access",
                                                       "content": content},
            "5XX": {"description": "Server error (never expected)", "content": content}}


def build_document(routes: Iterable[BaseRoute], server_url: str | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in declared_operations(routes):
        described = OPERATIONS.get((method, path))
        undocumented = {"operationId": f"{method.lower()}{path}", "x-undocumented": True, "security": []}
        operation: dict[str, Any] = dict(described) if described else undocumented
        parameters = _path_parameters(path) + list(operation.get("parameters", []))
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = _responses(path)
        paths.setdefault(openapi_path(path), {})[method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "sharekit embedded sharing server", "version": "1",
                 "description": "Unity Catalog REST subset (what databricks-sdk calls), statement execution, "
                                "the open Delta Sharing protocol, signed file URLs and the activation page."},
        "paths": paths,
        "components": {"securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer", "description": "The provider's admin token"},
            "recipientToken": {"type": "http", "scheme": "bearer", "description": "A recipient's bearer token"},
        }},
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def openapi_json(call: Call[None]) -> JSONObject:
    return build_document(call.request.app.routes, call.state.base_url)
