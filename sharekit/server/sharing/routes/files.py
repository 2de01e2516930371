"""Signed, expiring file URLs (HEAD, Range, streaming).

File URLs carry no bearer token: the HMAC signature and its expiry are the authorisation (see
``security.signing``). Tampered, expired and path-escaping URLs get 403 and are audited; good downloads are not
(a query that hands the URLs out is audited already, like object-store reads of pre-signed URLs on Databricks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse

from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.endpoint import Call
from sharekit.server.errors import Forbidden, NotFound
from sharekit.server.security import signing
from sharekit.server.settings import FILE_CHUNK_BYTES, SIGNED_URL_TTL_S

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

FORBIDDEN_SEGMENTS = ("_delta_log",)


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
    root = root.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        return None
    return target


def serve_file(call: Call[SignedFile]) -> FileResponse:
    target = _resolve(call.state, call.who)
    if target is None:
        raise _refuse(call.request, "path outside the shared table")
    if not target.is_file():
        audit_request(call.request, "deltaSharingGetFile", path=call.request.scope["path"], reason="missing")
        raise NotFound("The file no longer exists (the table may have been vacuumed)")
    return DataFileResponse(target, media_type="application/octet-stream",
                            headers={"Cache-Control": f"private, max-age={SIGNED_URL_TTL_S}"})
