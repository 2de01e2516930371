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

import asyncio
import contextlib
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound

from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.body import parse_body
from sharekit.server.errors import BadRequest
from sharekit.server.security.admin import require_admin
from sharekit.server.settings import REQUEST_THREAD_IDLE_S, REQUEST_THREADS
from sharekit.types import JSONObject, Receive, Scope, Send

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

Identity = TypeVar("Identity")
T = TypeVar("T")
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


# -- route groups -------------------------------------------------------------------------------------------

_MATCHED = "sharekit.route"  # the scope key a group leaves the matched route under


class RouteGroup(BaseRoute):
    """Routes under one path prefix, tried as one. Starlette tries the routes of an app in order, one regular
    expression each; a request for another area costs one string test here instead of one per route. Inside
    the group the routes are tried in order as before, so what matches (and 405 for a wrong method) is unchanged."""

    def __init__(self, prefix: str, routes: Sequence[BaseRoute]) -> None:
        self.prefix = prefix
        self.routes = list(routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not scope.get("root_path") and not str(scope.get("path", "")).startswith(self.prefix):
            return Match.NONE, {}
        partial: tuple[Match, Scope] | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return match, {**child, _MATCHED: route}
            if match == Match.PARTIAL and partial is None:
                partial = match, {**child, _MATCHED: route}
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[_MATCHED]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


# -- the worker threads -------------------------------------------------------------------------------------

_STOP = object()


class RequestWorkers:
    """The threads request work runs in: a queue, and threads that settle the waiting request's asyncio future
    themselves. A hop costs about half of ``starlette.concurrency.run_in_threadpool`` (35 against 70 µs here), which
    matters now that every handler takes one. Threads start while jobs wait for one, at most ``threads`` of them,
    and leave after ``idle_s`` without work."""

    def __init__(self, threads: int = REQUEST_THREADS, idle_s: float = REQUEST_THREAD_IDLE_S) -> None:
        self._max = threads
        self._idle_s = idle_s
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads waiting for a job
        self._pending = 0  # jobs queued that no thread has taken yet

    async def run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._pending += 1
            start = self._pending > self._idle and self._threads < self._max
            if start:
                self._threads += 1
                self._idle += 1
        self._queue.put((loop, future, work))
        if start:
            threading.Thread(target=self._serve, name="sharekit-request", daemon=True).start()
        return await future

    def close(self) -> None:
        """Let every thread finish the jobs queued so far, then leave."""
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._queue.put(_STOP)

    def _serve(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                job = None
            with self._lock:
                if job is _STOP or (job is None and not self._pending):
                    self._idle -= 1
                    self._threads -= 1
                    return
                if job is None:  # timed out while a job is on its way into the queue: take it
                    continue
                self._idle -= 1
                self._pending -= 1
            _run_job(*job)
            with self._lock:
                self._idle += 1


def _run_job(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], work: Callable[[], Any]) -> None:
    try:
        result = work()
    except BaseException as err:  # noqa: BLE001 - raised again in the request that waits for it
        _settle(loop, future, None, err)
    else:
        _settle(loop, future, result, None)


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: Any,
            error: BaseException | None) -> None:
    def settle() -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the event loop closed while the work ran: nobody waits any more
        loop.call_soon_threadsafe(settle)
