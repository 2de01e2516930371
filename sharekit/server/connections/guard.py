"""The deadlines and the idle bound both guarded protocols share (``connections`` says what they guarantee).

A protocol mixes ``Guard`` in before uvicorn's class and tells it, through ``_phase()``, whether the client is
sending a request head (or is about to), a body, or neither; the guard arms and fires the timers."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_IDLE_CONNECTIONS

Phase = Literal["head", "body", "busy"]  # what the connection waits for from its client ("busy": nothing)


class Guard:
    """Timers and idle bookkeeping; uvicorn's protocol provides ``loop``, ``transport``, ``flow`` and
    ``connections``."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    flow: Any
    connections: set[Any]

    def _guard_init(self) -> None:
        self._idle_since: float | None = None  # waiting for a request head since (None: a request is in flight)
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def _phase(self) -> Phase:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """A new connection must send its first head in time, and counts as idle until it does."""
        super().connection_made(transport)  # type: ignore[misc]  # uvicorn's protocol, after this class
        self._wait_for_head(fresh=True, head_timeout=HEADER_TIMEOUT_S)
        evict_idle(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _wait_for_head(self, *, fresh: bool, head_timeout: float) -> None:
        """The connection now waits for a request head: it counts as idle; a fresh one must send it in time."""
        self._idle_since = self.loop.time()
        self._cancel()
        if fresh:
            self._arm(head_timeout)

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
        phase = self._phase()
        if self.transport.is_closing() or phase == "busy":
            self._deadline = None
            return
        if phase == "body" and self.flow.read_paused:  # our back-pressure, not theirs
            self._arm(BODY_TIMEOUT_S)
            return
        self._deadline = None
        self.close_connection()

    def close_connection(self) -> None:
        self._cancel()
        if not self.transport.is_closing():
            self.transport.close()


def evict_idle(newcomer: Guard) -> None:
    """Close the longest-waiting idle connections while more than ``MAX_IDLE_CONNECTIONS`` wait for a head."""
    idle = [c for c in newcomer.connections
            if isinstance(c, Guard) and c._idle_since is not None and not c.transport.is_closing()]
    excess = len(idle) - MAX_IDLE_CONNECTIONS
    if excess <= 0:
        return
    idle.sort(key=lambda c: c._idle_since or 0.0)
    for connection in idle[:excess]:
        if connection is not newcomer:
            connection.close_connection()
