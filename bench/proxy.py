"""A small HTTP proxy in front of the embedded server: adds a fixed latency per call (a real workspace is tens
to hundreds of milliseconds away), logs each call's start and end, and lets a rule answer chosen calls itself
(a 500 or a 429 with ``Retry-After``) instead of forwarding them. Standard library only; used by
``bench_config.py`` and by the parallel-apply tests."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+

Answer = tuple[int, dict[str, str], bytes]
Rule = Callable[[str, str, bytes], Answer | None]  # (method, path, body) → an answer, or None to forward


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    status: int
    started: float
    ended: float
    body: bytes


class Proxy:
    """``with Proxy(upstream, delay_s=0.1) as proxy: proxy.url`` — calls go to ``upstream`` after ``delay_s``."""

    def __init__(self, upstream: str, delay_s: float = 0.0, rule: Rule | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay_s = delay_s
        self.rule = rule
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients hang up
        self.thread = threading.Thread(target=self.server.serve_forever, name="sharekit-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def answer(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if proxy.delay_s:
                time.sleep(proxy.delay_s)
            ruled = proxy.rule(self.command, self.path, body) if proxy.rule is not None else None
            status, headers, payload = ruled if ruled is not None else self.forward(body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            proxy.record(Seen(self.command, urlsplit(self.path).path, status, started, time.perf_counter(), body))

        def forward(self, body: bytes) -> Answer:
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(*proxy.upstream, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
            except (OSError, http.client.HTTPException):
                connection.close()  # the upstream closed a kept-alive connection: one fresh attempt
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
            payload = response.read()
            kept = {k: v for k, v in response.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")}
            return response.status, kept, payload

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = answer

    return Handler
