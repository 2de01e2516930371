"""uvicorn's h11 protocol (pure Python) with the guard; the head size limit is h11's own
(``h11_max_incomplete_event_size``)."""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sharekit.server.connections.guard import Guard, Phase
from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S


class GuardedH11Protocol(Guard, H11Protocol):
    """uvicorn's h11 protocol plus the deadlines and the idle bound (pass as ``uvicorn.Config(http=…)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_init()

    def _phase(self) -> Phase:
        state = self.conn.their_state
        return "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else "busy"

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
            self._wait_for_head(fresh=False, head_timeout=HEADER_TIMEOUT_S)  # keep-alive covers the pause
