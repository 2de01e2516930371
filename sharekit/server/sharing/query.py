"""The data answers of the protocol: which files a recipient gets for a query or a change feed, as NDJSON.

Pure of HTTP: the routes resolve who asks for which table, this module selects files (partition spec of the
share, predicate hints, limit hint), signs their URLs and builds the lines plus the audit metrics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sharekit.server.security import signing
from sharekit.server.settings import SIGNED_URL_TTL_S
from sharekit.server.sharing import predicates, wire
from sharekit.server.sharing.partitions import PartitionFilter
from sharekit.server.tables.changes import ChangeFile
from sharekit.server.tables.snapshots import FileEntry, Snapshot, SnapshotCache


@dataclass(frozen=True)
class Signer:
    secret: bytes
    base_url: str
    table_key: str
    now_ms: int
    ttl_s: int = SIGNED_URL_TTL_S
    area: str = "t"  # "v" for a view materialised for the recipient

    def table_file(self, relative: str) -> signing.SignedUrl:
        return signing.sign(self.secret, self.base_url, self.area, self.table_key, relative, self.now_ms, self.ttl_s)

    def change_file(self, relative: str) -> signing.SignedUrl:
        return signing.sign(self.secret, self.base_url, "c", self.table_key, relative, self.now_ms, self.ttl_s)


@dataclass
class Answer:
    version: int  # the Delta-Table-Version header
    lines: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    min_expiration_ms: int | None = None

    def body(self, fmt: str, end_stream: bool) -> bytes:
        out = [wire.line(obj) for obj in self.lines]
        if end_stream:
            out.append(wire.line(wire.end_stream_line(self.min_expiration_ms)))
        return b"".join(out)


def shared_configuration(snapshot: Snapshot, fmt: str, cdf_shared: bool) -> dict[str, str]:
    """What the recipient sees of the table properties (the reference server shows only CDF, when shared)."""
    cdf = cdf_shared and snapshot.cdf_enabled
    if fmt == wire.PARQUET:
        return {"enableChangeDataFeed": "true"} if cdf else {}
    config = {k: v for k, v in snapshot.metadata["configuration"].items()
              if k.startswith("delta.") and k != "delta.enableChangeDataFeed"}
    if cdf:
        config["delta.enableChangeDataFeed"] = "true"
    return config


def header_lines(snapshot: Snapshot, fmt: str, cdf_shared: bool, *, with_stats: bool) -> list[dict[str, Any]]:
    meta = wire.metadata_line(fmt, snapshot.metadata, configuration=shared_configuration(snapshot, fmt, cdf_shared),
                              version=snapshot.version if with_stats else None,
                              size=snapshot.size if with_stats else None,
                              num_files=len(snapshot.files) if with_stats else None)
    return [wire.protocol_line(fmt, snapshot.protocol), meta]


def query_snapshot(snapshot: Snapshot, fmt: str, signer: Signer, partitions: PartitionFilter, *,
                   json_hints: str | None, limit_hint: int | None, time_travel: bool,
                   cdf_shared: bool) -> Answer:
    answer = Answer(snapshot.version, header_lines(snapshot, fmt, cdf_shared, with_stats=False))
    tree = predicates.parse(json_hints) if json_hints else None
    keep = _predicate(tree, snapshot.partition_columns)
    active = records = scanned = 0
    early = False
    for entry in snapshot.files:
        if partitions.restricts and not partitions.allows(entry.partition_values):
            continue
        active += 1
        if early or not keep(entry):
            continue
        if limit_hint is not None and records >= limit_hint:
            early = True
            continue
        url = signer.table_file(entry.path)
        answer.lines.append(wire.file_line(fmt, wire.FileLine(
            "file", url.url, entry.file_id, entry.partition_values, entry.size, url.expires_ms, entry.stats_json,
            snapshot.version if time_travel else None, snapshot.timestamp if time_travel else None,
            entry.modification_time)))
        answer.min_expiration_ms = url.expires_ms
        records += entry.num_records or 0
        scanned += entry.size
    selected = len(answer.lines) - 2
    answer.metrics = {"numRecords": records, "activeAddFiles": active, "numAddFiles": selected,
                      "numSeenAddFiles": active, "scannedAddFileSize": scanned, "tableVersion": snapshot.version,
                      "limitHint": limit_hint, "earlyTermination": early,
                      "deltaSharingPartitionFilteringAccessed": partitions.restricts,
                      "numAddCDCFiles": 0, "numRemoveFiles": 0}
    return answer


def _predicate(tree: dict[str, Any] | None, partition_columns: list[str]) -> Any:
    """A file -> keep? function. Trees over partition columns only are evaluated once per partition."""
    if tree is None:
        return lambda entry: True
    partition_only = _columns(tree) <= {c.lower() for c in partition_columns}
    memo: dict[tuple[Any, ...], bool] = {}

    def keep(entry: FileEntry) -> bool:
        if entry.facts is None:
            return True
        if not partition_only:
            return predicates.evaluate(tree, entry.facts) is not False
        key = tuple(sorted(entry.partition_values.items()))
        if key not in memo:
            memo[key] = predicates.evaluate(tree, entry.facts) is not False
        return memo[key]

    return keep


def _columns(tree: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.get("op") == "column":
            found.add(str(node.get("name", "")).lower())
        stack.extend(child for child in node.get("children") or [] if isinstance(child, dict))
    return found


def query_versions(cache: SnapshotCache, path: str, start: int, end: int, fmt: str, signer: Signer,
                   partitions: PartitionFilter, cdf_shared: bool) -> Answer:
    """``startingVersion`` queries: the files each commit added and removed, oldest first."""
    answer = Answer(start, header_lines(cache.snapshot(path, start), fmt, cdf_shared, with_stats=False))
    adds = removes = records = scanned = 0
    for version in range(start, end + 1):
        timestamp = cache.commit_timestamp(path, version)
        added, removed = cache.diff(path, version)
        for kind, entries in (("add", added), ("remove", removed)):
            for entry in entries:
                if not partitions.allows(entry.partition_values):
                    continue
                url = signer.table_file(entry.path)
                answer.lines.append(wire.file_line(fmt, wire.FileLine(
                    kind, url.url, entry.file_id, entry.partition_values, entry.size, url.expires_ms,
                    entry.stats_json, version, timestamp, entry.modification_time)))
                answer.min_expiration_ms = url.expires_ms
                if kind == "add":
                    adds += 1
                    records += entry.num_records or 0
                    scanned += entry.size
                else:
                    removes += 1
    answer.metrics = {"numRecords": records, "numAddFiles": adds, "numRemoveFiles": removes,
                      "scannedAddFileSize": scanned, "tableVersion": start, "startingVersion": start,
                      "endingVersion": end, "deltaSharingPartitionFilteringAccessed": partitions.restricts}
    return answer


def table_changes(cache: SnapshotCache, path: str, table_key: str, start: int, end: int, fmt: str, signer: Signer,
                  partitions: PartitionFilter) -> Answer:
    """``/changes``: the change rows of each commit in ``[start, end]`` as ``cdf`` files."""
    first = cache.snapshot(path, start)
    answer = Answer(start, [wire.protocol_line(fmt, first.protocol)])
    meta = wire.metadata_line(fmt, first.metadata, configuration=shared_configuration(first, fmt, True),
                              version=start if fmt == wire.DELTA else None)  # the delta client needs it
    answer.lines.append(meta)
    files = records = scanned = 0
    for version in range(start, end + 1):
        changes: Iterable[ChangeFile] = cache.changes(path, table_key, first.metadata["id"], version)
        for change in changes:
            if not partitions.allows(change.partition_values):
                continue
            url = signer.change_file(change.path)
            answer.lines.append(wire.file_line(fmt, wire.FileLine(
                "cdf", url.url, change.file_id, change.partition_values, change.size, url.expires_ms,
                None, version, change.timestamp)))
            answer.min_expiration_ms = url.expires_ms
            files += 1
            records += change.num_records
            scanned += change.size
    answer.metrics = {"numRecords": records, "numAddCDCFiles": files, "scannedAddCDCFileSize": scanned,
                      "numAddFiles": 0, "numRemoveFiles": 0, "tableVersion": start, "startingVersion": start,
                      "endingVersion": end, "deltaSharingPartitionFilteringAccessed": partitions.restricts}
    return answer
