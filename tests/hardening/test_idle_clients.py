"""Slow and idle clients cannot starve the server (issue 16): connections that never send a request head, heads
that trickle in and bodies that never finish are closed after their deadline, and past ``MAX_IDLE_CONNECTIONS``
waiting connections the oldest make room, so a normal client still gets answers within a second.

Without the guard, ``MAX_CONCURRENCY`` idle sockets make uvicorn answer every new request with 503. Both HTTP
protocols the server can run (httptools, the default, and h11) are proven: each test runs against each.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_CONCURRENCY, MAX_IDLE_CONNECTIONS
from tests.hardening.conftest import ServerProcess, free_port, stress

pytestmark = pytest.mark.hostile
PROTOCOLS = {"httptools": "GuardedHttpToolsProtocol", "h11": "GuardedH11Protocol"}


@pytest.fixture(scope="module", params=sorted(PROTOCOLS))
def guarded_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   demo_tables_template: Path) -> Iterator[ServerProcess]:
    """A server running the HTTP protocol of the parameter (its start-up line names the class it runs)."""
    home = tmp_path_factory.mktemp(f"guard_{request.param}") / "home"
    shutil.copytree(demo_tables_template, home / "tables")
    proc = ServerProcess(home, free_port(), http=request.param).start()
    try:
        assert f", {PROTOCOLS[request.param]})" in (home / "server.log").read_text()
        yield proc
    finally:
        proc.stop()


def _connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def closed_by_server(sock: socket.socket, wait_s: float) -> bool:
    """True once the server closed the connection (EOF or reset) within ``wait_s``."""
    sock.settimeout(wait_s)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_many_idle_sockets_do_not_starve_a_normal_client(guarded_server: ServerProcess) -> None:
    idle: list[socket.socket] = []
    try:
        for index in range(stress(MAX_CONCURRENCY + 100, 4 * MAX_CONCURRENCY)):
            sock = _connect(guarded_server)
            if index % 3 == 1:
                sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
            elif index % 3 == 2:
                sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n\r\n")  # then idle on keep-alive
            idle.append(sock)
        for _ in range(stress(10, 50)):
            started = time.perf_counter()
            answer = requests.get(f"{guarded_server.url}/sharekit/health", timeout=5)
            assert answer.status_code == 200, answer.text
            assert time.perf_counter() - started < 1.0
        # the oldest waiting connections were closed to make room; the newest are still open
        assert closed_by_server(idle[0], 2.0)
        assert not closed_by_server(idle[-1], 0.2)
        assert len(idle) > MAX_IDLE_CONNECTIONS
    finally:
        for sock in idle:
            sock.close()


def _answered(sock: socket.socket) -> bytes:
    """One whole answer to a request sent on ``sock`` (its head and its Content-Length of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_heads_and_bodies_that_never_finish_are_cut_off(guarded_server: ServerProcess) -> None:
    silent = _connect(guarded_server)
    trickle = _connect(guarded_server)
    kept = _connect(guarded_server)  # answered once, then a second head trickles in on the kept-alive connection
    body = _connect(guarded_server)
    try:
        kept.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answered(kept).startswith(b"HTTP/1.1 200")
        for sock in (trickle, kept):
            sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n")
        body.sendall(b"POST /api/2.1/unity-catalog/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                     b"Content-Type: application/json\r\n\r\n{")
        started = time.monotonic()
        while time.monotonic() - started < HEADER_TIMEOUT_S - 1:  # a header line every half second
            for sock in (trickle, kept):
                sock.sendall(b"X-a: b\r\n")
            body.sendall(b" ")  # the body trickles too: it has longer (BODY_TIMEOUT_S)
            time.sleep(0.5)
        assert closed_by_server(silent, 3.0)
        assert closed_by_server(trickle, 3.0)
        assert closed_by_server(kept, 3.0)  # HEADER_TIMEOUT_S after the head's first byte, not keep-alive's 30 s
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
        assert not closed_by_server(body, 0.1)
        deadline = started + BODY_TIMEOUT_S - 1  # a trickling body: cut off BODY_TIMEOUT_S after its head
        while time.monotonic() < deadline:
            body.sendall(b" ")
            time.sleep(0.5)
        assert closed_by_server(body, 5.0)
        assert requests.get(f"{guarded_server.url}/sharekit/health", timeout=5).status_code == 200
    finally:
        for sock in (silent, trickle, kept, body):
            sock.close()
