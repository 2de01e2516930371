"""The httptools server answers HEADs and small ranges of valid signed file URLs straight from its parser
(``connections.direct``); the h11 server answers them through the app. A client cannot tell the two apart: the
same statuses, headers and bytes, the same keep-alive and pipelining, and every URL is still checked (a URL the
direct path declines takes the route, which refuses it and audits the refusal)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sharekit.server.security import signing
from tests.hardening.conftest import Reader, ServerProcess, audit_events, free_port, make_reader, make_share

pytestmark = pytest.mark.hostile
VARYING = {"date", "x-request-id"}  # per answer by design


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[dict[str, ServerProcess]]:
    """One server per protocol, on copies of the same tables (same files, same modification times)."""
    started: dict[str, ServerProcess] = {}
    try:
        for http in ("httptools", "h11"):
            home = tmp_path_factory.mktemp(f"direct_{http}") / "home"
            shutil.copytree(demo_tables_template, home / "tables")
            started[http] = ServerProcess(home, free_port(), http=http).start()
        yield started
    finally:
        for proc in started.values():
            proc.stop()


@pytest.fixture(scope="module")
def urls(servers: dict[str, ServerProcess]) -> dict[str, str]:
    """The same data file's signed URL on each server."""
    out = {}
    for http, proc in servers.items():
        client = proc.client()
        reader: Reader = make_reader(client, make_share(client, "direct_share", "main.sales.orders"))
        lines = requests.post(f"{reader.endpoint}shares/{reader.share}/schemas/sales/tables/orders/query", json={},
                              headers=reader.headers, timeout=30).text.splitlines()
        files = sorted((json.loads(line)["file"] for line in lines[2:]), key=lambda f: f["id"])
        out[http] = files[0]["url"]
    return out


def _boundary(response: requests.Response) -> str:
    """The multipart boundary of a several-range answer (random per answer), or ''."""
    return response.headers.get("content-type", "").partition("boundary=")[2]


def _fixed(response: requests.Response) -> tuple[dict[str, str], bytes]:
    """The headers that do not vary per answer, and the body (a multipart boundary made constant)."""
    boundary = _boundary(response)
    headers = {k.lower(): v.replace(boundary, "B") if boundary else v for k, v in response.headers.items()
               if k.lower() not in VARYING}
    return headers, response.content.replace(boundary.encode(), b"B") if boundary else response.content


@pytest.mark.parametrize(("method", "headers"), [
    ("HEAD", {}), ("GET", {"Range": "bytes=0-65535"}), ("GET", {"Range": "bytes=4-99"}),
    ("GET", {"Range": "bytes=-8"}), ("HEAD", {"Range": "bytes=0-9"}), ("GET", {}),
    ("GET", {"Range": "bytes=0-9", "If-Range": '"other"'}), ("GET", {"Range": "bytes=0-1,5-6"}),
    ("GET", {"Range": "bytes=999999999-"}), ("HEAD", {"X-Forwarded-For": "10.1.2.3"}),
], ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()) or "-")
def test_both_protocols_answer_alike(servers: dict[str, ServerProcess], urls: dict[str, str], method: str,
                                     headers: dict[str, str]) -> None:
    answers = {http: requests.request(method, url, headers=headers, timeout=10) for http, url in urls.items()}
    direct, routed = answers["httptools"], answers["h11"]
    assert direct.status_code == routed.status_code, (direct.status_code, routed.status_code)
    assert _fixed(direct) == _fixed(routed)
    assert direct.headers["x-request-id"] and direct.headers["date"]


def _raw(server: ServerProcess, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(payload)
        answer = b""
        while chunk := sock.recv(1 << 16):  # until the server closes
            answer += chunk
        return answer


def _target(url: str) -> bytes:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}".encode()


def test_pipelined_file_reads_keep_their_order(servers: dict[str, ServerProcess], urls: dict[str, str]) -> None:
    for http, url in urls.items():
        target = _target(url)
        forged = target[:-1] + (b"0" if target[-1:] != b"0" else b"1")
        answer = _raw(servers[http], b"".join([
            b"HEAD " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n",
            b"HEAD " + forged + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n"]))
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]  # bodies end without CRLF
        assert statuses == [200, 200, 206, 403, 206], (http, answer[:300])
        assert answer.count(b"PAR1") == 2, http


def test_connection_rules_of_direct_answers(servers: dict[str, ServerProcess], urls: dict[str, str]) -> None:
    server, target = servers["httptools"], _target(urls["httptools"])
    old = _raw(server, b"HEAD " + target + b" HTTP/1.0\r\nHost: x\r\n\r\n")  # HTTP/1.0: closed after the answer
    assert old.startswith(b"HTTP/1.1 200") and b"connection: close" in old.lower()
    closing = _raw(server, b"HEAD " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert closing.startswith(b"HTTP/1.1 200") and b"connection: close" in closing.lower()
    with requests.Session() as session:  # keep-alive: many answers on one connection
        for _ in range(5):
            assert session.head(urls["httptools"], timeout=10).status_code == 200
            assert session.get(urls["httptools"], headers={"Range": "bytes=0-3"}, timeout=10).content == b"PAR1"


def test_every_url_is_still_checked_and_refusals_audited(servers: dict[str, ServerProcess],
                                                         urls: dict[str, str]) -> None:
    server, url = servers["httptools"], urls["httptools"]
    home = server.home
    secret = bytes.fromhex((home / "server.secret").read_text().strip())
    key = signing.table_key(secret, "main.sales.orders")
    table = home / "tables" / "main" / "sales" / "orders"
    escape = table / "escape.parquet"  # inside the folder, pointing outside it
    os.symlink(home / "server.secret", escape)
    try:
        now_ms = int(time.time() * 1000)
        refused = [url[:-1] + ("0" if url[-1] != "0" else "1"),  # a forged signature
                   signing.sign(secret, server.url, "t", key, "a.parquet", now_ms - 7_200_000).url,  # expired
                   signing.sign(secret, server.url, "x", key, "a.parquet", now_ms).url,  # no such area
                   *(signing.sign(secret, server.url, "t", key, relative, now_ms).url
                     for relative in ("escape.parquet", "_delta_log/0.json", "./x.parquet"))]
        for target in refused:
            for method, headers in (("HEAD", {}), ("GET", {"Range": "bytes=0-3"})):
                answer = requests.request(method, target, headers=headers, timeout=10)
                assert answer.status_code in (403, 404), (target, method, answer.status_code)
                assert secret.hex().encode() not in answer.content
    finally:
        escape.unlink()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the audit log is written behind the answers
        events = [e for e in audit_events(home) if e["action_name"] == "deltaSharingGetFile"]
        if len(events) >= 2 * len(refused):
            break
        time.sleep(0.2)
    assert len(events) >= 2 * len(refused) and all(400 <= e["response"]["status_code"] < 500 for e in events)


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_a_client_that_does_not_read_gets_no_answers_piled_up(servers: dict[str, ServerProcess],
                                                              urls: dict[str, str], http: str) -> None:
    """A client that pipelines file reads and never reads the answers: once its answers wait, the server stops
    reading its requests (back-pressure) instead of keeping every answer (8,000 of ~10 KB would be 80 MB)."""
    proc, url = servers[http], urlsplit(urls[http])
    request = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n".encode()
    before = _resident_mb(proc.pid)
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        sock.connect((url.hostname or "127.0.0.1", url.port or 80))
        sock.settimeout(1)
        try:
            for _ in range(8000):
                sock.sendall(request)
                sent += 1
        except TimeoutError:  # the server stopped reading: the requests fill the socket buffers
            pass
        time.sleep(1)
        grown = _resident_mb(proc.pid) - before
    assert grown < 30, f"the server holds {grown:.0f} MB more after {sent} unread answers"
