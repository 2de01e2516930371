"""Connections that cannot starve the server: uvicorn's h11 protocol with read deadlines and a bound on idle
connections.

uvicorn times out only a keep-alive connection after a response. A connection that never sends its request
head, one that sends it a byte at a time, and a body that trickles in all hold their slot for ever; about
``MAX_CONCURRENCY`` of them make every new request wait or get 503. Here:

- the request head must be complete ``HEADER_TIMEOUT_S`` after the connection opened (on a kept-alive
  connection: after the head's first byte; the silent pause before it is uvicorn's keep-alive timeout);
- the body must be complete ``BODY_TIMEOUT_S`` after the head (unless the server itself paused reading);
- at most ``MAX_IDLE_CONNECTIONS`` connections may wait for a request head at once: a new connection beyond
  that closes the one that has waited longest (an idle keep-alive connection costs its client one reconnect).

A connection past its deadline is closed; a handler waiting for the rest of the body then sees the client
disconnect (``REQUEST_INCOMPLETE`` in the audit log).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_IDLE_CONNECTIONS


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus the deadlines and the idle bound above (pass as ``uvicorn.Config(http=…)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_since: float | None = None  # waiting for a request head since (None: a request is in flight)
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._wait_for_head(fresh=True)
        _evict_idle(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        head_pending = self.conn.their_state is h11.IDLE
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            if head_pending and self._deadline is None:  # the first byte of a head after a keep-alive pause
                self._arm(HEADER_TIMEOUT_S)
        elif self.conn.their_state is h11.SEND_BODY:
            if head_pending:
                self._idle_since = None
                self._arm(BODY_TIMEOUT_S)
        else:
            self._idle_since = None
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._wait_for_head(fresh=False)  # uvicorn's keep-alive timeout covers the silent pause

    def _wait_for_head(self, *, fresh: bool) -> None:
        self._idle_since = self.loop.time()
        self._cancel()
        if fresh:
            self._arm(HEADER_TIMEOUT_S)

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._deadline = self.loop.time() + seconds
        self._timer = self.loop.call_at(self._deadline, self._on_deadline)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._deadline = None, None

    def _on_deadline(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._deadline = None
            return
        if self.conn.their_state is h11.SEND_BODY and self.flow.read_paused:  # our back-pressure, not theirs
            self._arm(BODY_TIMEOUT_S)
            return
        self._deadline = None
        self.close_connection()

    def close_connection(self) -> None:
        self._cancel()
        if not self.transport.is_closing():
            self.transport.close()


def _evict_idle(newcomer: GuardedH11Protocol) -> None:
    """Close the longest-waiting idle connections while more than ``MAX_IDLE_CONNECTIONS`` wait for a head."""
    idle = [c for c in newcomer.connections
            if isinstance(c, GuardedH11Protocol) and c._idle_since is not None and not c.transport.is_closing()]
    excess = len(idle) - MAX_IDLE_CONNECTIONS
    if excess <= 0:
        return
    idle.sort(key=lambda c: c._idle_since or 0.0)
    for connection in idle[:excess]:
        if connection is not newcomer:
            connection.close_connection()
