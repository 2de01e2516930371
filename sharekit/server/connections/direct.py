"""Requests the app can answer from their head alone, answered in the httptools parser's callback: no ASGI task,
no request-response cycle, one write for head and body. The app says which (``QuickAnswer``: the signed-file
HEADs and small ranges a client sends about nine of per file it reads); every other request, and every request
this module is unsure of, takes uvicorn's usual path.

Only a request that arrives alone is answered here: a GET or HEAD without a body, on a connection with no
answer pending (pipelined answers stay in order) and whose client reads its answers (writing is not paused: a
client that pipelines requests without reading would otherwise have every answer buffered in the server; uvicorn's
path waits for it), not an upgrade, not forwarded by a proxy (uvicorn's proxy middleware would rewrite its client
address), and within uvicorn's concurrency limit."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from sharekit.server.app import QUICK_ASKED

log = logging.getLogger("sharekit.server")

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body (with its content-length header)
QuickAnswer = Callable[[dict[str, Any]], "Answer | None"]  # from a scope with method, path, query and headers
_DECLINE = frozenset({b"content-length", b"transfer-encoding", b"x-forwarded-for", b"x-forwarded-proto",
                      b"forwarded"})


class DirectAnswers:
    """Mixed into the httptools protocol before it: ``_answer_directly()`` from ``on_headers_complete``."""

    quick: QuickAnswer | None = None
    # uvicorn's protocol provides these
    parser: Any
    headers: list[tuple[bytes, bytes]]
    url: bytes
    cycle: Any
    pipeline: Any
    connections: Any
    tasks: Any
    limit_concurrency: int | None
    root_path: str
    client: Any
    server_state: Any
    transport: Any
    flow: Any
    scope: Any

    _direct_close = False  # the answer written directly asks to close the connection once the message ends

    def _answer_directly(self) -> bool:
        """Write the whole answer now if the app has a quick one (True); False: take uvicorn's path."""
        quick = self.quick
        if quick is None or (self.cycle is not None and not self.cycle.response_complete) or self.pipeline \
                or self.flow.write_paused:
            return False
        method = self.parser.get_method()
        if method not in (b"GET", b"HEAD") or self.parser.should_upgrade() or (
                self.limit_concurrency is not None and (len(self.connections) >= self.limit_concurrency
                                                        or len(self.tasks) >= self.limit_concurrency)):
            return False
        for name, _ in self.headers:
            if name in _DECLINE:
                return False
        try:
            parsed = httptools.parse_url(self.url)
            path = parsed.path.decode("ascii")
        except (httptools.HttpParserError, UnicodeDecodeError):
            return False  # uvicorn's path refuses it as it always has
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope = {"method": method.decode("ascii"), "path": self.root_path + path,
                 "query_string": parsed.query or b"", "headers": self.headers, "client": self.client}
        try:
            answer = quick(scope)
        except Exception:  # a bug here must not cost the answer: the app runs the same checks and reports errors
            log.exception("direct answer failed on %s; the app answers", scope["path"])
            return False
        if answer is None:
            self.scope[QUICK_ASKED] = True  # uvicorn's scope for the app: the same checks would say None again
            return False
        status, headers, body = answer
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            content.extend((name, b": ", value, b"\r\n"))
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content.append(b"\r\n")
        if method != b"HEAD":
            content.append(body)
        self.transport.write(b"".join(content))
        self._direct_close = not keep_alive
        return True
