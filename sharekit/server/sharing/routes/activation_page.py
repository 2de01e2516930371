"""The recipient's activation page: the link an activation URL opens, and the one-time credential download."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sharekit.server import paths
from sharekit.server.audit.log import RequestAudit
from sharekit.server.endpoint import Call
from sharekit.server.errors import NotFound
from sharekit.server.tables.stats import utc_millis_text

TEMPLATE = Path(__file__).parent / "templates" / "activation.html"
SPENT = "This activation link was already used, has expired, or is not valid."


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


def activation_page(call: Call[None]) -> Response:
    token = _activation_token(call.request)
    try:
        recipient = call.state.metastore.activation_info(token) if token else None
    except NotFound:
        recipient = None
    if recipient is None:
        return _spent(call.audit, SPENT)
    call.note(recipient_name=recipient.name)
    action = html.escape(f"{paths.ACTIVATION_PAGE}/download?{token}", quote=True)
    body = (f"<p>Data provider <b>sharekit</b> shares data with <b>{html.escape(recipient.name)}</b>.</p>"
            "<p>Download the credential file once and keep it safe: it is the key to the shared data, and this "
            "link stops working after the download.</p>"
            f'<form method="post" action="{action}"><button type="submit" id="download">'
            "Download credential file</button></form>")
    return _page("Delta Sharing activation", body)


def activation_download(call: Call[None]) -> Response:
    token = _activation_token(call.request)
    state = call.state
    try:
        if not token:
            raise NotFound("no activation token")
        recipient, bearer, expiry = state.metastore.retrieve_activation(token, state.now_ms())
    except NotFound:
        return _spent(call.audit, SPENT)
    call.note(recipient_name=recipient.name)
    profile = profile_json(state.base_url, bearer, expiry)
    return Response(json.dumps(profile, indent=2) + "\n", media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="config.share"', "Cache-Control": "no-store"})


def profile_json(base_url: str, bearer: str, expiration_ms: int | None) -> dict[str, object]:
    profile: dict[str, object] = {"shareCredentialsVersion": 1, "endpoint": paths.profile_endpoint(base_url),
                                  "bearerToken": bearer}
    if expiration_ms is not None:
        profile["expirationTime"] = utc_millis_text(dt.datetime.fromtimestamp(expiration_ms / 1000,
                                                                               tz=dt.timezone.utc))
    return profile
