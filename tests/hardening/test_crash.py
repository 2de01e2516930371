"""Crash: ``kill -9`` the server in the middle of (a) a large apply, (b) heavy recipient traffic, (c) token
rotation, restart it on the same port, and check what survived.

After each crash: the catalog passes SQLite's integrity check and the server serves again; every change whose
response a client saw is there; re-running the apply converges; and every request whose response a client saw
is in the audit log (``audit.py`` promises that events reach the write-ahead file before the status line goes
out, so the expected loss is zero events per crash; the figure is printed).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.config.plan import make_plan
from sharekit.server.audit import store as audit_store
from tests.hardening.conftest import (
    Reader,
    ServerProcess,
    activate,
    audit_events,
    make_reader,
    make_share,
    request_ids,
    stress,
)

pytestmark = pytest.mark.crash

API = "/api/2.1/unity-catalog"
TABLES = ["main.sales.orders", "main.analytics.customer_metrics", "main.analytics.product_sales"]


class Acks:
    """What the client saw acknowledged: every response (request id) and every successful write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.writes: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        with self.lock:
            if response.headers.get("x-request-id") and "/api/" in (request.url or ""):
                self.ids.append(response.headers["x-request-id"])
            if response.status_code == 200 and request.method in ("POST", "PATCH", "DELETE"):
                body = json.loads(request.body) if request.body else {}
                self.writes.append((request.method or "", urlsplit(request.url).path, body, response.json()))

    def attach(self, client: Any) -> Any:
        client.api_client._api_client._session.hooks["response"].append(self.hook)
        return client

    def count(self) -> int:
        with self.lock:
            return len(self.writes)


def crash_and_restart(server: ServerProcess, when: Any, timeout: float = 60) -> None:
    """Wait until ``when()`` is true, ``kill -9`` the server, start it again on the same port."""
    deadline = time.monotonic() + timeout
    while not when():
        assert time.monotonic() < deadline, "the crash point was never reached"
        time.sleep(0.001)
    server.kill9()
    server.start()


def catalog_is_clean(home: Path) -> None:
    conn = sqlite3.connect(home / "catalog.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def audit_loss(home: Path, acknowledged: list[str]) -> int:
    seen = request_ids(audit_events(home))
    return sum(1 for i in acknowledged if i not in seen)


def big_document(count: int) -> str:
    lines = ["shares:"]
    for i in range(count):
        lines += [f"  - name: crash_share_{i:03d}", f"    comment: share {i}", "    tables:"]
        lines += [f"      - {t}" for t in TABLES]
    lines.append("recipients:")
    lines += [f"  - {{name: crash_rcpt_{i:03d}, comment: recipient {i}, properties: {{region: EU}}}}"
              for i in range(count)]
    lines.append("grants:")
    lines += [f"  - {{share: crash_share_{i:03d}, recipient: crash_rcpt_{i:03d}}}" for i in range(count)]
    return "\n".join(lines) + "\n"


def test_kill_during_a_large_apply(server: ServerProcess) -> None:
    count = stress(25, 80)
    document = loads(big_document(count))
    acks = Acks()
    client = acks.attach(server.client())
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(apply(client, document, progress=False)))
    worker.start()
    crash_and_restart(server, lambda: acks.count() >= count + count // 2)  # mid-way through the share updates
    worker.join(timeout=120)
    assert results, "the apply returned (done, or failed with a report)"
    assert server.starts == 2  # the server really died mid-apply (the crash point is below the 4 x count writes)

    catalog_is_clean(server.home)
    check = server.client()
    shares = {s.name for s in check.shares.list_shares()}
    recipients = {r.name for r in check.recipients.list()}
    for method, path, body, answer in acks.writes:
        if method == "POST" and path == f"{API}/shares":
            assert body["name"] in shares
        elif method == "PATCH" and path.endswith("/permissions"):
            share = path.split("/")[-2]
            holders = {a.principal for a in check.shares.share_permissions(share).privilege_assignments or []}
            assert {c["principal"] for c in body["changes"] if c.get("add")} <= holders
        elif method == "PATCH" and path.startswith(f"{API}/shares/"):
            live = {o.name for o in check.shares.get(path.split("/")[-1], include_shared_data=True).objects or []}
            assert {u["data_object"]["name"] for u in body.get("updates", [])} <= live
        elif method == "POST" and path == f"{API}/recipients":
            assert body["name"] in recipients
    again = apply(check, document, progress=False)
    assert again.ok, again.summary()
    assert not make_plan(check, document).has_changes  # converged
    lost = audit_loss(server.home, acks.ids)
    first = results[0]
    print(f"\ncrash during apply: {acks.count()} writes acknowledged, first apply "
          f"{'completed' if first.ok else 'stopped: ' + first.summary()[:120]}; "
          f"re-run converged with {again.writes} writes; audit events lost: {lost} of {len(acks.ids)}")
    assert lost == 0


def test_kill_during_heavy_recipient_traffic(server: ServerProcess) -> None:
    client = server.client()
    share = make_share(client, "traffic_share", "main.sales.orders", "main.analytics.customer_metrics")
    readers = [make_reader(client, share) for _ in range(8)]
    seen: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    answered = [0]
    errors: list[str] = []

    def hammer(reader: Reader) -> None:
        session = requests.Session()
        session.headers.update(reader.headers)
        base = reader.endpoint + f"shares/{share}"
        calls = [("GET", base + "/all-tables", None), ("POST", base + "/schemas/sales/tables/orders/query", {}),
                 ("GET", base + "/schemas/sales/tables/orders/metadata", None)]
        index = 0
        while not stop.is_set():
            method, url, body = calls[index % len(calls)]
            index += 1
            try:
                response = session.request(method, url, json=body, timeout=10)
                _ = response.content
            except requests.RequestException:
                continue  # the server is down: what matters is what was answered before
            with lock:
                seen.append(response.headers["x-request-id"])
                answered[0] += 1
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=hammer, args=(r,)) for r in readers]
    for t in threads:
        t.start()
    dead_pid = server.pid
    crash_and_restart(server, lambda: answered[0] >= stress(300, 3000))
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    catalog_is_clean(server.home)
    for reader in readers:  # tokens and grants survived: every recipient reads again
        response = requests.post(reader.endpoint + f"shares/{share}/schemas/sales/tables/orders/query", json={},
                                 headers=reader.headers, timeout=10)
        assert response.status_code == 200
    with lock:
        acknowledged = list(seen)
    lost = audit_loss(server.home, acknowledged)
    print(f"\ncrash during traffic: {len(acknowledged)} responses seen (before and after the restart); "
          f"audit events lost: {lost}")
    assert lost == 0
    deadline = time.monotonic() + 20  # the restarted server adopts the dead one's write-ahead file
    while any(f"-{dead_pid}-" in w.name for w in audit_store.live_files(server.home / "audit").wals):
        assert time.monotonic() < deadline, "the dead server's write-ahead file was never rolled"
        time.sleep(0.1)
    assert audit_loss(server.home, acknowledged) == 0


def test_kill_during_token_rotation(server: ServerProcess) -> None:
    client = server.client()
    share = make_share(client, "rotation_share", "main.analytics.customer_metrics")
    reader = make_reader(client, share)
    acks = Acks()
    rotator = acks.attach(server.client())
    stop = threading.Event()

    def rotate() -> None:
        while not stop.is_set():
            rotator.recipients.rotate_token(reader.name, existing_token_expire_in_seconds=0)

    worker = threading.Thread(target=rotate)
    worker.start()
    crash_and_restart(server, lambda: acks.count() >= stress(10, 40))
    stop.set()
    worker.join(timeout=60)
    catalog_is_clean(server.home)

    last = acks.writes[-1][3]  # the last rotation the client saw acknowledged
    newest = max(last["tokens"], key=lambda t: t["created_at"])
    live = server.client().recipients.get(reader.name)
    assert [t.id for t in live.tokens or []] == [newest["id"]]  # the old ones expired at once, the new one is live
    query = f"shares/{share}/schemas/analytics/tables/customer_metrics/query"
    old = requests.post(reader.endpoint + query, json={}, headers=reader.headers, timeout=10)
    assert old.status_code == 401  # the token activated before the rotations stays revoked
    token, endpoint = activate(server.client(), reader.name)  # the newest link still activates after the crash
    fresh = requests.post(endpoint + query, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert fresh.status_code == 200
    lost = audit_loss(server.home, acks.ids)
    print(f"\ncrash during rotation: {acks.count()} rotations acknowledged; audit events lost: {lost}")
    assert lost == 0
