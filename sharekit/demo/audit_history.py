"""A realistic, deterministic audit history in the ``system.access.audit`` shape, with the truth behind it.

Several recipients with Zipf-like volumes, weekday/weekend and daily cycles, a realistic action mix (every
successful ``deltaSharingQueryTable`` is followed by its ``deltaSharingQueriedTable`` with ``numRecords`` and
``scannedAddFileSize``), failures (401/403/404/500), and injected incidents (spikes and silences) whose
``(recipient, day)`` is returned in ``HistoryTruth`` so tests can check the analyses.

Vectorised with numpy/pyarrow one day at a time (10M events in about a minute, memory bounded by one day).
``write_audit_history(home_or_audit_dir, …)`` writes one Parquet segment per day into the audit log layout
(``sharekit.server.audit.store``) so the embedded server, its statement endpoint and the analytics read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sharekit.demo.arrow_columns import choose, const, followup_values, hex_ids, vocab
from sharekit.server.audit import store as audit_store

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

ACCOUNT_ID = "00000000-0000-0000-0000-000000000000"
WORKSPACE_ID = "1234567890"

# share -> (schema, table, typical rows per query, bytes per row)
TABLES: list[tuple[str, str, str, int, int]] = [
    ("partner_analytics", "analytics", "customer_metrics", 5_000, 120),
    ("partner_analytics", "analytics", "product_sales", 20_000, 90),
    ("sales_share", "sales", "orders", 200_000, 64),
    ("sales_share", "sales", "customers", 50_000, 180),
    ("inventory_share", "inventory", "stock_levels", 80_000, 48),
]

# name, weekday requests per day (relative volume), peak hour (UTC), shares, client
RECIPIENTS: list[tuple[str, float, int, tuple[str, ...], str]] = [
    ("acme_corp", 30.0, 9, ("partner_analytics", "sales_share"), "delta-sharing-python/1.4.2"),
    ("globex", 18.0, 14, ("partner_analytics", "inventory_share"), "Delta-Sharing-Spark/3.3.0"),
    ("initech", 10.0, 11, ("sales_share",), "delta-sharing-python/1.4.2"),
    ("umbrella_health", 6.0, 3, ("partner_analytics", "sales_share", "inventory_share"), "PowerBI/2.141"),
    ("stark_industries", 3.5, 17, ("inventory_share",), "Delta-Sharing-Spark/3.3.0"),
    ("wayne_logistics", 2.0, 20, ("sales_share", "inventory_share"), "delta-sharing-python/1.3.0"),
    ("hooli", 1.2, 8, ("partner_analytics",), "Tableau/2024.2"),
    ("pied_piper", 0.6, 23, ("partner_analytics",), "delta-sharing-python/1.4.2"),
]

# action, probability, level (0 = no share, 1 = share, 2 = schema, 3 = table)
ACTIONS: list[tuple[str, float, int]] = [
    ("deltaSharingQueryTable", 0.44, 3),
    ("deltaSharingGetTableMetadata", 0.18, 3),
    ("deltaSharingGetTableVersion", 0.14, 3),
    ("deltaSharingQueryTableChanges", 0.03, 3),
    ("deltaSharingListShares", 0.06, 0),
    ("deltaSharingGetShare", 0.04, 1),
    ("deltaSharingListSchemas", 0.03, 1),
    ("deltaSharingListAllTables", 0.04, 1),
    ("deltaSharingListTables", 0.04, 2),
]
QUERIED = {"deltaSharingQueryTable": "deltaSharingQueriedTable",
           "deltaSharingQueryTableChanges": "deltaSharingQueriedTableChanges"}

# status, probability, error message
STATUSES: list[tuple[int, float, str | None]] = [
    (200, 0.955, None),
    (403, 0.025, "PERMISSION_DENIED: recipient has no SELECT on the share"),
    (404, 0.012, "TABLE_DOES_NOT_EXIST: table does not exist"),
    (401, 0.005, "UNAUTHENTICATED: the bearer token has expired"),
    (500, 0.003, "INTERNAL_ERROR: internal error"),
]
WEEKEND_FACTOR = 0.35
EVENTS_PER_REQUEST = 1.0 + 0.47 * 0.955  # queries are followed by their "Queried" event


@dataclass(frozen=True)
class Incident:
    recipient: str
    day: dt.date
    kind: str  # "spike" | "silence"
    factor: float


@dataclass
class HistoryTruth:
    """What was generated: use it to check analyses. Arrays are indexed [recipient, day]."""

    start: dt.date
    days: int
    recipients: list[str]
    incidents: list[Incident]
    requests: np.ndarray  # data-plane requests (everything but the "Queried" follow-up events)
    rows: np.ndarray  # sum of numRecords
    bytes: np.ndarray  # sum of scannedAddFileSize
    failures: dict[tuple[str, int], int] = field(default_factory=dict)  # (recipient, status) -> requests
    n_events: int = 0
    files: list[Path] = field(default_factory=list)

    @property
    def end(self) -> dt.date:
        """The last day (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)


def default_incidents(start: dt.date, days: int) -> list[Incident]:
    """Spikes and silences on weekdays in the second half of the window (after enough history)."""
    weekdays = [start + dt.timedelta(days=i) for i in range(days // 2, days)
                if (start + dt.timedelta(days=i)).weekday() < 5]
    if len(weekdays) < 5:
        return []
    plan = [("globex", "spike", 6.0), ("initech", "spike", 5.0), ("umbrella_health", "spike", 8.0),
            ("acme_corp", "silence", 0.0), ("globex", "silence", 0.0)]
    picks = [weekdays[round(i * (len(weekdays) - 1) / (len(plan) - 1))] for i in range(len(plan))]
    return [Incident(name, day, kind, factor) for (name, kind, factor), day in zip(plan, picks)]


def generate(events: int = 100_000, *, days: int = 30, end: dt.date | None = None, seed: int = 0,
             incidents: list[Incident] | None = None) -> tuple[Iterator[pa.Table], HistoryTruth]:
    """Day-by-day Arrow tables (lazily) and the truth. ``end`` is the last day (default: today, UTC)."""
    import numpy as np

    if events < 0 or days <= 0:
        raise ValueError(f"events must be >= 0 and days > 0, got events={events}, days={days}")
    last = end or dt.datetime.now(dt.timezone.utc).date()
    start = last - dt.timedelta(days=days - 1)
    plan = default_incidents(start, days) if incidents is None else incidents
    names = [r[0] for r in RECIPIENTS]
    rng = np.random.default_rng([seed, 0])
    weight = np.array([r[1] for r in RECIPIENTS])[:, None] * np.ones((len(RECIPIENTS), days))
    for i in range(days):
        if (start + dt.timedelta(days=i)).weekday() >= 5:
            weight[:, i] *= WEEKEND_FACTOR
    weight *= rng.lognormal(0.0, 0.05, size=weight.shape)
    for incident in plan:
        weight[names.index(incident.recipient), (incident.day - start).days] *= incident.factor
    requests = rng.poisson(weight / weight.sum() * (events / EVENTS_PER_REQUEST)).astype(np.int64)
    truth = HistoryTruth(start, days, names, plan, requests, np.zeros_like(requests), np.zeros_like(requests))
    return (_day_table(truth, seed, i) for i in range(days)), truth


def write_audit_history(target: Path, events: int = 100_000, **kwargs: object) -> HistoryTruth:
    """Write the history into a home (or its ``audit`` folder) as one Parquet segment per day."""
    import pyarrow.parquet as pq

    audit_dir = target if target.name == "audit" else target / "audit"
    chunks, truth = generate(events, **kwargs)  # type: ignore[arg-type]
    written: list[tuple[Path, int]] = []
    for index, table in enumerate(chunks):
        if table.num_rows == 0:
            continue
        path = audit_store.new_segment_path(audit_dir, f"hist-{truth.day(index).isoformat()}")
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp, compression="zstd", row_group_size=audit_store.ROW_GROUP_ROWS)
        tmp.replace(path)
        written.append((path, table.num_rows))
    audit_store.add_segments(audit_dir, written)
    truth.files = [path for path, _ in written]
    return truth


@dataclass
class _Requests:
    """One day's data-plane requests, one entry per request: who, when, what, which table, which status."""

    rec: np.ndarray  # recipient index
    offset_us: np.ndarray  # microseconds since midnight
    action: np.ndarray  # index into ACTIONS
    level: np.ndarray  # how deep the request names its object (ACTIONS' level)
    tbl: np.ndarray  # index into TABLES
    status_idx: np.ndarray  # index into STATUSES
    status: np.ndarray  # the HTTP status code


@dataclass
class _Reads:
    """The successful table queries among the requests (``q`` indexes the requests) and what each read."""

    q: np.ndarray
    num_records: np.ndarray
    scanned: np.ndarray
    files: np.ndarray
    duration_ms: np.ndarray


@dataclass
class _Events:
    """Every event of the day in time order: its request (``src``), whether it is a "Queried" follow-up, its
    offset since midnight, and for follow-ups the index into the ``_Reads`` arrays."""

    src: np.ndarray
    is_followup: np.ndarray
    time_us: np.ndarray
    followup_pos: np.ndarray


def _day_table(truth: HistoryTruth, seed: int, day_index: int) -> pa.Table:
    import numpy as np

    rng = np.random.default_rng([seed, 1, day_index])
    requests = _requests(truth, rng, day_index)
    reads = _reads(rng, requests)
    _record_truth(truth, day_index, requests, reads)
    events = _events(requests, reads)
    truth.n_events += events.src.size
    return _events_table(truth.day(day_index), rng, requests, reads, events)


def _requests(truth: HistoryTruth, rng: np.random.Generator, day_index: int) -> _Requests:
    import numpy as np

    counts = truth.requests[:, day_index]
    n = int(counts.sum())
    rec = np.repeat(np.arange(len(RECIPIENTS)), counts)
    peaks = np.array([r[2] for r in RECIPIENTS])
    hour = np.floor(peaks[rec] + rng.normal(0.0, 3.0, n)).astype(np.int64) % 24
    offset_us = hour * 3_600_000_000 + rng.integers(0, 3_600_000_000, n)
    action = choose(rng, np.array([a[1] for a in ACTIONS]), n)
    level = np.array([a[2] for a in ACTIONS])[action]
    table_weights = np.zeros((len(RECIPIENTS), len(TABLES)))
    for r, (_, _, _, shares, _) in enumerate(RECIPIENTS):
        for t, spec in enumerate(TABLES):
            if spec[0] in shares:
                table_weights[r, t] = 1.0 / (1 + (t + r) % len(TABLES))
    table_weights /= table_weights.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(table_weights, axis=1)
    tbl = np.minimum((rng.random(n)[:, None] > cumulative[rec]).sum(axis=1), len(TABLES) - 1)
    status_idx = choose(rng, np.array([s[1] for s in STATUSES]), n)
    status = np.array([s[0] for s in STATUSES], dtype=np.int32)[status_idx]
    return _Requests(rec, offset_us, action, level, tbl, status_idx, status)


def _reads(rng: np.random.Generator, requests: _Requests) -> _Reads:
    import numpy as np

    queried = np.isin(requests.action, [i for i, a in enumerate(ACTIONS) if a[0] in QUERIED]) & \
        (requests.status == 200)
    q = np.flatnonzero(queried)
    typical_rows = np.array([t[3] for t in TABLES])
    row_bytes = np.array([t[4] for t in TABLES])
    num_records = np.maximum(1, (typical_rows[requests.tbl[q]] * rng.lognormal(0.0, 0.3, q.size))).astype(np.int64)
    scanned = num_records * row_bytes[requests.tbl[q]]
    files = np.maximum(1, scanned // (8 << 20) + 1)
    duration_ms = np.maximum(5, (40 + scanned / 2e6 * rng.lognormal(0.0, 0.3, q.size))).astype(np.int64)
    return _Reads(q, num_records, scanned, files, duration_ms)


def _record_truth(truth: HistoryTruth, day_index: int, requests: _Requests, reads: _Reads) -> None:
    import numpy as np

    np.add.at(truth.rows[:, day_index], requests.rec[reads.q], reads.num_records)
    np.add.at(truth.bytes[:, day_index], requests.rec[reads.q], reads.scanned)
    for s_idx, (code, _, _) in enumerate(STATUSES[1:], start=1):
        per_rec = np.bincount(requests.rec[requests.status_idx == s_idx], minlength=len(RECIPIENTS))
        for r, count in enumerate(per_rec):
            if count:
                key = (RECIPIENTS[r][0], code)
                truth.failures[key] = truth.failures.get(key, 0) + int(count)


def _events(requests: _Requests, reads: _Reads) -> _Events:
    import numpy as np

    n, q = requests.rec.size, reads.q
    src = np.concatenate([np.arange(n), q])  # the request each event belongs to
    is_followup = np.concatenate([np.zeros(n, bool), np.ones(q.size, bool)])
    time_us = requests.offset_us[src] + np.where(
        is_followup, np.concatenate([np.zeros(n, np.int64), reads.duration_ms * 1000]), 0)
    time_us = np.minimum(time_us, 86_400_000_000 - 1)
    order = np.lexsort((is_followup, time_us))
    src, is_followup, time_us = src[order], is_followup[order], time_us[order]
    followup_pos = np.where(is_followup, order - n, 0)  # index into the q-arrays for follow-up rows
    return _Events(src, is_followup, time_us, followup_pos)


def _events_table(day: dt.date, rng: np.random.Generator, requests: _Requests, reads: _Reads,
                  events: _Events) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    total = events.src.size
    src, is_followup, pos = events.src, events.is_followup, events.followup_pos
    day_us = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
    ev_status = np.where(is_followup, 200, requests.status[src]).astype(np.int32)
    ev_status_idx = np.where(is_followup, 0, requests.status_idx[src])
    request_ids = hex_ids(rng, requests.rec.size)
    result = _results(is_followup, pos, reads.num_records, reads.scanned, reads.files, reads.duration_ms,
                      requests.tbl[reads.q])
    rec = requests.rec[src]
    return pa.table({
        "account_id": const(ACCOUNT_ID, total),
        "workspace_id": const(WORKSPACE_ID, total),
        "version": const("2.0", total),
        "event_time": pa.array(day_us + events.time_us, pa.timestamp("us", tz="UTC")),
        "event_date": pa.array(np.full(total, (day - dt.date(1970, 1, 1)).days, np.int32), pa.date32()),
        "source_ip_address": vocab([f"203.0.113.{10 + i}" for i in range(len(RECIPIENTS))], rec),
        "user_agent": vocab([r[4] for r in RECIPIENTS], rec),
        "session_id": pa.nulls(total, pa.string()),
        "request_id": request_ids.take(pa.array(src)),
        "event_id": hex_ids(rng, total),
        "user_identity": pa.StructArray.from_arrays([pa.nulls(total, pa.string())] * 2, ["email", "subject_name"]),
        "service_name": const("unityCatalog", total),
        "action_name": _action_names(requests.action[src], is_followup),
        "request_params": _request_params(rec, requests.level[src], requests.tbl[src]),
        "response": pa.StructArray.from_arrays(
            [pa.array(ev_status, pa.int32()),
             vocab([s[2] or "" for s in STATUSES], ev_status_idx, null_index=0),
             result],
            ["status_code", "error_message", "result"]),
        "audit_level": const("WORKSPACE_LEVEL", total),
        "identity_metadata": pa.StructArray.from_arrays([pa.nulls(total, pa.string())] * 3,
                                                        ["run_by", "run_as", "acting_resource"]),
        **_derived_columns(rec, requests.level[src], requests.tbl[src], is_followup, pos, reads),
    })


def _action_names(action: np.ndarray, is_followup: np.ndarray) -> pa.Array:
    """Each event's action name: a follow-up of a query is its "Queried" event."""
    names = [a[0] for a in ACTIONS] + [QUERIED[a[0]] for a in ACTIONS if a[0] in QUERIED]
    followup_action = {i: len(ACTIONS) + j for j, i in enumerate(i for i, a in enumerate(ACTIONS) if a[0] in QUERIED)}
    ev_action = action.copy()
    for base, target in followup_action.items():
        ev_action[is_followup & (ev_action == base)] = target
    return vocab(names, ev_action)


def _derived_columns(rec: np.ndarray, level: np.ndarray, tbl: np.ndarray, is_followup: np.ndarray,
                     pos: np.ndarray, reads: _Reads) -> dict[str, pa.Array]:
    """The audit store's derived columns (``_rp_*``, ``_res_*``) that the analyses read fast."""
    import pyarrow as pa

    return {
        "_rp_recipient_name": vocab([r[0] for r in RECIPIENTS], rec),
        "_rp_share": vocab([t[0] for t in TABLES], tbl, mask=level < 1),
        "_rp_schema": vocab([t[1] for t in TABLES], tbl, mask=level < 2),
        "_rp_name": vocab([t[2] for t in TABLES], tbl, mask=level < 3),
        "_res_numRecords": followup_values(is_followup, pos, reads.num_records, pa.int64()),
        "_res_scannedAddFileSize": followup_values(is_followup, pos, reads.scanned, pa.int64()),
        "_res_durationMs": followup_values(is_followup, pos, reads.duration_ms, pa.float64()),
    }


def _request_params(rec: np.ndarray, level: np.ndarray, tbl: np.ndarray) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    keys = ["recipient_name", "share", "schema", "name"]
    words = keys + [r[0] for r in RECIPIENTS] + [t[0] for t in TABLES] + [t[1] for t in TABLES] + [t[2] for t in TABLES]
    base = len(keys)
    nr, nt = len(RECIPIENTS), len(TABLES)
    value_index = np.stack([base + rec, base + nr + tbl, base + nr + nt + tbl, base + nr + 2 * nt + tbl], axis=1)
    n_keys = level + 1
    offsets = np.zeros(rec.size + 1, np.int32)
    np.cumsum(n_keys, out=offsets[1:])
    take = np.arange(4)[None, :] < n_keys[:, None]
    key_index = np.broadcast_to(np.arange(4), (rec.size, 4))[take]
    item_index = value_index[take]
    return pa.MapArray.from_arrays(pa.array(offsets), vocab(words, key_index), vocab(words, item_index))


def _results(is_followup: np.ndarray, pos: np.ndarray, num_records: np.ndarray, scanned: np.ndarray,
             files: np.ndarray, duration_ms: np.ndarray, table: np.ndarray) -> pa.Array:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not is_followup.any():
        return pa.nulls(is_followup.size, pa.string())
    idx = pos[is_followup]
    names = pa.array([f"{t[1]}.{t[2]}" for t in TABLES])
    parts = [
        '{"numRecords":"', pa.array(num_records[idx]).cast(pa.string()),
        '","scannedAddFileSize":"', pa.array(scanned[idx]).cast(pa.string()),
        '","activeAddFiles":"', pa.array(files[idx]).cast(pa.string()),
        '","durationMs":"', pa.array(duration_ms[idx]).cast(pa.string()),
        '","tableName":"', names.take(pa.array(table[idx])), '"}',
    ]
    joined = pc.binary_join_element_wise(*parts, "")
    out = np.full(is_followup.size, -1, np.int64)
    out[is_followup] = np.arange(idx.size)
    return joined.take(pa.array(np.where(out >= 0, out, 0), mask=out < 0))
