"""The one request pattern every handler goes through.

1. Declare the audit action (or none, for the few routes that are not audited) with the request's parameters,
   before anything can fail, so that refusals are audited too.
2. Read the body off the socket when the route takes one (on the event loop: that is I/O, not work).
3. In a worker thread, because SQLite and Delta reads block: the guard says who is asking (the admin, a recipient,
   the holder of a signed URL, anyone) or refuses; then the body is parsed (a JSON object with allowed fields, or
   raw bytes); then the handler does the work and returns JSON, a response, or an awaitable (the statement wait),
   which is awaited on the event loop.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.body import parse_body
from sharekit.server.errors import BadRequest
from sharekit.server.security.admin import require_admin
from sharekit.types import JSONObject

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

Identity = TypeVar("Identity")
Result = Response | JSONObject | list[Any] | Awaitable[Response]
Guard = Callable[[Request, "ServerState", RequestAudit], Identity]
Endpoint = Callable[[Request], Awaitable[Response]]

INT32_MAX = 2**31 - 1
SECRET_PATH_PARAMS = frozenset({"activation"})  # never written to the audit log
BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


@dataclass
class Call(Generic[Identity]):
    """What a handler gets: the request, the server state, who is asking (what the guard returned), the audit entry
    of the request (one that is never recorded on routes that are not audited) and the body."""

    request: Request
    state: ServerState
    who: Identity
    audit: RequestAudit
    body: JSONObject = field(default_factory=dict)  # the checked JSON object (routes with ``fields``)
    raw: bytes = b""  # the body as sent (routes with ``raw``)
    started: float = 0.0  # perf_counter when the work began (before the guard)

    def note(self, **params: Any) -> None:
        """Add parameters to the request's audit entry (None values are left out)."""
        self.audit.request_params.update({k: str(v) for k, v in params.items() if v is not None})

    def path(self, key: str) -> str:
        return str(self.request.path_params[key])

    def query_int(self, key: str) -> int | None:
        raw = self.request.query_params.get(key)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError as err:
            raise BadRequest(f"Query parameter {key} must be an integer, got '{raw}'") from err
        if value < 0:
            raise BadRequest(f"Query parameter {key} must not be negative, got {value}")
        if value > INT32_MAX:
            raise BadRequest(f"Query parameter {key} is too large: {value}")
        return value

    def query_bool(self, key: str) -> bool:
        raw = self.request.query_params.get(key)
        if raw is None or raw == "":
            return False
        if raw.lower() not in ("true", "false"):
            raise BadRequest(f"Query parameter {key} must be true or false, got '{raw}'")
        return raw.lower() == "true"

    def query_str(self, key: str, *, required: bool = False) -> str | None:
        raw = self.request.query_params.get(key)
        if required and not raw:
            raise BadRequest(f"Query parameter {key} is required")
        return raw or None


# -- guards -------------------------------------------------------------------------------------------------

def admin(request: Request, state: ServerState, audit: RequestAudit) -> str:
    """The provider's admin token; the acting user's name."""
    require_admin(request.headers.get("authorization"), state.admin_token)
    audit.user_email = state.admin_user
    return state.admin_user


def public(request: Request, state: ServerState, audit: RequestAudit) -> None:
    """Anyone (the route checks what it needs itself, e.g. an activation link)."""
    return


# -- audit parameters ---------------------------------------------------------------------------------------

def path_params(request: Request) -> dict[str, Any]:
    """The path parameters as audit parameters: ``name`` (or ``full_name``) as ``name``, secrets left out."""
    params = {k: str(v) for k, v in request.path_params.items() if k not in SECRET_PATH_PARAMS}
    name = params.pop("name", None) or params.pop("full_name", None)
    return {"name": name, **params}


def no_params(request: Request) -> dict[str, Any]:
    return {}


def body_name(call: Call[Any]) -> dict[str, Any]:
    """The ``name`` of a created object, from the request body (the path does not have it yet)."""
    return {"name": call.body.get("name")}


# -- the pattern --------------------------------------------------------------------------------------------

def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.sharekit
    return state


def endpoint(action: str | None, handler: Callable[[Call[Identity]], Result], *, guard: Guard[Identity],
             fields: Collection[str] | None = None, raw: bool = False,
             params: Callable[[Request], Mapping[str, Any]] = path_params,
             audit_params: Callable[[Call[Identity]], Mapping[str, Any]] | None = None) -> Endpoint:
    """A route's ASGI endpoint: audit ``action`` (None: not audited) with ``params`` of the request, then in a worker
    thread ``guard``, the body (a JSON object with only ``fields``, or the ``raw`` bytes, or none), the extra
    ``audit_params`` taken from the parsed call, and ``handler``."""
    takes_body = fields is not None or raw

    async def run(request: Request) -> Response:
        entry = audit_request(request, action, **params(request)) if action else RequestAudit("", {})
        state = server_state(request)
        sent = await request.body() if takes_body and request.method in BODY_METHODS else b""

        def work() -> Response | Awaitable[Response]:
            started = time.perf_counter()
            who = guard(request, state, entry)
            body = parse_body(sent, fields) if fields is not None else {}
            call = Call(request, state, who, entry, body, sent if raw else b"", started)
            if audit_params is not None:
                call.note(**audit_params(call))
            return _response(handler(call))

        answer = await state.workers.run(work)
        return await answer if inspect.isawaitable(answer) else answer

    return run


def _response(result: Result) -> Response | Awaitable[Response]:
    if isinstance(result, Response) or inspect.isawaitable(result):
        return result
    return JSONResponse(result)
