"""Assembles the embedded server: routes, middleware and the one error handler. No request logic here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sharekit.server.admin import routes as admin_routes
from sharekit.server.audit.log import RequestAudit
from sharekit.server.errors import SharekitError, error_body
from sharekit.server.middleware import AuditMiddleware, BodyLimitMiddleware, signed_read
from sharekit.server.paths import FILES, collapse_protocol_slashes
from sharekit.server.sharing import routes as sharing_routes
from sharekit.server.sharing.routes.files import Answer
from sharekit.server.sql import routes as sql_routes
from sharekit.server.state import ServerState
from sharekit.server.uc import routes as uc_routes
from sharekit.server.uc.retried_writes import connection_of
from sharekit.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("sharekit.server")


def create_app(state: ServerState, on_shutdown: Sequence[Callable[[], None]] = ()) -> SharekitApp:
    """The ASGI app; ``on_shutdown`` hooks run at graceful shutdown (uvicorn re-raises SIGTERM afterwards,
    so code after ``server.run()`` would never run)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for hook in on_shutdown:
            hook()

    routes = [
        *admin_routes.routes(),
        *uc_routes.routes(),
        *sql_routes.routes(),
        *sharing_routes.routes(),
        *admin_routes.openapi_routes(),
    ]
    app = SharekitApp(
        state,
        routes=routes,
        exception_handlers={SharekitError: _render_error, HTTPException: _render_http_exception,
                            ClientDisconnect: _render_disconnect, Exception: _render_crash},
        lifespan=lifespan,
    )
    app.state.sharekit = state
    app.add_middleware(AuditMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(AnswersRead)
    app.add_middleware(ProtocolSlashes)  # outermost: routing, audit and errors all see the served path
    return app


# A scope key a server sets when it already asked ``quick_answer`` and got None: the app does not ask again.
QUICK_ASKED = "sharekit.quick_asked"


class SharekitApp(Starlette):
    """Starlette, with one shortcut in front of its middleware stack: HEADs and small ranges of valid signed file
    URLs (``middleware.signed_read``), what a client sends most, about nine per file it reads."""

    def __init__(self, sharekit: ServerState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sharekit = sharekit

    def quick_answer(self, scope: Scope) -> Answer | None:
        """The whole answer to a HEAD or small range of a valid signed file URL, or None (the app answers). The
        httptools protocol calls this from its parser (``connections.direct``); ``__call__`` for other servers."""
        if not scope["path"].startswith(FILES) or scope["method"] not in ("GET", "HEAD"):
            return None
        answer = signed_read(self._sharekit, scope)
        if answer is not None:
            self._sharekit.replies.acknowledge(connection_of(scope.get("client")))  # what AnswersRead does
        return answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get(QUICK_ASKED):
            answer = self.quick_answer(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await super().__call__(scope, receive, send)


class AnswersRead:
    """A request on a connection proves its client read the answers sent on it before: retries of those writes
    are no longer expected (``uc.retried_writes``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state: ServerState = scope["app"].state.sharekit
            state.replies.acknowledge(connection_of(scope.get("client")))
        await self.app(scope, receive, send)


class ProtocolSlashes:
    """Serves ``/delta-sharing//shares`` as ``/delta-sharing/shares``: a profile's ``endpoint`` ends with ``/``
    and clients that join ``endpoint + "/shares"`` send the doubled slash. Rewriting (not redirecting) keeps POST
    bodies and bearer tokens, which many clients drop on a redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = collapse_protocol_slashes(scope["path"])
            if path != scope["path"]:
                raw = scope.get("raw_path")
                scope = {**scope, "path": path,
                         "raw_path": collapse_protocol_slashes(raw.decode("latin-1")).encode("latin-1")
                         if isinstance(raw, bytes) else raw}
        await self.app(scope, receive, send)


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
