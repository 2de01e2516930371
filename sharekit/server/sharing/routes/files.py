"""Signed, expiring file URLs (HEAD, Range, streaming).

File URLs carry no bearer token: the HMAC signature and its expiry are the authorisation (see
``security.signing``). Tampered, expired and path-escaping URLs get 403 and are audited; good downloads are not
(a query that hands the URLs out is audited already, like object-store reads of pre-signed URLs on Databricks).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.endpoint import Call
from sharekit.server.errors import Forbidden, NotFound
from sharekit.server.paths import FILES
from sharekit.server.security import signing
from sharekit.server.settings import FILE_CHUNK_BYTES, SIGNED_URL_TTL_S
from sharekit.types import Scope

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

FORBIDDEN_SEGMENTS = ("_delta_log",)
# HEADs, single ranges and files up to this size are answered in one piece from the request's worker thread:
# FileResponse would hop to a thread again for the stat, the open, every read and the close (the profile of the
# client's nine small requests per file showed those hops, not the reads).
SMALL_READ_BYTES = FILE_CHUNK_BYTES
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MEDIA_TYPE = "application/octet-stream"


class DataFileResponse(FileResponse):
    chunk_size = FILE_CHUNK_BYTES


@dataclass(frozen=True)
class SignedFile:
    """What a valid signed URL names: the file area (``signing.AREAS``), the table key and the relative path."""

    area: str
    key: str
    relative: str


def _refuse(request: Request, reason: str) -> Forbidden:
    audit_request(request, "deltaSharingGetFile", path=request.scope["path"], reason=reason)
    return Forbidden(f"Access to this file URL is denied: {reason}")


def signed_file(request: Request, state: ServerState, audit: RequestAudit) -> SignedFile:
    """The guard of file URLs: a valid, unexpired signature over the decoded path."""
    path = request.scope["path"]  # decoded: what the signature covers
    params = request.path_params
    reason = signing.verify(state.secret, path, request.query_params.get(signing.EXPIRES_KEY),
                            request.query_params.get(signing.SIGNATURE_KEY), state.now_ms())
    if reason is not None:
        raise _refuse(request, reason)
    if params["area"] not in signing.AREAS:
        raise _refuse(request, "unknown file area")
    return SignedFile(params["area"], params["key"], params["rest"])


def _resolve(state: ServerState, signed: SignedFile) -> Path | None:
    """The file on disk, or None when the path leaves its area's folder."""
    located = _located(state, signed)
    return None if located is None else Path(located[0])


def _located(state: ServerState, signed: SignedFile) -> tuple[str, os.stat_result | None] | None:
    """``_resolve``'s path, with the file's own status when the walk already has it (no symlink on the way: the
    last ``lstat`` is its ``stat``); None when the path leaves its area's folder."""
    relative = signed.relative
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or p.startswith(FORBIDDEN_SEGMENTS) for p in parts) \
            or "\x00" in relative or "\\" in relative:
        return None
    if signed.area == "t":
        root = state.table_keys.folder(signed.key)
    elif signed.area == "v":
        root = state.views.key_folder(signed.key)
    else:
        root = state.snapshots.change_folder(signed.key)
    if root is None:
        return None
    real_root = _real_root(str(root))
    current = real_root
    for part in parts:  # no "..", "." or "" segments: the path stays inside unless a symlink leads out
        current = f"{current}/{part}"
        try:
            info = os.lstat(current)
        except OSError:
            return os.path.join(real_root, relative), None  # missing: the caller answers 404
        if stat.S_ISLNK(info.st_mode):
            break  # a symlink: check where the whole path really leads
    else:
        return current, info
    target = os.path.realpath(os.path.join(real_root, relative))
    return (target, None) if target.startswith(real_root + os.sep) else None


_ROOTS: dict[str, tuple[float, str]] = {}  # area folder -> (when resolved, real path)
ROOT_TTL_S = 5.0
ROOTS_KEPT = 1024


def _real_root(root: str) -> str:
    """The area folder's real path (realpath walks every component: kept a few seconds, not per request)."""
    now = time.monotonic()
    known = _ROOTS.get(root)
    if known is not None and now - known[0] < ROOT_TTL_S:
        return known[1]
    if len(_ROOTS) >= ROOTS_KEPT:
        _ROOTS.clear()
    real = os.path.realpath(root)
    _ROOTS[root] = (now, real)
    return real


def _span(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` of a satisfiable single byte range; None for anything else (FileResponse answers it:
    several ranges, malformed, unsatisfiable)."""
    match = _SINGLE_RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
        return (start, end) if int(last) > 0 and size > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if start < size and (not last or int(last) >= start) else None


def _stat_headers(info: os.stat_result) -> dict[str, str]:
    """What FileResponse sends (same ETag formula, so a client's If-Range stays valid either way)."""
    etag = hashlib.md5(f"{info.st_mtime}-{info.st_size}".encode(), usedforsecurity=False).hexdigest()
    return {"cache-control": f"private, max-age={SIGNED_URL_TTL_S}", "accept-ranges": "bytes",
            "last-modified": formatdate(info.st_mtime, usegmt=True), "etag": f'"{etag}"'}


def _read(target: Path | str, start: int, length: int) -> bytes:
    descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return os.pread(descriptor, length, start)
    finally:
        os.close(descriptor)


_ENCODED: dict[tuple[float, int], list[tuple[bytes, bytes]]] = {}  # (mtime, size) -> the stat headers, encoded
ENCODED_KEPT = 4096


def _encoded_stat_headers(info: os.stat_result) -> list[tuple[bytes, bytes]]:
    """``_stat_headers`` and the content type, as the server sends them (an MD5 and a date format per request
    were a fifth of a HEAD's work: kept per file version)."""
    key = (info.st_mtime, info.st_size)
    known = _ENCODED.get(key)
    if known is None:
        if len(_ENCODED) >= ENCODED_KEPT:
            _ENCODED.clear()
        known = _ENCODED[key] = _encoded({**_stat_headers(info), "content-type": MEDIA_TYPE})
    return known


def _small_answer(request: Request, target: Path, info: os.stat_result) -> Response | None:
    """The whole answer, read here, for a HEAD, a small single range or a small file; None: stream it."""
    if request.method not in ("GET", "HEAD") or "if-range" in request.headers:
        return None
    size, head = info.st_size, request.method == "HEAD"
    headers = _stat_headers(info)
    wanted = request.headers.get("range")
    if wanted is None:
        if not head and size > SMALL_READ_BYTES:
            return None
        headers["content-length"] = str(size)
        return Response(b"" if head else _read(target, 0, size), 200, headers, MEDIA_TYPE)
    span = _span(wanted, size)
    if span is None or span[1] - span[0] + 1 > SMALL_READ_BYTES:
        return None
    start, end = span
    headers.update({"content-range": f"bytes {start}-{end}/{size}", "content-length": str(end - start + 1)})
    return Response(b"" if head else _read(target, start, end - start + 1), 206, headers, MEDIA_TYPE)


def serve_file(call: Call[SignedFile]) -> Response:
    target = _resolve(call.state, call.who)
    if target is None:
        raise _refuse(call.request, "path outside the shared table")
    try:
        info: os.stat_result | None = os.stat(target)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        audit_request(call.request, "deltaSharingGetFile", path=call.request.scope["path"], reason="missing")
        raise NotFound("The file no longer exists (the table may have been vacuumed)")
    answer = _small_answer(call.request, target, info)
    if answer is not None:
        return answer
    return DataFileResponse(target, media_type=MEDIA_TYPE, stat_result=info,
                            headers={"Cache-Control": f"private, max-age={SIGNED_URL_TTL_S}"})


# -- the event loop's fast path ---------------------------------------------------------------------------
INLINE_BYTES = 128 * 1024  # HEADs and ranges up to this size are answered on the event loop (page-cache reads)


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers (content-length included), body


def inline_answer(state: ServerState, scope: Scope) -> Answer | None:
    """The whole answer to a HEAD or a small single-range GET of a *valid* signed URL, computed without routing
    or a thread hop; None for anything else (a bad or expired signature, a missing file, a larger read), which
    then takes the normal route — where refusals are audited and every case is answered as before. The checks are
    the same functions the route runs: ``signing.verify`` over the decoded path, the area, ``_resolve``."""
    method, path = scope["method"], scope["path"]
    area, _, remainder = path[len(FILES):].partition("/")
    key, _, relative = remainder.partition("/")
    if method not in ("GET", "HEAD") or area not in signing.AREAS or not key or not relative:
        return None
    query = _query(scope.get("query_string", b"").decode("latin-1"))
    expires, signature = query.get(signing.EXPIRES_KEY), query.get(signing.SIGNATURE_KEY)
    if not expires or not signature or len(expires) > 1 or len(signature) > 1 or signing.verify(
            state.secret, path, expires[0], signature[0], state.now_ms()) is not None:
        return None
    headers = dict(scope.get("headers") or [])
    wanted = headers.get(b"range")
    if (method == "GET" and wanted is None) or b"if-range" in headers:
        return None
    if b"content-length" in headers or b"transfer-encoding" in headers:  # a body: the body limit judges it first
        return None
    located = _located(state, SignedFile(area, key, relative))
    if located is None:
        return None
    target, info = located
    try:
        info = info if info is not None else os.stat(target)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    size = info.st_size
    if wanted is None:  # HEAD
        return 200, [*_encoded_stat_headers(info), (b"content-length", str(size).encode())], b""
    span = _span(wanted.decode("latin-1"), size)
    if span is None or span[1] - span[0] + 1 > INLINE_BYTES:
        return None
    start, end = span
    length = end - start + 1
    body = b"" if method == "HEAD" else _read(target, start, length)
    if method != "HEAD" and len(body) != length:  # the file changed under us: the route answers
        return None
    return 206, [*_encoded_stat_headers(info), (b"content-range", f"bytes {start}-{end}/{size}".encode()),
                 (b"content-length", str(length).encode())], body


def _query(text: str) -> dict[str, list[str]]:
    """``parse_qs(text)``; without its per-field unquoting when nothing in ``text`` is escaped (signed URLs)."""
    if "%" in text or "+" in text:
        return parse_qs(text)
    fields: dict[str, list[str]] = {}
    for field in text.split("&"):
        name, equals, value = field.partition("=")
        if equals and value:  # parse_qs drops blank values and fields without "="
            fields.setdefault(name, []).append(value)
    return fields


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
