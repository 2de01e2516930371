"""The data answers of the protocol: which files a recipient gets for a query or a change feed, as NDJSON.

Pure of HTTP: the routes resolve who asks for which table, this module selects files (partition spec of the
share, predicate hints, limit hint), signs their URLs and builds the lines plus the audit metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeVar

from sharekit.server.security import signing
from sharekit.server.settings import SIGNED_URL_TTL_S
from sharekit.server.sharing import predicates, wire
from sharekit.server.sharing.partitions import PartitionFilter
from sharekit.server.tables import collector
from sharekit.server.tables.changes import ChangeFile
from sharekit.server.tables.snapshots import ABSENT, FileEntry, IndexKey, Snapshot, SnapshotCache, stats_texts
from sharekit.server.tables.stats import file_facts


@dataclass(frozen=True)
class Signer:
    secret: bytes
    base_url: str
    table_key: str
    now_ms: int
    ttl_s: int = SIGNED_URL_TTL_S
    area: str = "t"  # "v" for a view materialised for the recipient

    def table_files(self) -> signing.UrlSigner:
        return signing.UrlSigner(self.secret, self.base_url, self.area, self.table_key, self.now_ms, self.ttl_s)

    def change_files(self) -> signing.UrlSigner:
        return signing.UrlSigner(self.secret, self.base_url, "c", self.table_key, self.now_ms, self.ttl_s)


@dataclass(frozen=True)
class Page:
    """Which file lines of an answer to send: from ``start``, at most ``size`` (None: all of them)."""

    start: int = 0
    size: int | None = None


ALL = Page()
T = TypeVar("T")


@dataclass
class Answer:
    version: int  # the Delta-Table-Version header
    lines: list[dict[str, Any]] = field(default_factory=list)  # the header lines (protocol, metadata)
    file_lines: list[str] = field(default_factory=list)  # encoded, one per file sent
    sent: list[FileEntry] = field(default_factory=list)  # the snapshot files sent (snapshot queries)
    metrics: dict[str, Any] = field(default_factory=dict)
    min_expiration_ms: int | None = None
    next_position: int | None = None  # where the next page starts (None: this was the last one)

    def body(self, end_stream: bool, *, next_page_token: str | None = None, refresh_token: str | None = None) -> bytes:
        out = [wire.line_text(obj) for obj in self.lines] + self.file_lines  # ASCII text, joined once
        if end_stream:
            out.append(wire.line_text(wire.end_stream_line(self.min_expiration_ms, next_page_token=next_page_token,
                                                           refresh_token=refresh_token)))
        return "".join(out).encode()

    def page(self, items: list[T], page: Page) -> list[T]:
        """The items of ``page``; remembers where the next page starts."""
        end = len(items) if page.size is None else min(len(items), page.start + page.size)
        self.next_position = end if end < len(items) else None
        return items[page.start:end]

    def add_file(self, fmt: str, line: wire.FileLine) -> None:
        self.add_line(wire.line_text(wire.file_line(fmt, line)), line.expiration_ms)

    def add_line(self, text: str, expires: int) -> None:
        self.file_lines.append(text)
        self.min_expiration_ms = expires if self.min_expiration_ms is None else min(self.min_expiration_ms, expires)


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
                   cdf_shared: bool, page: Page = ALL) -> Answer:
    """The files of a snapshot the recipient may see, after predicate and limit hints; the files of ``page``
    signed (the selection is the same on every page of one version, so pages never overlap or skip)."""
    answer = Answer(snapshot.version, header_lines(snapshot, fmt, cdf_shared, with_stats=False))
    tree = predicates.parse(json_hints) if json_hints else None
    visible = _visible(snapshot, partitions)
    selected: list[int] = []
    records = 0
    early = False
    for position in _kept(snapshot, tree, visible):
        if limit_hint is not None and records >= limit_hint:
            early = True
            break
        selected.append(position)
        records += snapshot.files[position].num_records or 0
    active = len(visible)
    templates = snapshot.line_templates(fmt, time_travel)
    urls = signer.table_files()  # every URL signed for this answer
    expires = urls.expires_ms
    chosen = answer.page(selected, page)
    missing = [position for position in chosen if templates[position] is None]
    if missing:  # the first time these files are sent in this format: encoded once, kept with the snapshot
        _make_templates(snapshot, fmt, time_travel, templates, missing)
    files, lines, sign = snapshot.files, answer.file_lines, urls.url
    for position in chosen:
        template = templates[position]
        entry = files[position]
        lines.append(template.fill(sign(entry.path, template.url_path), expires))
        answer.sent.append(entry)
    if answer.file_lines:
        answer.min_expiration_ms = expires
    sent = answer.sent
    answer.metrics = {"numRecords": sum(e.num_records or 0 for e in sent), "activeAddFiles": active,
                      "numAddFiles": len(sent), "numSeenAddFiles": active,
                      "scannedAddFileSize": sum(e.size for e in sent), "tableVersion": snapshot.version,
                      "limitHint": limit_hint, "earlyTermination": early,
                      "deltaSharingPartitionFilteringAccessed": partitions.restricts,
                      "numAddCDCFiles": 0, "numRemoveFiles": 0}
    return answer


def _make_templates(snapshot: Snapshot, fmt: str, time_travel: bool, templates: list[Any],
                    positions: list[int]) -> None:
    entries = [snapshot.files[position] for position in positions]
    with collector.paused():
        texts = stats_texts(entries)
        made = wire.file_templates(fmt, "file", snapshot.version if time_travel else None,
                                   snapshot.timestamp if time_travel else None,
                                   [(e.file_id, e.partition_values, e.size, text, e.modification_time,
                                     signing.quote_path(e.path)) for e, text in zip(entries, texts)])
    for position, template in zip(positions, made):  # a concurrent query may make the same ones: the same text
        templates[position] = template


def _visible(snapshot: Snapshot, partitions: PartitionFilter) -> Sequence[int]:
    """Positions of the files the share's partition filter allows, ascending. Exact (it is access control): the
    filter's answer depends only on the values of its columns, so it is asked once per distinct combination."""
    if not partitions.restricts:
        return range(len(snapshot.files))
    columns = partitions.columns
    index = snapshot.partition_index(columns)
    return sorted(chain.from_iterable(positions for key, positions in index.items()
                                      if partitions.allows(_known(columns, key))))


def _kept(snapshot: Snapshot, tree: dict[str, Any] | None, visible: Sequence[int]) -> Sequence[int]:
    """The visible positions the predicate hint may keep (only a file the predicate rules out is dropped).

    A tree over partition columns only is decided once per distinct value of those columns (partition values are
    exact facts); any other tree is evaluated per file on its stats."""
    if tree is None:
        return visible
    files = snapshot.files
    columns = _columns(tree)
    if not columns <= {c.lower() for c in snapshot.partition_columns}:
        return [p for p in visible if _keeps(tree, files[p])]
    names = tuple(sorted(columns))
    kept: list[int] = []
    for key, positions in snapshot.partition_index(names).items():
        if ABSENT in key:  # a file without one of the values: per file, on all it has
            kept.extend(p for p in positions if _keeps(tree, files[p]))
        elif predicates.evaluate(tree, file_facts(_known(names, key), None, {}, {}, {})) is not False:
            kept.extend(positions)
    chosen = sorted(set(kept).union(snapshot.without_facts)) if snapshot.without_facts else sorted(kept)
    if len(visible) == len(files):
        return chosen
    among = set(visible)
    return [p for p in chosen if p in among]


def _keeps(tree: dict[str, Any], entry: FileEntry) -> bool:
    facts = entry.facts
    return facts is None or predicates.evaluate(tree, facts) is not False


def _known(columns: tuple[str, ...], key: IndexKey) -> dict[str, Any]:
    return {c: v for c, v in zip(columns, key) if v is not ABSENT}


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
                   partitions: PartitionFilter, cdf_shared: bool, page: Page = ALL) -> Answer:
    """``startingVersion`` queries: the files each commit added and removed, oldest first."""
    answer = Answer(start, header_lines(cache.snapshot(path, start), fmt, cdf_shared, with_stats=False))
    selected: list[tuple[str, FileEntry, int, int]] = []
    for version in range(start, end + 1):
        timestamp = cache.commit_timestamp(path, version)
        added, removed = cache.diff(path, version)
        selected.extend((kind, entry, version, timestamp) for kind, entries in (("add", added), ("remove", removed))
                        for entry in entries if partitions.allows(entry.partition_values))
    sent = answer.page(selected, page)
    urls = signer.table_files()
    for kind, entry, version, timestamp in sent:
        answer.add_file(fmt, wire.FileLine(kind, urls.url(entry.path), entry.file_id,
                                           entry.partition_values, entry.size, urls.expires_ms, entry.stats_json,
                                           version, timestamp, entry.modification_time))
    adds = [entry for kind, entry, _, _ in sent if kind == "add"]
    answer.metrics = {"numRecords": sum(e.num_records or 0 for e in adds), "numAddFiles": len(adds),
                      "numRemoveFiles": len(sent) - len(adds), "scannedAddFileSize": sum(e.size for e in adds),
                      "tableVersion": start, "startingVersion": start, "endingVersion": end,
                      "deltaSharingPartitionFilteringAccessed": partitions.restricts}
    return answer


def table_changes(cache: SnapshotCache, path: str, table_key: str, start: int, end: int, fmt: str, signer: Signer,
                  partitions: PartitionFilter, page: Page = ALL) -> Answer:
    """``/changes``: the change rows of each commit in ``[start, end]`` as ``cdf`` files."""
    first = cache.snapshot(path, start)
    answer = Answer(start, [wire.protocol_line(fmt, first.protocol)])
    meta = wire.metadata_line(fmt, first.metadata, configuration=shared_configuration(first, fmt, True),
                              version=start if fmt == wire.DELTA else None)  # the delta client needs it
    answer.lines.append(meta)
    selected: list[tuple[int, ChangeFile]] = []
    for version in range(start, end + 1):
        changes: Iterable[ChangeFile] = cache.changes(path, table_key, first.metadata["id"], version)
        selected.extend((version, change) for change in changes if partitions.allows(change.partition_values))
    sent = answer.page(selected, page)
    urls = signer.change_files()
    for version, change in sent:
        answer.add_file(fmt, wire.FileLine("cdf", urls.url(change.path), change.file_id, change.partition_values,
                                           change.size, urls.expires_ms, None, version, change.timestamp))
    answer.metrics = {"numRecords": sum(c.num_records for _, c in sent), "numAddCDCFiles": len(sent),
                      "scannedAddCDCFileSize": sum(c.size for _, c in sent), "numAddFiles": 0, "numRemoveFiles": 0,
                      "tableVersion": start, "startingVersion": start, "endingVersion": end,
                      "deltaSharingPartitionFilteringAccessed": partitions.restricts}
    return answer
