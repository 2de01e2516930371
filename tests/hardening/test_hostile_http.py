"""Hostile HTTP: path traversal, oversized bodies, slow clients, malformed predicate hints, capability headers
and credentials. Each is answered with a 4xx (or, for predicate hints, which the protocol makes best-effort,
with the unfiltered answer), and a well-behaved recipient is served correctly at the same time.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sharekit.server.security import signing
from tests.hardening.conftest import Reader, ServerProcess, make_reader, make_share, ndjson

pytestmark = pytest.mark.hostile

ORDERS = "sales/tables/orders"


@pytest.fixture(scope="module")
def reader(module_server: ServerProcess) -> Reader:
    client = module_server.client()
    share = make_share(client, "hostile_share", "main.sales.orders", "main.inventory.stock_levels",
                       region_partitioned=True)
    return make_reader(client, share, {"region": "EU"})


def query(reader: Reader, body: Any = None, headers: dict[str, str] | None = None,
          table: str = ORDERS) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body if body is not None else {})
    return requests.post(f"{reader.endpoint}shares/{reader.share}/schemas/{table}/query", data=data,
                         headers={**reader.headers, "Content-Type": "application/json", **(headers or {})}, timeout=30)


def file_names(response: requests.Response) -> list[str]:
    return sorted(line["file"]["id"] for line in ndjson(response.text) if "file" in line)


class Bystander:
    """A well-behaved recipient querying in a loop while the hostile traffic runs; records every answer."""

    def __init__(self, reader: Reader, expected: list[str]) -> None:
        self.reader, self.expected = reader, expected
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                response = query(self.reader)
                if response.status_code != 200 or file_names(response) != self.expected:
                    self.errors.append(f"{response.status_code} {response.text[:200]}")
            except requests.RequestException as err:
                self.errors.append(repr(err))
            self.latencies.append(time.perf_counter() - started)

    def __enter__(self) -> Bystander:  # noqa: PYI034 (a final class; Self needs typing_extensions on 3.10)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A short hostile test may end before the bystander has three answers; let it reach three (the latency
        # bound below still applies to each), so the count never depends on how fast the hostile part ran.
        deadline = time.monotonic() + 10
        while len(self.latencies) < 3 and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        self._thread.join(timeout=60)
        assert self.errors == [], self.errors[:5]
        assert len(self.latencies) >= 3 and max(self.latencies) < 5.0, self.latencies[-5:]


@pytest.fixture
def bystander(reader: Reader) -> Iterator[Bystander]:
    expected = file_names(query(reader))
    assert expected
    with Bystander(reader, expected) as watcher:
        yield watcher


def raw_request(url: str, payload: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes as they are (no client-side normalisation of the path); return the whole answer."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):  # the server may drop a garbage connection at once
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_path_traversal_never_reaches_outside_the_table(module_server: ServerProcess, reader: Reader,
                                                        bystander: Bystander) -> None:
    home = module_server.home
    secret = bytes.fromhex((home / "server.secret").read_text().strip())
    key = signing.table_key(secret, "main.sales.orders")
    table = home / "tables" / "main" / "sales" / "orders"
    escape = table / "escape.parquet"  # a symlink inside the table folder that points at the secret
    os.symlink(home / "server.secret", escape)
    try:
        relatives = ["../../../../server.secret", "../../../../catalog.db", "region=EU/../../../../admin.token",
                     "_delta_log/00000000000000000000.json", "/etc/passwd", "escape.parquet", "./x.parquet",
                     "a//b.parquet", "a\\..\\..\\b", "x\x00.parquet", "%2e%2e/%2e%2e/server.secret"]
        now_ms = int(time.time() * 1000)
        for relative in relatives:  # even correctly signed URLs (the server's own secret) may not escape
            url = signing.sign(secret, module_server.url, "t", key, relative, now_ms).url
            response = requests.get(url, timeout=10)
            assert response.status_code in (403, 404), (relative, response.status_code)
            assert b"dapi" not in response.content and secret.hex().encode() not in response.content
        for area in ("c", "x", ".."):
            url = signing.sign(secret, module_server.url, area, key, "../../server.secret", now_ms).url
            assert requests.get(url, timeout=10).status_code in (403, 404)
    finally:
        escape.unlink()
    unsigned = [b"/files/t/" + key.encode() + b"/../../../../server.secret",
                b"/files/t/" + key.encode() + b"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/server.secret",
                b"/files/t/../../server.secret", b"/files/%2e%2e/%2e%2e/admin.token",
                b"/api/2.1/unity-catalog/public/data_sharing_activation/../../recipients",
                b"/api/2.1/unity-catalog/public/data_sharing_activation_info/..%2f..%2frecipients",
                b"/delta-sharing/shares/../../api/2.1/unity-catalog/recipients",
                b"/delta_sharing/retrieve_config.html/../../../admin.token"]
    for path in unsigned:
        answer = raw_request(module_server.url, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert 400 <= status_of(answer) < 500, (path, answer[:200])
        assert module_server.admin_token.encode() not in answer and b"recipients\":" not in answer


def test_oversized_bodies_are_413(module_server: ServerProcess, reader: Reader, bystander: Bystander) -> None:
    big = b"{" + b" " * (2 << 20) + b"}"
    admin = {"Authorization": f"Bearer {module_server.admin_token}", "Content-Type": "application/json"}
    for url, headers in ((f"{module_server.url}/api/2.1/unity-catalog/shares", admin),
                         (f"{reader.endpoint}shares/{reader.share}/schemas/{ORDERS}/query", reader.headers),
                         (f"{module_server.url}/api/2.0/sql/statements", admin)):
        announced = requests.post(url, data=big, headers=headers, timeout=30)
        assert announced.status_code == 413, announced.text[:200]
        streamed = requests.post(url, data=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                                 headers=headers, timeout=30)  # chunked: no Content-Length to refuse up front
        assert streamed.status_code == 413, streamed.text[:200]
        body = streamed.json()
        assert body.get("error_code", body.get("errorCode")) == "REQUEST_TOO_LARGE"
    lying = raw_request(module_server.url, b"POST /api/2.1/unity-catalog/shares HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 99999999999999999999\r\nConnection: close\r\n\r\n{}")
    assert 400 <= status_of(lying) < 500
    huge_header = raw_request(module_server.url, b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\nX-Big: "
                              + b"a" * (256 << 10) + b"\r\nConnection: close\r\n\r\n")
    assert huge_header == b"" or 400 <= status_of(huge_header) < 500


def test_slow_clients_do_not_starve_others(module_server: ServerProcess, reader: Reader,
                                           bystander: Bystander) -> None:
    host, port = module_server.url.split("//")[1].split(":")
    slow: list[socket.socket] = []
    try:
        for index in range(64):  # slowloris: requests whose headers never finish, and bodies that trickle
            sock = socket.create_connection((host, int(port)), timeout=5)
            if index % 2:
                sock.sendall(b"GET /sharekit/health HTTP/1.1\r\nHost: x\r\n")
            else:
                sock.sendall(b"POST /api/2.1/unity-catalog/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                             b"Content-Type: application/json\r\n\r\n{")
            slow.append(sock)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for sock in slow:
                sock.sendall(b"X-a: b\r\n" if slow.index(sock) % 2 else b" ")
            time.sleep(0.2)
        fast = [requests.get(f"{module_server.url}/sharekit/health", timeout=5) for _ in range(10)]
        assert all(r.status_code == 200 for r in fast)
    finally:
        for sock in slow:
            sock.close()


HINTS: list[Any] = [
    "not json", "{", "[]", "null", "42", '"a string"', '{"op": "nonsense"}', '{"op": "equal"}',
    '{"op": "equal", "children": "x"}', '{"op": "equal", "children": [{"op": "column"}]}',
    json.dumps({"op": "equal", "children": [{"op": "column", "name": "region", "valueType": "string"},
                                            {"op": "literal", "value": "US", "valueType": "int"}]}),
    json.dumps({"op": "lessThan", "children": [{"op": "column", "name": "order_id", "valueType": "long"},
                                               {"op": "literal", "value": "not a number", "valueType": "long"}]}),
    json.dumps({"op": "equal", "children": [{"op": "column", "name": "nope", "valueType": "string"},
                                            {"op": "literal", "value": "x", "valueType": "string"}]}),
    '{"op": "not", "children": [' * 5000 + '{"op": "true"}' + "]}" * 5000,
    json.dumps({"op": "or", "children": [{"op": "equal"}] * 20_000}),
    "\u0000\u202e",
]


def test_malformed_predicate_hints_are_ignored_soundly(module_server: ServerProcess, reader: Reader,
                                                        bystander: Bystander) -> None:
    """Hints are best effort (protocol): unusable hints must never drop a file the recipient may read."""
    everything = file_names(query(reader))
    for hint in HINTS:
        response = query(reader, {"jsonPredicateHints": hint})
        assert response.status_code in (200, 400), (hint[:80], response.status_code)
        if response.status_code == 200:
            assert file_names(response) == everything, hint[:80]
    for hints in (["region = 'US' OR 1=1"], ["'; DROP TABLE shares; --"], ["x" * 100_000]):
        response = query(reader, {"predicateHints": hints})
        assert response.status_code == 200 and file_names(response) == everything
    wrong_types = [{"predicateHints": "region = 'EU'"}, {"predicateHints": [1, 2]}, {"limitHint": "ten"},
                   {"limitHint": -1}, {"version": 1.5}, {"version": 10**30}, {"timestamp": 12},
                   {"timestamp": "yesterday"}, {"version": 0, "timestamp": "2020-01-01T00:00:00Z"},
                   {"endingVersion": 2}, [], "x", 7]
    for body in wrong_types:
        response = query(reader, body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["errorCode"]
    admin = {"Authorization": f"Bearer {module_server.admin_token}", "Content-Type": "application/json"}
    for raw in (b"{", b"\xff\xfe", b"{\"a\": " * 10_000, b"[" * 100_000):  # nesting deeper than Python recurses
        response = query(reader, raw)
        assert 400 <= response.status_code < 500, (raw[:20], response.status_code)
        for path in ("/api/2.1/unity-catalog/shares", "/api/2.0/sql/statements"):
            response = requests.post(module_server.url + path, data=raw, headers=admin, timeout=30)
            assert 400 <= response.status_code < 500, (path, raw[:20], response.status_code)


def test_malformed_capabilities_and_credentials(module_server: ServerProcess, reader: Reader,
                                                bystander: Bystander) -> None:
    for header in ("responseformat=xml", "responseformat=", ";;;==,,", "responseformat=parquet,avro",
                   "readerfeatures=deletionVectors;responseformat=delta", "a" * 8000, "responseFormat=DELTA",
                   "includeendstreamaction=maybe"):
        response = query(reader, headers={"delta-sharing-capabilities": header})
        assert response.status_code in (200, 400), (header[:40], response.status_code)
        if response.status_code == 400:
            assert response.json()["errorCode"]
    metadata = f"{reader.endpoint}shares/{reader.share}/schemas/{ORDERS}/metadata"
    for auth in ("Bearer", "Bearer ", "Basic abc", "Bearer " + "a" * 10_000, "Bearer " + reader.token + "x",
                 "Bearer " + reader.token.upper(), "bearer\t" + "x", "Token " + reader.token):
        response = requests.get(metadata, headers={"Authorization": auth}, timeout=10)
        assert response.status_code == 401, (auth[:30], response.status_code)
        assert response.json()["errorCode"] == "UNAUTHENTICATED"
        assert reader.token not in response.text
    answer = raw_request(module_server.url, b"GET /delta-sharing/shares HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                         + "ü".encode("latin-1") + b"\xff\r\nConnection: close\r\n\r\n")
    assert 400 <= status_of(answer) < 500
    garbage = raw_request(module_server.url, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64))
    assert garbage == b"" or 400 <= status_of(garbage) < 500  # a TLS hello on the plain port


def test_server_survived(module_server: ServerProcess) -> None:
    health = requests.get(f"{module_server.url}/sharekit/health", timeout=10)
    assert health.json()["pid"] == module_server.pid
    log = (module_server.home / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and "unhandled error" not in log, log[-2000:]
