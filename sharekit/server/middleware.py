"""The two middlewares: the body limit (413 before a handler reads too much) and the audit log (every declared
action is recorded as the response starts); and ``signed_read``, which the app runs before either of them:
HEADs and small ranges of valid signed file URLs answered straight from the event loop (``files.inline_answer``:
not audited, like every good download; anything else takes the route, where refusals are audited)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING

from sharekit.server.audit.log import RequestAudit, request_event
from sharekit.server.errors import PayloadTooLarge, error_body
from sharekit.server.settings import MAX_BODY_BYTES
from sharekit.server.sharing.routes import files
from sharekit.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

log = logging.getLogger("sharekit.server")


def signed_read(state: ServerState, scope: Scope) -> files.Answer | None:
    """The whole answer (with its ``x-request-id``) to a HEAD or small range of a valid signed file URL, or None:
    the app answers. The client reads each file with ~9 such requests: they skip routing and every middleware."""
    try:
        answer = files.inline_answer(state, scope)
    except Exception:  # a bug here must not cost the answer: the route runs the same checks and reports errors
        log.exception("inline file answer failed on %s; the route answers", scope.get("path"))
        return None
    if answer is None:
        return None
    status, headers, body = answer
    return status, [*headers, (b"x-request-id", uuid.uuid4().hex.encode())], body


class _HTTPMiddleware:
    """Passes everything but HTTP requests (lifespan) straight through to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimitMiddleware(_HTTPMiddleware):
    """Refuses bodies over MAX_BODY_BYTES with 413, whether announced by Content-Length or streamed."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


class AuditMiddleware(_HTTPMiddleware):
    """Records the action a handler declared (``audit_request``) as the response starts.

    The event is written before the status line goes out, so a response the client saw is always in the log;
    a crash that never produced a response is recorded as a 500 afterwards.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex
        request_state = scope.setdefault("state", {})
        request_state["request_id"] = request_id
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            entry = request_state.get("audit")
            if not recorded and isinstance(entry, RequestAudit):
                recorded = True
                server: ServerState = scope["app"].state.sharekit
                server.audit.record(request_event(scope, entry, status))

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            record(500)
