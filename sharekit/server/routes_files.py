"""Signed, expiring file URLs (HEAD, Range, streaming) and the recipient activation page.

File URLs carry no bearer token: the HMAC signature and its expiry are the authorisation (see ``signing``).
Tampered, expired and path-escaping URLs get 403 and are audited; good downloads are not (a query that
hands the URLs out is audited already, like object-store reads of pre-signed URLs on Databricks).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from string import Template

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server import paths
from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.endpoint import server_state
from sharekit.server.errors import Forbidden, NotFound
from sharekit.server.security import signing
from sharekit.server.settings import FILE_CHUNK_BYTES, SIGNED_URL_TTL_S
from sharekit.server.state import ServerState

ACTIVATION_PATH = paths.ACTIVATION_PAGE
TEMPLATE = Path(__file__).parent / "templates" / "activation.html"
FORBIDDEN_SEGMENTS = ("_delta_log",)


class DataFileResponse(FileResponse):
    chunk_size = FILE_CHUNK_BYTES


def _refuse(request: Request, reason: str) -> Forbidden:
    audit_request(request, "deltaSharingGetFile", path=request.scope["path"], reason=reason)
    return Forbidden(f"Access to this file URL is denied: {reason}")


def _resolve(state: ServerState, area: str, key: str, relative: str) -> Path | None:
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or p.startswith(FORBIDDEN_SEGMENTS) for p in parts) \
            or "\x00" in relative or "\\" in relative:
        return None
    if area == "t":
        root = state.table_keys.folder(key)
    elif area == "v":
        root = state.views.key_folder(key)
    else:
        root = state.snapshots.change_folder(key)
    if root is None:
        return None
    root = root.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        return None
    return target


async def serve_file(request: Request) -> Response:
    state = server_state(request)
    path = request.scope["path"]  # decoded: what the signature covers
    area, key, relative = request.path_params["area"], request.path_params["key"], request.path_params["rest"]
    reason = signing.verify(state.secret, path, request.query_params.get(signing.EXPIRES_KEY),
                            request.query_params.get(signing.SIGNATURE_KEY), state.now_ms())
    if reason is not None:
        raise _refuse(request, reason)
    if area not in signing.AREAS:
        raise _refuse(request, "unknown file area")
    target = await run_in_threadpool(_resolve, state, area, key, relative)
    if target is None:
        raise _refuse(request, "path outside the shared table")
    if not await run_in_threadpool(target.is_file):
        audit_request(request, "deltaSharingGetFile", path=path, reason="missing")
        raise NotFound("The file no longer exists (the table may have been vacuumed)")
    return DataFileResponse(target, media_type="application/octet-stream",
                            headers={"Cache-Control": f"private, max-age={SIGNED_URL_TTL_S}"})


# -- activation page ------------------------------------------------------------------------------------

def _activation_token(request: Request) -> str:
    query = request.url.query
    if "=" in query:  # also accept ?token=<t>
        query = request.query_params.get("token", "") or next(iter(request.query_params.values()), "")
    return query.strip()


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = Template(TEMPLATE.read_text(encoding="utf-8")).safe_substitute(title=html.escape(title), body=body)
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                                           "X-Frame-Options": "DENY"})


def _spent(entry: RequestAudit, message: str) -> HTMLResponse:
    entry.error_message = f"RESOURCE_DOES_NOT_EXIST: {message}"
    return _page("Activation link not valid",
                 f'<p class="error">{html.escape(message)}</p>'
                 "<p>Ask the data provider for a new activation link.</p>", status=404)


async def activation_page(request: Request) -> Response:
    entry = audit_request(request, "deltaSharingRecipientOpenedActivationLink")
    token = _activation_token(request)
    state = server_state(request)
    try:
        recipient = state.metastore.activation_info(token) if token else None
    except NotFound:
        recipient = None
    if recipient is None:
        return _spent(entry, "This activation link was already used, has expired, or is not valid.")
    entry.request_params["recipient_name"] = recipient.name
    action = html.escape(f"{ACTIVATION_PATH}/download?{token}", quote=True)
    body = (f"<p>Data provider <b>sharekit</b> shares data with <b>{html.escape(recipient.name)}</b>.</p>"
            "<p>Download the credential file once and keep it safe: it is the key to the shared data, and this "
            "link stops working after the download.</p>"
            f'<form method="post" action="{action}"><button type="submit" id="download">'
            "Download credential file</button></form>")
    return _page("Delta Sharing activation", body)


async def activation_download(request: Request) -> Response:
    entry = audit_request(request, "retrieveRecipientToken")
    token = _activation_token(request)
    state = server_state(request)
    try:
        if not token:
            raise NotFound("no activation token")
        recipient, bearer, expiry = state.metastore.retrieve_activation(token, state.now_ms())
    except NotFound:
        return _spent(entry, "This activation link was already used, has expired, or is not valid.")
    entry.request_params["recipient_name"] = recipient.name
    profile = profile_json(state.base_url, bearer, expiry)
    return Response(json.dumps(profile, indent=2) + "\n", media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="config.share"', "Cache-Control": "no-store"})


def profile_json(base_url: str, bearer: str, expiration_ms: int | None) -> dict[str, object]:
    profile: dict[str, object] = {"shareCredentialsVersion": 1, "endpoint": paths.profile_endpoint(base_url),
                                  "bearerToken": bearer}
    if expiration_ms is not None:
        moment = dt.datetime.fromtimestamp(expiration_ms / 1000, tz=dt.timezone.utc)
        profile["expirationTime"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return profile


def routes() -> list[BaseRoute]:
    return [
        Route(paths.FILES + "{area}/{key}/{rest:path}", serve_file, methods=["GET", "HEAD"]),
        Route(ACTIVATION_PATH, activation_page, methods=["GET"]),
        Route(ACTIVATION_PATH + "/download", activation_download, methods=["POST"]),
    ]

