"""The threads request work runs in (``endpoint`` hands every handler's work to them)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sharekit.server.settings import REQUEST_THREAD_IDLE_S, REQUEST_THREADS

T = TypeVar("T")

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
