"""Load: 16 concurrent recipients each make N protocol requests (list, metadata, query, file reads, version)
while a provider flips a share's grants and objects through the config engine.

Asserts: no error but the refusals the flipping provokes, every answer correct (a recipient sees only its
region's files; file bytes are Parquet of the announced size), one audit event per audited request (matched by
``x-request-id``), and no file-descriptor or memory growth in the server. Prints throughput and p50/p99.
``make test``: 16 x 100 requests; ``SHAREKIT_STRESS=1``: 16 x 500.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psutil
import pytest
import requests

from sharekit.config.apply import apply
from sharekit.config.loader import loads
from tests.hardening.conftest import (
    Reader,
    ServerProcess,
    audit_events,
    make_reader,
    make_share,
    ndjson,
    stress,
)

pytestmark = pytest.mark.load

READERS = 16
REQUESTS = stress(100, 500)
REGIONS = ["EU", "US", "APAC", "LATAM"]
FLAP_READERS = 4  # readers whose grant on the flipping share comes and goes
LOAD_SHARE, FLAP_SHARE = "load_share", "flap_share"
ORDERS = "sales/tables/orders"


def flip_document(step: int, flappers: list[str]) -> str:
    """Even steps grant the flipping share to the flappers and share two tables; odd steps revoke and drop one."""
    granted = step % 2 == 0
    tables = ["main.analytics.product_sales"] + (["main.analytics.customer_metrics"] if granted else [])
    lines = [f"shares:\n  - name: {FLAP_SHARE}\n    comment: flip {step}\n    tables:"]
    lines += [f"      - {t}" for t in tables]
    lines.append("grants:" if granted else "grants: []")
    if granted:
        lines += [f"  - {{share: {FLAP_SHARE}, recipient: {r}}}" for r in flappers]
    return "\n".join(lines) + "\n"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    audited_ids: list[str] = field(default_factory=list)  # x-request-id of requests that must be audited
    queried: int = 0  # successful queries (each adds a deltaSharingQueriedTable event)
    refusals: int = 0  # 403 on the flipping share: provoked
    errors: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


class Recipient:
    def __init__(self, reader: Reader, region: str, expected_files: int, version: int, flapper: bool) -> None:
        self.reader = reader
        self.region = region
        self.expected_files = expected_files
        self.version = version
        self.flapper = flapper
        self.session = requests.Session()
        self.session.headers.update(reader.headers)
        self.base = reader.endpoint.rstrip("/")
        self.file_urls: list[tuple[str, int]] = []
        self.tally = Tally()

    def call(self, kind: str, method: str, path: str, *, audited: bool = True, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        started = time.perf_counter()
        response = self.session.request(method, url, timeout=60, **kwargs)
        _ = response.content
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.kinds[kind] += 1
        if audited:
            self.tally.audited_ids.append(response.headers.get("x-request-id", "missing"))
        return response

    def fail(self, what: str, response: requests.Response) -> None:
        self.tally.errors.append(f"{self.reader.name} {what}: {response.status_code} {response.text[:200]}")

    def step(self, index: int) -> None:
        op = index % (7 if self.flapper else 6)
        table = f"/shares/{LOAD_SHARE}/schemas/{ORDERS}"
        if op == 0:
            r = self.call("list", "GET", "/shares")
            names = [s["name"] for s in r.json().get("items", [])] if r.ok else []
            if not r.ok or LOAD_SHARE not in names:
                self.fail("list shares", r)
        elif op == 1:
            r = self.call("list", "GET", f"/shares/{LOAD_SHARE}/all-tables")
            tables = sorted(t["name"] for t in r.json().get("items", [])) if r.ok else []
            if tables != ["customer_metrics", "orders"]:
                self.fail("list tables", r)
        elif op == 2:
            r = self.call("metadata", "GET", table + "/metadata")
            lines = ndjson(r.text) if r.ok else []
            if len(lines) != 2 or lines[1]["metaData"]["partitionColumns"] != ["region"]:
                self.fail("metadata", r)
        elif op == 3:
            r = self.call("query", "POST", table + "/query", json={})
            files = [line["file"] for line in ndjson(r.text)[2:]] if r.ok else []
            regions = {f["partitionValues"]["region"] for f in files}
            if len(files) != self.expected_files or regions != {self.region}:
                self.fail(f"query ({len(files)} files, regions {sorted(regions)})", r)
            else:
                self.tally.queried += 1
                self.file_urls = [(f["url"], int(f["size"])) for f in files]
        elif op == 4:
            url, size = self.file_urls[index % len(self.file_urls)]
            r = self.call("file", "GET", url, audited=False)
            if r.status_code != 200 or len(r.content) != size or r.content[:4] != b"PAR1":
                self.fail("file read", r)
        elif op == 5:
            r = self.call("version", "HEAD", table)
            if r.status_code != 200 or r.headers.get("delta-table-version") != str(self.version):
                self.fail("version", r)
        else:
            r = self.call("flip", "POST", f"/shares/{FLAP_SHARE}/schemas/analytics/tables/product_sales/query",
                          json={})
            if r.status_code == 403 and r.json().get("errorCode") == "PERMISSION_DENIED":
                self.tally.refusals += 1
            elif r.ok and len(ndjson(r.text)) >= 3:
                self.tally.queried += 1
            else:
                self.fail("flip query", r)

    def run(self, count: int, start: int = 0) -> None:
        for index in range(start, start + count):
            try:
                self.step(index)
            except (requests.RequestException, ValueError, KeyError) as err:
                self.tally.errors.append(f"{self.reader.name} step {index}: {type(err).__name__}: {err}")


WORKER_POOL = 40  # anyio's default worker-thread limit; each worker keeps one SQLite connection (db + wal fds)


def sample(proc: psutil.Process) -> tuple[int, int]:
    """(descriptors other than the pooled workers' SQLite connections, resident memory)."""
    catalog = sum(1 for f in proc.open_files() if f.path.endswith(("catalog.db", "catalog.db-wal")))
    assert catalog <= 2 * WORKER_POOL + 4, f"{catalog} catalog descriptors: connections are not pooled"
    return proc.num_fds() - catalog, proc.memory_info().rss


def test_sixteen_recipients_under_config_changes(server: ServerProcess) -> None:
    client = server.client()
    make_share(client, LOAD_SHARE, "main.sales.orders", "main.analytics.customer_metrics", region_partitioned=True)
    make_share(client, FLAP_SHARE, "main.analytics.product_sales")
    readers = [make_reader(client, LOAD_SHARE, {"region": REGIONS[i % 4]}) for i in range(READERS)]
    flappers = [r.name for r in readers[:FLAP_READERS]]
    assert apply(client, loads(flip_document(0, flappers))).ok

    expected: dict[str, int] = {}
    setup_events = 4 * 2 + 1  # the four queries below (request + queried-table events) and the version probe
    for reader in readers[:4]:  # files per region, from an unloaded server
        r = requests.post(f"{reader.endpoint}shares/{LOAD_SHARE}/schemas/{ORDERS}/query", json={},
                          headers=reader.headers, timeout=30)
        expected[REGIONS[readers.index(reader) % 4]] = len(ndjson(r.text)) - 2
    version = int(requests.head(f"{readers[0].endpoint}shares/{LOAD_SHARE}/schemas/{ORDERS}",
                                headers=readers[0].headers, timeout=30).headers["delta-table-version"])
    assert all(count > 0 for count in expected.values()) and len(expected) == 4
    clients = [Recipient(r, REGIONS[i % 4], expected[REGIONS[i % 4]], version, i < FLAP_READERS)
               for i, r in enumerate(readers)]

    warm = 21  # three rounds of every kind, concurrently, on the sessions the run keeps using: this fills the
    # server's worker-thread pool (each worker keeps one SQLite connection), so what follows must stay flat
    warmers = [threading.Thread(target=c.run, args=(warm,)) for c in clients]
    warmers.append(threading.Thread(target=lambda: [apply(client, loads(flip_document(s, flappers))) for s in (1, 0)]))
    for t in warmers:
        t.start()
    for t in warmers:
        t.join(timeout=300)
    proc = psutil.Process(server.pid)
    fds_before, rss_before = sample(proc)
    alone = clients[4]  # baseline: one recipient alone, no provider, same request mix
    mark, solo_started = len(alone.tally.latencies), time.perf_counter()
    alone.run(REQUESTS // 2, warm)
    solo_elapsed = time.perf_counter() - solo_started
    solo = sorted(alone.tally.latencies[mark:])
    alone.tally.latencies, alone.tally.kinds = alone.tally.latencies[:mark], Counter()

    provider_ids: list[str] = []
    applies: list[bool] = []
    done = threading.Event()

    def provider() -> None:
        from sharekit.connect import local_client

        admin = local_client(server.url, server.admin_token)
        session = admin.api_client._api_client._session

        def seen(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
            if "/api/2.1/unity-catalog/" in resp.request.url:  # the management calls (all audited)
                provider_ids.append(resp.headers.get("x-request-id", "missing"))

        session.hooks["response"].append(seen)
        step = 1
        while not done.is_set():
            applies.append(apply(admin, loads(flip_document(step, flappers))).ok)
            step += 1

    threads = [threading.Thread(target=c.run, args=(REQUESTS - warm, warm)) for c in clients]
    provider_thread = threading.Thread(target=provider)
    samples: list[tuple[int, int]] = []

    def monitor() -> None:
        while not done.is_set():
            samples.append(sample(proc))
            time.sleep(0.05)

    monitor_thread = threading.Thread(target=monitor)
    monitor_thread.start()
    started = time.perf_counter()
    provider_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - started
    done.set()
    provider_thread.join(timeout=120)
    monitor_thread.join(timeout=10)
    fds_after, rss_after = sample(proc)

    tallies = [c.tally for c in clients]
    errors = [e for t in tallies for e in t.errors]
    assert errors == [], errors[:5]
    latencies = sorted(x for t in tallies for x in t.latencies)
    assert len(latencies) == READERS * REQUESTS
    timed = [x for t in tallies for x in t.latencies[warm:]]
    p50 = statistics.median(timed)
    p99 = sorted(timed)[int(len(timed) * 0.99)]
    refusals = sum(t.refusals for t in tallies)
    print(f"\nload: {READERS} recipients x {REQUESTS} requests in {elapsed:.1f} s = {len(timed) / elapsed:.0f} req/s; "
          f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; {len(applies)} config applies; "
          f"{refusals} provoked refusals; fds {fds_before}->{max(f for f, _ in samples)}->{fds_after}; "
          f"rss {rss_before / 2**20:.0f}->{rss_after / 2**20:.0f} MiB; baseline, one recipient alone: "
          f"{len(solo) / solo_elapsed:.0f} req/s, p50 {statistics.median(solo) * 1000:.1f} ms, "
          f"p99 {solo[int(len(solo) * 0.99)] * 1000:.1f} ms")
    assert applies and all(applies)
    assert refusals > 0  # the flipping really happened under the readers

    events = audit_events(server.home)
    by_id = Counter(e["request_id"] for e in events)
    reader_ids = [i for t in tallies for i in t.audited_ids]
    assert "missing" not in reader_ids and "missing" not in provider_ids
    queried = Counter(e["request_id"] for e in events if e["action_name"] == "deltaSharingQueriedTable")
    request_events = {i: by_id[i] - queried.get(i, 0) for i in reader_ids}
    assert all(count == 1 for count in request_events.values()), "each reader request has exactly one event"
    names = {r.name for r in readers}
    reader_events = [e for e in events if (e["request_params"] or {}).get("recipient_name") in names
                     and e["action_name"].startswith("deltaSharing")]
    assert len(reader_events) == len(reader_ids) + sum(t.queried for t in tallies) + setup_events
    assert provider_ids and all(by_id.get(i) == 1 for i in provider_ids), "each provider call has one event"

    # Flat, not merely bounded: the second half of the run opens no more descriptors and takes no more memory
    # than the first half did. The workers' SQLite connections grow with the thread pool up to its limit (checked
    # in ``sample``) and are left out here.
    half = len(samples) // 2  # descriptors: medians (files being served come and go); memory: peaks
    assert half >= 5
    first_fds, last_fds = statistics.median(f for f, _ in samples[:half]), statistics.median(f for f, _ in samples[half:])
    first_rss, last_rss = max(m for _, m in samples[:half]), max(m for _, m in samples[half:])
    assert last_fds <= first_fds + 4, f"file descriptors grew: {first_fds} -> {last_fds}"
    assert last_rss <= first_rss + 16 * 2**20, f"memory grew: {first_rss} -> {last_rss}"
    assert fds_after - fds_before <= 8 and rss_after - rss_before < 64 * 2**20
    assert proc.num_threads() <= WORKER_POOL + 24
