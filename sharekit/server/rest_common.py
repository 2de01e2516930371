"""Plumbing shared by the Unity Catalog REST handlers: the endpoint wrapper (audit first, then auth, then a
strictly checked JSON body, then the work in a worker thread) and typed accessors that turn wrong input
into 400 ``INVALID_PARAMETER_VALUE`` instead of a crash."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sharekit.server import paths
from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.errors import BadRequest
from sharekit.server.security import admin
from sharekit.server.state import ServerState
from sharekit.types import JSONObject

API = paths.UC_API
INT32_MAX = 2**31 - 1
SECRET_PATH_PARAMS = {"activation"}  # never written to the audit log
T = TypeVar("T")


@dataclass
class Call:
    """What a handler body gets: the request, the server state, the checked JSON body and the acting user."""

    request: Request
    state: ServerState
    body: JSONObject
    user: str | None
    audit: RequestAudit

    def path(self, key: str) -> str:
        return str(self.request.path_params[key])

    def query_int(self, key: str) -> int | None:
        raw = self.request.query_params.get(key)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError as err:
            raise BadRequest(f"Query parameter {key} must be an integer, got '{raw}'") from err
        if value < 0:
            raise BadRequest(f"Query parameter {key} must not be negative, got {value}")
        if value > INT32_MAX:
            raise BadRequest(f"Query parameter {key} is too large: {value}")
        return value

    def query_bool(self, key: str) -> bool:
        raw = self.request.query_params.get(key)
        if raw is None or raw == "":
            return False
        if raw.lower() not in ("true", "false"):
            raise BadRequest(f"Query parameter {key} must be true or false, got '{raw}'")
        return raw.lower() == "true"

    def query_str(self, key: str, *, required: bool = False) -> str | None:
        raw = self.request.query_params.get(key)
        if required and not raw:
            raise BadRequest(f"Query parameter {key} is required")
        return raw or None


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.sharekit
    return state


def require_admin(request: Request) -> str:
    """The provider's admin token guards every management call; returns the acting user's name."""
    state = server_state(request)
    admin.require_admin(request.headers.get("authorization"), state.admin_token)
    return state.admin_user


Handler = Callable[[Call], "JSONObject | list[Any]"]


def endpoint(action: str, handler: Handler, *, fields: Collection[str] = (), admin: bool = True,
             audit_params: Callable[[Call], dict[str, Any]] | None = None) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler``: declare the audit action first, then check the admin token, then parse the body
    (only ``fields`` are allowed), then run the handler in a worker thread (SQLite and Delta reads block)."""

    async def run(request: Request) -> Response:
        params = {k: str(v) for k, v in request.path_params.items() if k not in SECRET_PATH_PARAMS}
        name = params.pop("name", None) or params.pop("full_name", None)
        entry = audit_request(request, action, name=name, **params)
        raw = await request.body() if request.method in ("POST", "PATCH", "PUT") else b""

        def work() -> JSONObject | list[Any]:
            user = require_admin(request) if admin else None
            entry.user_email = user
            call = Call(request, server_state(request), parse_body(raw, fields), user, entry)
            if audit_params is not None:
                entry.request_params.update({k: str(v) for k, v in audit_params(call).items() if v is not None})
            return handler(call)

        return JSONResponse(await run_in_threadpool(work))

    return run


def parse_body(raw: bytes, fields: Collection[str]) -> JSONObject:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # RecursionError: nested too deeply
        raise BadRequest(f"Malformed JSON request body: {err}", "MALFORMED_REQUEST") from err
    return obj_of(body, "request body", fields)


def obj_of(value: Any, where: str, fields: Collection[str]) -> JSONObject:
    """``value`` must be a JSON object whose keys are all in ``fields``."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be a JSON object, got {_kind(value)}")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BadRequest(f"Unknown field '{unknown[0]}' in {where}")
    return value


def opt_str(body: JSONObject, key: str, where: str = "request") -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Field '{key}' in {where} must be a string, got {_kind(value)}")
    return value


def req_str(body: JSONObject, key: str, where: str = "request") -> str:
    value = opt_str(body, key, where)
    if value is None or value == "":
        raise BadRequest(f"Field '{key}' is required in {where}")
    return value


def opt_bool(body: JSONObject, key: str, where: str = "request") -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise BadRequest(f"Field '{key}' in {where} must be a boolean, got {_kind(value)}")


def opt_int(body: JSONObject, key: str, where: str = "request") -> int | None:
    """An int64 field; numeric strings are accepted, as the SDK accepts them."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"Field '{key}' in {where} must be an integer, got {_kind(value)}")
    if not -(2**63) <= value < 2**63:
        raise BadRequest(f"Field '{key}' in {where} is out of range")
    return value


def opt_list(body: JSONObject, key: str, where: str = "request") -> list[Any] | None:
    value = body.get(key)
    if value is None or isinstance(value, list):
        return value
    raise BadRequest(f"Field '{key}' in {where} must be a list, got {_kind(value)}")


def opt_enum(body: JSONObject, key: str, allowed: Collection[str], where: str = "request") -> str | None:
    value = opt_str(body, key, where)
    if value is not None and value not in allowed:
        raise BadRequest(f"Invalid value '{value}' for {key} in {where}: expected one of {', '.join(sorted(allowed))}")
    return value


def str_list(values: list[Any], where: str) -> list[str]:
    for value in values:
        if not isinstance(value, str):
            raise BadRequest(f"{where} must be a list of strings, got an element of type {_kind(value)}")
    return values


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def drop_none(payload: JSONObject) -> JSONObject:
    return {k: v for k, v in payload.items() if v is not None}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
