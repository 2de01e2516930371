"""Slow and idle clients cannot starve the server (issue 16): connections that never send a request head, heads
that trickle in and bodies that never finish are closed after their deadline, and past ``MAX_IDLE_CONNECTIONS``
waiting connections the oldest make room, so a normal client still gets answers within a second.

Without the guard, ``MAX_CONCURRENCY`` idle sockets make uvicorn answer every new request with 503.
"""

from __future__ import annotations

import socket
import time

import pytest
import requests

from sharekit.server.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, MAX_CONCURRENCY, MAX_IDLE_CONNECTIONS
from tests.hardening.conftest import ServerProcess, stress

pytestmark = pytest.mark.hostile


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


def test_many_idle_sockets_do_not_starve_a_normal_client(module_server: ServerProcess) -> None:
    idle: list[socket.socket] = []
    try:
        for index in range(stress(MAX_CONCURRENCY + 100, 4 * MAX_CONCURRENCY)):
            sock = _connect(module_server)
            if index % 3 == 1:
                sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
            elif index % 3 == 2:
                sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n\r\n")  # then idle on keep-alive
            idle.append(sock)
        for _ in range(stress(10, 50)):
            started = time.perf_counter()
            answer = requests.get(f"{module_server.url}/sharekit/health", timeout=5)
            assert answer.status_code == 200, answer.text
            assert time.perf_counter() - started < 1.0
        # the oldest waiting connections were closed to make room; the newest are still open
        assert closed_by_server(idle[0], 2.0)
        assert not closed_by_server(idle[-1], 0.2)
        assert len(idle) > MAX_IDLE_CONNECTIONS
    finally:
        for sock in idle:
            sock.close()


def test_heads_and_bodies_that_never_finish_are_cut_off(module_server: ServerProcess) -> None:
    silent = _connect(module_server)
    trickle = _connect(module_server)
    body = _connect(module_server)
    try:
        trickle.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n")
        body.sendall(b"POST /api/2.1/unity-catalog/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                     b"Content-Type: application/json\r\n\r\n{")
        started = time.monotonic()
        while time.monotonic() - started < HEADER_TIMEOUT_S - 1:  # a header line every half second
            trickle.sendall(b"X-a: b\r\n")
            time.sleep(0.5)
        assert closed_by_server(silent, 3.0)
        assert closed_by_server(trickle, 3.0)
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
        if stress(0, 1):  # a trickling body: BODY_TIMEOUT_S after its head
            deadline = started + BODY_TIMEOUT_S - 1
            while time.monotonic() < deadline:
                body.sendall(b" ")
                time.sleep(0.5)
            assert closed_by_server(body, 5.0)
        assert requests.get(f"{module_server.url}/sharekit/health", timeout=5).status_code == 200
    finally:
        for sock in (silent, trickle, body):
            sock.close()
