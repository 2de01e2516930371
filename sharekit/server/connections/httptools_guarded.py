"""uvicorn's httptools protocol (the llhttp C parser) with the guard, and the head size limit that h11 has built in
(``MAX_INCOMPLETE_EVENT_BYTES``) and httptools lacks.

httptools parses eagerly (pipelined requests are parsed while an earlier one is answered), so the protocol keeps
its own phase from the parser's callbacks instead of asking a state machine: ``head`` from the connection's start
or the response's end until a head is complete, ``body`` until the message is complete, then ``busy``."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sharekit.server.connections.direct import DirectAnswers
from sharekit.server.connections.guard import Guard, Phase
from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_INCOMPLETE_EVENT_BYTES


class HeadTooLarge(Exception):
    """Raised inside a parser callback: httptools turns it into a parser error, which uvicorn answers with 400."""


class GuardedHttpToolsProtocol(Guard, DirectAnswers, HttpToolsProtocol):
    """uvicorn's httptools protocol plus the deadlines, the idle bound, the head size limit, and the app's quick
    answers written directly (``direct``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_init()
        self._current: Phase = "head"
        self._head_begun = False  # a byte of the current head was parsed
        self._head_parsed = 0  # bytes of the current head's URL and complete header lines
        self._head_spanned = 0  # bytes of the chunks that were all head (what the parser holds of a long line)
        self._head_done_in_chunk = False
        self._direct = False  # the current request was answered directly; its message has not ended yet

    def _phase(self) -> Phase:
        return self._current

    def data_received(self, data: bytes) -> None:
        # The chunk is all head when the connection waited for one (or was inside one) and no head ended in it.
        all_head = self._current == "head" and (self._head_begun or self._idle_since is not None)
        self._head_done_in_chunk = False
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:  # closed, or upgraded
            self._cancel()
            return
        if self._current == "head" and self._head_begun:
            if all_head and not self._head_done_in_chunk:
                self._head_spanned += len(data)
            if max(self._head_spanned, self._head_parsed) > MAX_INCOMPLETE_EVENT_BYTES:
                self.send_400_response("Invalid HTTP request received.")
        elif self._current == "body" and self._deadline is None:
            self._arm(BODY_TIMEOUT_S)

    # -- parser callbacks: the phase ---------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._current, self._head_begun, self._head_parsed, self._head_spanned = "head", True, 0, 0
        if self._deadline is None:  # the first byte of a head after a keep-alive pause (or a pipelined one)
            self._arm(HEADER_TIMEOUT_S)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._current, self._head_begun, self._idle_since = "body", False, None
        self._head_done_in_chunk = True
        self._cancel()  # the body deadline is armed after the chunk unless the message completes in it
        if self._answer_directly():
            self._direct = True
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._direct:  # (a direct answer is only for a request without a body)
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._current = "busy"
        self._cancel()
        if self._direct:  # no cycle: the answer is out; finish as uvicorn finishes a response
            self._direct = False
            if self._direct_close:
                self.transport.close()
            else:
                self.on_response_complete()
            return
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return  # a pipelined request is still being answered
        if self._current == "busy":
            self._current = "head"
            self._wait_for_head(fresh=False, head_timeout=HEADER_TIMEOUT_S)  # keep-alive covers the pause
        elif self._current == "head":  # the next head has begun: its deadline stands
            self._idle_since = self.loop.time()

    def _count(self, size: int) -> None:
        self._head_parsed += size
        if self._head_parsed > MAX_INCOMPLETE_EVENT_BYTES:
            raise HeadTooLarge(f"request head over {MAX_INCOMPLETE_EVENT_BYTES} bytes")
