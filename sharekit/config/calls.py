"""Count the HTTP calls a ``WorkspaceClient`` makes (a ``requests`` response hook on its session), bound the
SDK's throttling waits, and run independent calls concurrently with a bounded number in flight.

Retries: the SDK itself retries 429 and 503 answers (and connection errors) after ``Retry-After`` seconds until
its ``retry_timeout_seconds`` runs out, then raises ``TimeoutError``. It sleeps whatever ``Retry-After`` says, so
the hook caps the header at ``MAX_RETRY_AFTER_S``: one throttled call can never stall an apply for longer than the
SDK's retry timeout plus that cap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

T = TypeVar("T")

DEFAULT_PARALLEL = 8  # calls in flight at most (a workspace's per-user rate limits allow this comfortably)
MAX_PARALLEL = 20  # the SDK's connection pool holds 20 connections
MAX_RETRY_AFTER_S = 30
THROTTLED = (429, 503)


def check_parallel(parallel: int) -> int:
    """``parallel`` if it is a usable number of calls in flight, else ValueError."""
    if isinstance(parallel, bool) or not isinstance(parallel, int) or not 1 <= parallel <= MAX_PARALLEL:
        raise ValueError(f"parallel must be a whole number from 1 to {MAX_PARALLEL}, not {parallel!r}")
    return parallel


@dataclass
class CallCount:
    reads: int = 0
    writes: int = 0
    throttled: int = 0  # 429/503 answers (the SDK retried each of them)
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit

        method = response.request.method or "GET"
        status = response.status_code
        if status in THROTTLED:
            _cap_retry_after(response)
        with self.lock:  # hooks run on the executor's threads
            if method in ("GET", "HEAD"):
                self.reads += 1
            else:
                self.writes += 1
            self.throttled += status in THROTTLED
            self.log.append((method, urlsplit(response.request.url).path, status))
        return response


def _cap_retry_after(response: Any) -> None:
    value = response.headers.get("Retry-After")
    if value is not None and value.strip().isdigit() and int(value) > MAX_RETRY_AFTER_S:
        response.headers["Retry-After"] = str(MAX_RETRY_AFTER_S)


def _session(client: WorkspaceClient) -> Any:
    """The SDK keeps its ``requests.Session`` at ``api_client._api_client._session`` (0.60 – 0.162)."""
    inner = getattr(client.api_client, "_api_client", None)
    return getattr(inner, "_session", None)


@contextmanager
def count_calls(client: WorkspaceClient) -> Iterator[CallCount]:
    """Count calls made inside the block; a client without the expected internals yields zero counts."""
    counter = CallCount()
    session = _session(client)
    hooks = session.hooks.setdefault("response", []) if session is not None else None
    if hooks is not None:
        hooks.append(counter.hook)
    try:
        yield counter
    finally:
        if hooks is not None and counter.hook in hooks:
            hooks.remove(counter.hook)


def run_concurrently(tasks: Sequence[Callable[[], T]], parallel: int = DEFAULT_PARALLEL) -> list[T]:
    """Run independent calls (reads) with at most ``parallel`` in flight; results in ``tasks`` order. The first
    exception (in ``tasks`` order) is raised once every started call has finished; no new call starts after one
    failed."""
    if parallel <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    failed = threading.Event()

    def guarded(task: Callable[[], T]) -> Callable[[], T | None]:
        def run() -> T | None:
            if failed.is_set():
                return None
            try:
                return task()
            except BaseException:
                failed.set()
                raise
        return run

    with ThreadPoolExecutor(max_workers=min(parallel, len(tasks)), thread_name_prefix="sharekit-read") as pool:
        futures = [pool.submit(guarded(task)) for task in tasks]
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]  # type: ignore[misc]  # None only after a failure (raised)


MAX_UPDATES_PER_CALL = 100  # Databricks' docstring of shares.update: at most 100 update objects per call
REQUEST_BODY_LIMIT = 1 << 20  # bytes: the embedded server refuses larger bodies (server.settings.MAX_BODY_BYTES)


def body_size(body: dict[str, Any]) -> int:
    """The bytes the SDK sends for ``body``: ``json.dumps`` (ASCII, non-ASCII as ``\\uXXXX``) of its wire dict."""
    import json

    return len(json.dumps(body, allow_nan=False, default=str).encode())


def cut_batches(items: Sequence[T], size_of: Callable[[T], int], base_bytes: int,
                max_items: int = MAX_UPDATES_PER_CALL, max_bytes: int = REQUEST_BODY_LIMIT) -> list[list[T]]:
    """Consecutive batches of at most ``max_items`` whose body stays within ``max_bytes``: ``base_bytes`` is the
    body without items, ``size_of`` one item's serialised size (plus a separator each). An item too large on its
    own goes alone (the workspace will refuse it; validation keeps documents far from that)."""
    batches: list[list[T]] = []
    current: list[T] = []
    used = base_bytes
    for item in items:
        size = size_of(item) + 2  # ", " between items
        if current and (len(current) >= max_items or used + size > max_bytes):
            batches.append(current)
            current, used = [], base_bytes
        current.append(item)
        used += size
    if current:
        batches.append(current)
    return batches
