"""Connections that cannot starve the server: uvicorn's HTTP protocols with read deadlines and a bound on idle
connections (``guard``), for the C parser (``httptools_guarded``, the default when httptools is installed) and
for h11 (``h11_guarded``, the pure-Python fallback).

uvicorn times out only a keep-alive connection after a response. A connection that never sends its request
head, one that sends it a byte at a time, and a body that trickles in all hold their slot for ever; about
``MAX_CONCURRENCY`` of them make every new request wait or get 503. Both protocols here guarantee:

- the request head must be complete ``HEADER_TIMEOUT_S`` after the connection opened (on a kept-alive
  connection: after the head's first byte; the silent pause before it is uvicorn's keep-alive timeout);
- the body must be complete ``BODY_TIMEOUT_S`` after the head (unless the server itself paused reading);
- at most ``MAX_IDLE_CONNECTIONS`` connections may wait for a request head at once: a new connection beyond
  that closes the one that has waited longest (an idle keep-alive connection costs its client one reconnect);
- a request head over ``MAX_INCOMPLETE_EVENT_BYTES`` gets 400 and the connection is closed.

A connection past its deadline is closed; a handler waiting for the rest of the body then sees the client
disconnect (``REQUEST_INCOMPLETE`` in the audit log).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, Literal

HttpName = Literal["auto", "httptools", "h11"]
HTTP_NAMES: tuple[HttpName, ...] = ("auto", "httptools", "h11")


def http_protocol(name: HttpName = "auto", quick: Callable[[dict[str, Any]], Any] | None = None) -> type:
    """The guarded protocol class for ``uvicorn.Config(http=…)``: ``auto`` is httptools when it is installed.
    ``quick`` is the app's answer from a request head alone (``direct``), which the httptools protocol writes
    without an ASGI cycle; h11 leaves every request to the app."""
    if name == "auto":
        name = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    if name == "httptools":
        # Imported on demand: each protocol module loads its parser (and uvicorn), which only `serve` needs.
        from sharekit.server.connections.httptools_guarded import GuardedHttpToolsProtocol

        if quick is None:
            return GuardedHttpToolsProtocol
        return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"quick": staticmethod(quick)})
    from sharekit.server.connections.h11_guarded import GuardedH11Protocol  # on demand too (h11, uvicorn)

    return GuardedH11Protocol
