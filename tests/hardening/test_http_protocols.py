"""Both HTTP protocols the server can run (httptools, the default, and h11) behave the same for clients:
pipelined requests are answered in order on one connection, a request head over ``MAX_INCOMPLETE_EVENT_BYTES``
gets a 400 whether it arrives at once or trickles in, and a big pipelined burst of small requests is not taken
for one big head (httptools parses eagerly; its head count must not add up several requests)."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sharekit.server.connections import http_protocol
from sharekit.server.settings import MAX_INCOMPLETE_EVENT_BYTES
from tests.hardening.conftest import ServerProcess, free_port

pytestmark = pytest.mark.hostile


@pytest.fixture(scope="module", params=["httptools", "h11"])
def any_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               demo_tables_template: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp(f"http_{request.param}") / "home"
    shutil.copytree(demo_tables_template, home / "tables")
    proc = ServerProcess(home, free_port(), http=request.param).start()
    try:
        yield proc
    finally:
        proc.stop()


def exchange(server: ServerProcess, payload: bytes, chunk: int = 0) -> bytes:
    """Send ``payload`` (in pieces of ``chunk`` bytes if given) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        try:
            for start in range(0, len(payload), chunk or len(payload) or 1):
                sock.sendall(payload[start:start + (chunk or len(payload))])
        except (BrokenPipeError, ConnectionResetError):  # the server answered and closed before the end
            pass
        answer = b""
        while True:
            try:
                data = sock.recv(1 << 16)
            except ConnectionResetError:
                break
            if not data:
                return answer
            answer += data
    return answer


def statuses(answer: bytes) -> list[int]:
    """The status codes of the answers in ``answer`` (bodies are JSON: a status line follows one directly)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def health(extra: bytes = b"", close: bool = False) -> bytes:
    return (b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n" + extra
            + (b"Connection: close\r\n" if close else b"") + b"\r\n")


def test_auto_is_httptools_when_it_is_installed() -> None:
    assert http_protocol("auto").__name__ == "GuardedHttpToolsProtocol"
    assert http_protocol("h11").__name__ == "GuardedH11Protocol"


def test_pipelined_requests_are_answered_in_order(any_server: ServerProcess) -> None:
    answer = exchange(any_server, health() + b"HEAD /sharekit/health HTTP/1.1\r\nHost: x\r\n\r\n"
                      + b"GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n" + health(close=True))
    assert statuses(answer) == [200, 200, 404, 200]


def test_a_pipelined_burst_is_not_one_big_head(any_server: ServerProcess) -> None:
    burst = health(b"X-Pad: " + b"p" * 200 + b"\r\n") * 1000  # ~250 KiB of small heads in one send
    answer = exchange(any_server, burst + health(close=True))
    assert len(burst) > 3 * MAX_INCOMPLETE_EVENT_BYTES
    assert statuses(answer) == [200] * 1001


@pytest.mark.parametrize("chunk", [0, 4096], ids=["at-once", "trickled"])
def test_heads_over_the_limit_get_400(any_server: ServerProcess, chunk: int) -> None:
    line = b"X-Big: " + b"a" * 1000 + b"\r\n"
    fits = health(line * (MAX_INCOMPLETE_EVENT_BYTES // 2 // len(line)), close=True)
    assert statuses(exchange(any_server, fits, chunk)) == [200]
    for big in (health(line * (2 * MAX_INCOMPLETE_EVENT_BYTES // len(line)), close=True),  # many lines
                health(b"X-Big: " + b"a" * (2 * MAX_INCOMPLETE_EVENT_BYTES) + b"\r\n", close=True),  # one line
                b"GET /" + b"a" * (2 * MAX_INCOMPLETE_EVENT_BYTES) + b" HTTP/1.1\r\nHost: x\r\n\r\n"):  # the URL
        answer = exchange(any_server, big, chunk)
        assert answer == b"" or statuses(answer) == [400], answer[:200]
