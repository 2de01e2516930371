"""Delta Sharing wire objects: the one place where camelCase protocol names appear.

NDJSON lines for the parquet format (``protocol``, ``metaData``, ``file``, ``add``/``remove``/``cdf``) and the
delta format (``deltaProtocol``, ``deltaMetadata``, ``deltaSingleAction``), the capabilities header, and
the JSON bodies of the list endpoints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from sharekit.server.errors import BadRequest
from sharekit.server.tables.stats import compact_json

CAPABILITIES_HEADER = "delta-sharing-capabilities"
VERSION_HEADER = "Delta-Table-Version"
NDJSON = "application/x-ndjson; charset=utf-8"
PARQUET, DELTA = "parquet", "delta"


@dataclass(frozen=True)
class Capabilities:
    formats: tuple[str, ...]  # what the client accepts, in its order
    reader_features: tuple[str, ...]
    include_end_stream_action: bool

    @classmethod
    def parse(cls, header: str | None) -> Capabilities:
        """``key=v1,v2;key=v`` pairs, case-insensitive. No header or no ``responseformat`` = parquet only."""
        values: dict[str, list[str]] = {}
        for pair in (header or "").split(";"):
            key, _, raw = pair.partition("=")
            if key.strip():
                values[key.strip().lower()] = [v.strip().lower() for v in raw.split(",") if v.strip()]
        formats = tuple(values.get("responseformat") or [PARQUET])
        unknown = [f for f in formats if f not in (PARQUET, DELTA)]
        if unknown:
            raise BadRequest(f"Unsupported responseformat {','.join(unknown)}; use parquet or delta",
                             "INVALID_PARAMETER_VALUE")
        return cls(formats, tuple(values.get("readerfeatures") or ()),
                   (values.get("includeendstreamaction") or ["false"])[0] == "true")

    def choose(self, protocol: Mapping[str, Any]) -> str:
        """Parquet when the client accepts it and the table needs nothing more (reader version 1); else delta."""
        simple = int(protocol.get("minReaderVersion", 1)) <= 1
        if PARQUET in self.formats and (simple or DELTA not in self.formats):
            if not simple:
                raise BadRequest("This table uses reader features that the parquet response format cannot express; "
                                 "ask for responseformat=delta", "UNSUPPORTED_OPERATION")
            return PARQUET
        return DELTA

    def response_header(self, chosen: str) -> str:
        header = f"responseformat={chosen}"
        if self.include_end_stream_action:
            header += ";includeendstreamaction=true"
        return header


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder: ``json.dumps`` with options builds one per call


def line(obj: Mapping[str, Any]) -> bytes:
    return line_text(obj).encode()


def line_text(obj: Mapping[str, Any]) -> str:
    """One NDJSON line (ASCII: non-ASCII characters are escaped)."""
    return _COMPACT.encode(obj) + "\n"


def protocol_line(fmt: str, protocol: Mapping[str, Any]) -> dict[str, Any]:
    if fmt == PARQUET:
        return {"protocol": {"minReaderVersion": 1}}
    return {"protocol": {"deltaProtocol": dict(protocol)}}


def metadata_line(fmt: str, metadata: Mapping[str, Any], *, configuration: Mapping[str, str], version: int | None,
                  size: int | None = None, num_files: int | None = None) -> dict[str, Any]:
    if fmt == PARQUET:
        body: dict[str, Any] = {
            "id": metadata["id"],
            "format": {"provider": "parquet"},
            "schemaString": metadata["schemaString"],
            "partitionColumns": list(metadata["partitionColumns"]),
            "configuration": dict(configuration),
        }
        for key in ("name", "description"):
            if metadata.get(key):
                body[key] = metadata[key]
    else:
        raw = dict(metadata)
        raw["configuration"] = dict(configuration)
        body = {"deltaMetadata": {k: v for k, v in raw.items() if v is not None}}
    if version is not None:
        body["version"] = version
    if size is not None:
        body["size"] = size
    if num_files is not None:
        body["numFiles"] = num_files
    return {"metaData": body}


@dataclass(frozen=True)
class FileLine:
    """What a file line needs, whichever format it is written in."""

    kind: str  # file | add | remove | cdf
    url: str
    file_id: str
    partition_values: Mapping[str, str | None]
    size: int
    expiration_ms: int
    stats: str | None = None
    version: int | None = None
    timestamp: int | None = None
    modification_time: int = 0


def file_line(fmt: str, f: FileLine) -> dict[str, Any]:
    if fmt == PARQUET:
        body: dict[str, Any] = {"url": f.url, "id": f.file_id, "partitionValues": dict(f.partition_values),
                                "size": f.size, "expirationTimestamp": f.expiration_ms}
        if f.stats is not None and f.kind in ("file", "add"):
            body["stats"] = f.stats
        if f.version is not None:
            body["version"] = f.version
        if f.timestamp is not None:
            body["timestamp"] = f.timestamp
        return {f.kind: body}
    action: dict[str, Any] = {"path": f.url, "partitionValues": dict(f.partition_values), "size": f.size}
    if f.kind in ("file", "add"):
        action.update(modificationTime=f.modification_time, dataChange=True)
        if f.stats is not None:
            action["stats"] = f.stats
        single = {"add": action}
    elif f.kind == "remove":
        action.update(deletionTimestamp=f.timestamp or 0, dataChange=True, extendedFileMetadata=True)
        single = {"remove": action}
    else:
        action["dataChange"] = False
        single = {"cdc": action}
    body = {"id": f.file_id, "expirationTimestamp": f.expiration_ms, "deltaSingleAction": single}
    if f.version is not None:
        body["version"] = f.version
    if f.timestamp is not None:
        body["timestamp"] = f.timestamp
    return {"file": body}


# Markers that stand for what varies per file while a line's layout is made (the layout holds no other data, so
# a marker's text can only be the marker); each file then fills in its own values, each answer URL and expiry.
_TEXT_MARKS = {"url": "\x00url", "id": "\x00id", "stats": "\x00stats"}
_INT_MARKS = {"size": -(2**62) - 1, "expirationTimestamp": -(2**62) - 2, "modificationTime": -(2**62) - 3}
_PARTITION_MARK = {"\x00partitions": None}
_HOLE_TEXT = {**{_COMPACT.encode(v): k for k, v in _TEXT_MARKS.items()},
              **{str(v): k for k, v in _INT_MARKS.items()}, _COMPACT.encode(_PARTITION_MARK): "partitionValues"}
_HOLES = re.compile("|".join(re.escape(text) for text in _HOLE_TEXT))


@lru_cache(maxsize=256)
def _layout(fmt: str, kind: str, stats: bool, version: int | None, timestamp: int | None) -> tuple[str, bool]:
    """A file line as a format string with a field for each of the file's own values and a NUL where the URL and
    the expiry go (the line's text holds no other NUL: JSON escapes it), made from ``file_line`` itself; and
    whether the URL comes first (parquet lines carry it before the expiry, delta lines after it)."""
    text = line_text(file_line(fmt, FileLine(kind, _TEXT_MARKS["url"], _TEXT_MARKS["id"], _PARTITION_MARK,
                                             _INT_MARKS["size"], _INT_MARKS["expirationTimestamp"],
                                             _TEXT_MARKS["stats"] if stats else None, version, timestamp,
                                             _INT_MARKS["modificationTime"])))
    out: list[str] = []
    order: list[str] = []
    last = 0
    for found in _HOLES.finditer(text):
        out.append(text[last:found.start()].replace("{", "{{").replace("}", "}}"))
        hole = _HOLE_TEXT[found.group()]
        if hole in ("url", "expirationTimestamp"):
            out.append("\x00")
            order.append(hole)
        else:
            out.append("{" + hole + "}")
        last = found.end()
    out.append(text[last:].replace("{", "{{").replace("}", "}}"))
    return "".join(out), order[0] == "url"


class LineTemplate:
    """A file line encoded once per snapshot: every answer fills in only what it signs anew, the URL and its expiry.

    Laid out by ``file_line`` itself, so a filled template is the very line ``line_text(file_line(...))`` gives.
    Slotted, with a plain constructor: a cold query of a large table makes one per file."""

    __slots__ = ("head", "middle", "tail", "url_first", "url_path")

    def __init__(self, head: str, middle: str, tail: str, url_first: bool, url_path: str) -> None:
        self.head, self.middle, self.tail = head, middle, tail  # before, between and after the URL and expiry
        self.url_first = url_first
        self.url_path = url_path  # the file's path as its signed URLs carry it (percent-encoded), kept with the line

    @classmethod
    def of(cls, fmt: str, f: FileLine, url_path: str = "") -> LineTemplate:
        return file_templates(fmt, f.kind, f.version, f.timestamp,
                              [(f.file_id, f.partition_values, f.size, f.stats, f.modification_time, url_path)])[0]

    def fill(self, url: str, expiration_ms: int) -> str:
        quoted = encode_basestring_ascii(url)
        if self.url_first:
            return f"{self.head}{quoted}{self.middle}{expiration_ms}{self.tail}"
        return f"{self.head}{expiration_ms}{self.middle}{quoted}{self.tail}"


# What a template keeps of one file: id, partition values, size, stats string (None: none), modification time, and
# its path as its URLs carry it.
TemplateFile = tuple[str, Mapping[str, "str | None"], int, "str | None", int, str]


def file_templates(fmt: str, kind: str, version: int | None, timestamp: int | None,
                   files: Sequence[TemplateFile]) -> list[LineTemplate]:
    """The templates of many files' lines at once (a cold query of a large table makes one per file)."""
    layouts = {stats: _layout(fmt, kind, stats, version, timestamp) for stats in (True, False)}
    out = []
    for file_id, partition_values, size, stats, modification_time, url_path in files:
        layout, url_first = layouts[stats is not None]
        head, middle, tail = layout.format_map({
            "id": encode_basestring_ascii(file_id), "size": size, "modificationTime": modification_time,
            "partitionValues": compact_json(partition_values if type(partition_values) is dict
                                            else dict(partition_values)),
            "stats": "" if stats is None else encode_basestring_ascii(stats)}).split("\x00")
        out.append(LineTemplate(head, middle, tail, url_first, url_path))
    return out


def end_stream_line(min_url_expiration_ms: int | None, *, next_page_token: str | None = None,
                    refresh_token: str | None = None) -> dict[str, Any]:
    """The last line of a paged or refreshable answer (or of any answer to a client that asked for it)."""
    body: dict[str, Any] = {}
    if refresh_token is not None:
        body["refreshToken"] = refresh_token
    if next_page_token is not None:
        body["nextPageToken"] = next_page_token
    if min_url_expiration_ms is not None:
        body["minUrlExpirationTimestamp"] = min_url_expiration_ms
    return {"endStreamAction": body}


def share_item(name: str, share_id: str) -> dict[str, Any]:
    return {"name": name, "id": share_id}


def schema_item(name: str, share: str) -> dict[str, Any]:
    return {"name": name, "share": share}


def table_item(name: str, schema: str, share: str, share_id: str, table_id: str) -> dict[str, Any]:
    return {"name": name, "schema": schema, "share": share, "shareId": share_id, "id": table_id}


def page(items: Iterable[dict[str, Any]], next_page_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"items": list(items)}
    if next_page_token:
        body["nextPageToken"] = next_page_token
    return body


@dataclass(frozen=True)
class QueryBody:
    """The POST …/query body, validated (unknown fields are ignored: newer clients send more)."""

    predicate_hints: tuple[str, ...] = ()
    json_predicate_hints: str | None = None
    limit_hint: int | None = None
    version: int | None = None
    timestamp: str | None = None
    starting_version: int | None = None
    ending_version: int | None = None
    max_files: int | None = None  # file-level pagination: at most this many file lines, then a nextPageToken
    page_token: str | None = None
    include_refresh_token: bool = False  # a refreshToken pinning the snapshot, to re-sign the same files later
    refresh_token: str | None = None

    @property
    def uses_tokens(self) -> bool:
        """Whether the client speaks the protocol's tokens (and so expects an EndStreamAction line)."""
        return (self.max_files is not None or self.page_token is not None or self.include_refresh_token
                or self.refresh_token is not None)

    def checked_parameters(self) -> dict[str, Any]:
        """What a page or refresh token is bound to: everything but the tokens and the page size."""
        return {"predicateHints": list(self.predicate_hints), "jsonPredicateHints": self.json_predicate_hints,
                "limitHint": self.limit_hint, "version": self.version, "timestamp": self.timestamp,
                "startingVersion": self.starting_version, "endingVersion": self.ending_version}

    @classmethod
    def parse(cls, raw: Any) -> QueryBody:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise BadRequest("The query body must be a JSON object", "MALFORMED_REQUEST")
        hints = raw.get("predicateHints") or []
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            raise BadRequest("predicateHints must be a list of strings", "MALFORMED_REQUEST")
        json_hints = raw.get("jsonPredicateHints")
        if json_hints is not None and not isinstance(json_hints, str):
            json_hints = json.dumps(json_hints)  # tolerate clients that send the tree itself
        timestamp = raw.get("timestamp")
        if timestamp is not None and not isinstance(timestamp, str):
            raise BadRequest("timestamp must be an ISO-8601 string", "MALFORMED_REQUEST")
        body = cls(tuple(hints), json_hints, _int(raw, "limitHint"), _int(raw, "version"), timestamp,
                   _int(raw, "startingVersion"), _int(raw, "endingVersion"), max_files(raw.get("maxFiles")),
                   _token(raw, "pageToken"), _bool(raw, "includeRefreshToken"), _token(raw, "refreshToken"))
        if body.refresh_token is not None and (body.version is not None or body.timestamp is not None
                                               or body.starting_version is not None):
            raise BadRequest("refreshToken refreshes a query of the latest snapshot; a version, timestamp or "
                             "startingVersion query can simply be sent again")
        given = [k for k, v in (("version", body.version), ("timestamp", body.timestamp),
                                ("startingVersion", body.starting_version)) if v is not None]
        if len(given) > 1:
            raise BadRequest(f"Only one of version, timestamp and startingVersion may be given (got {', '.join(given)})")
        if body.ending_version is not None and body.starting_version is None:
            raise BadRequest("endingVersion needs startingVersion")
        return body


def _int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be an integer", "MALFORMED_REQUEST")
    if value < 0 or value > 2**62:
        raise BadRequest(f"{key} must be a non-negative integer")
    return value


def max_files(value: Any) -> int | None:
    """``maxFiles`` from a body (an int) or a query string (a string of digits): a positive page size."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest("maxFiles must be a positive integer")
    return value


def _token(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise BadRequest(f"{key} is not a token this server issued", "INVALID_PARAMETER_VALUE")
    return value


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false", "MALFORMED_REQUEST")
    return value
