"""Assembles the embedded server: routes, middleware and the one error handler. No request logic here."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sharekit.server import openapi, routes_admin
from sharekit.server.audit.log import RequestAudit, request_event
from sharekit.server.errors import PayloadTooLarge, SharekitError, error_body
from sharekit.server.settings import MAX_BODY_BYTES
from sharekit.server.sharing import routes as sharing_routes
from sharekit.server.sql import routes as sql_routes
from sharekit.server.state import ServerState
from sharekit.server.uc import routes as uc_routes
from sharekit.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sharekit.server")


def create_app(state: ServerState, on_shutdown: Sequence[Callable[[], None]] = ()) -> Starlette:
    """The ASGI app; ``on_shutdown`` hooks run at graceful shutdown (uvicorn re-raises SIGTERM afterwards,
    so code after ``server.run()`` would never run)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for hook in on_shutdown:
            hook()

    routes = [
        *routes_admin.routes(),
        *uc_routes.routes(),
        *sql_routes.routes(),
        *sharing_routes.routes(),
        *openapi.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={SharekitError: _render_error, HTTPException: _render_http_exception,
                            ClientDisconnect: _render_disconnect, Exception: _render_crash},
        lifespan=lifespan,
    )
    app.state.sharekit = state
    app.add_middleware(AuditMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    return app


def _error_response(request: Request, status: int, error_code: str, message: str) -> Response:
    entry = getattr(request.state, "audit", None)
    if isinstance(entry, RequestAudit):
        entry.error_message = f"{error_code}: {message}"
    return JSONResponse(error_body(request.url.path, error_code, message), status_code=status)


async def _render_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SharekitError)
    return _error_response(request, exc.status, exc.error_code, exc.message)


async def _render_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    return _error_response(request, exc.status_code, codes.get(exc.status_code, "BAD_REQUEST"), str(exc.detail))


async def _render_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away before its request body was complete (a slow or hostile client): not a server error,
    so no traceback; the audit event records a 400 that nobody receives."""
    return _error_response(request, 400, "REQUEST_INCOMPLETE", "the client closed the connection before the "
                                                               "request body was complete")


async def _render_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_response(request, 500, "INTERNAL_ERROR", "internal error")


class BodyLimitMiddleware:
    """Refuses bodies over MAX_BODY_BYTES with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            await _send_json(send, scope, 413, "REQUEST_TOO_LARGE", f"request body over {MAX_BODY_BYTES} bytes")
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    raise PayloadTooLarge(f"request body over {MAX_BODY_BYTES} bytes")
            return message

        await self.app(scope, limited_receive, send)


async def _send_json(send: Send, scope: Scope, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(scope.get("path", ""), code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AuditMiddleware:
    """Records the action a handler declared (``audit_request``) as the response starts.

    The event is written before the status line goes out, so a response the client saw is always in the log;
    a crash that never produced a response is recorded as a 500 afterwards.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        request_state = scope.setdefault("state", {})
        request_state["request_id"] = request_id
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            entry = request_state.get("audit")
            if not recorded and isinstance(entry, RequestAudit):
                recorded = True
                state: ServerState = scope["app"].state.sharekit
                state.audit.record(request_event(scope, entry, status))

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            record(500)

