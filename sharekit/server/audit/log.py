"""The audit log, in the shape of Databricks' ``system.access.audit``.

Handlers never write rows themselves: the endpoint declares the action first (``audit_request(request, action,
**params)``), handlers add parameters to it, and the audit middleware (``middleware.py``) records the event once
the response status is known (so refused and failed requests are logged too). Events with metrics of their own (``deltaSharingQueriedTable``) are built with
``request_event`` too and written with ``AuditLog.record``.

Keys other areas write (the analytics read them): ``request_params`` of recipient requests carry
``recipient_name`` and, for table requests, ``share``, ``schema``, ``name``; ``result`` of
``deltaSharingQueriedTable(Changes)`` carries ``numRecords``, ``scannedAddFileSize`` (bytes), ``activeAddFiles``
and, as a sharekit extension, ``durationMs``.

Durability (the guarantee):
- ``record()`` appends the event as one JSON line to the write-ahead file with a single ``write`` system call
  before it returns, so the event is in the operating system's page cache: it survives a crash or ``kill -9`` of
  the server process. The middleware calls ``record()`` as soon as the handler has produced the response.
- A background thread ``fsync``s the write-ahead file every ``AUDIT_FSYNC_INTERVAL_S`` (0.2 s): a power loss or kernel
  crash loses at most the events of the last 0.2 s (plus the disk's own write latency), well inside one second.
- The request path pays one ``json.dumps`` and one ``write`` (about 10-20 µs; ``bench/bench_analytics.py``
  measures it against a server with auditing off).
- The same thread rolls the write-ahead file into a Parquet segment when it passes ``AUDIT_ROLL_BYTES`` or
  ``AUDIT_ROLL_SECONDS`` and at ``close()``, and compacts small segments; write-ahead files left by a crashed server
  are rolled by the next one. The file layout that readers in other processes rely on is described in
  ``audit.store``; readers see segments and write-ahead files, so nothing acknowledged is invisible.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.server.audit import store as audit_store
from sharekit.server.settings import (
    ACCOUNT_ID,
    AUDIT_CLOSE_TIMEOUT_S,
    AUDIT_FSYNC_INTERVAL_S,
    AUDIT_LEVEL,
    AUDIT_ROLL_BYTES,
    AUDIT_ROLL_SECONDS,
    AUDIT_SERVICE_NAME,
    WORKSPACE_ID,
)
from sharekit.types import Clock, Scope

log = logging.getLogger("sharekit.server.audit")
_OPEN_WALS: set[Path] = set()  # write-ahead files open in this process (never adopted as orphans)
_OPEN_LOCK = threading.Lock()


@dataclass
class AuditEvent:
    action_name: str
    request_params: dict[str, str] = field(default_factory=dict)
    status_code: int = 200
    error_message: str | None = None
    result: dict[str, Any] | None = None  # serialised to a JSON string with string values
    user_email: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    event_time_ms: int | None = None  # default: the log's clock
    service_name: str = AUDIT_SERVICE_NAME


def event_row(event: AuditEvent, millis: int) -> dict[str, Any]:
    """The event as a row of ``system.access.audit`` (what one write-ahead line holds)."""
    moment = dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc)
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": WORKSPACE_ID,
        "version": "2.0",
        "event_time": moment.isoformat(timespec="milliseconds"),
        "event_date": moment.date().isoformat(),
        "source_ip_address": event.source_ip,
        "user_agent": event.user_agent,
        "session_id": None,
        "request_id": event.request_id,
        "event_id": uuid.uuid4().hex,
        "user_identity": {"email": event.user_email, "subject_name": None},
        "service_name": event.service_name,
        "action_name": event.action_name,
        "request_params": {k: str(v) for k, v in event.request_params.items() if v is not None},
        "response": {
            "status_code": event.status_code,
            "error_message": event.error_message,
            "result": None if event.result is None else json.dumps({k: str(v) for k, v in event.result.items()}),
        },
        "audit_level": AUDIT_LEVEL,
        "identity_metadata": {"run_by": event.user_email, "run_as": event.user_email, "acting_resource": None},
    }


class AuditLog:
    """Appends events to a write-ahead file; a background thread makes them durable and rolls them to Parquet."""

    def __init__(self, directory: Path, clock: Clock = time.time, *, background: bool = True) -> None:
        self.directory = directory
        self.clock = clock
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._closed = False
        self._dirty = False
        self._wal_started = time.monotonic()
        self._wal_path, self._file = self._open_wal()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._orphans = [wal for wal in audit_store.live_files(directory).wals
                         if wal != self._wal_path and not _writer_alive(wal)]
        if background:
            self._thread = threading.Thread(target=self._run, name="sharekit-audit", daemon=True)
            self._thread.start()

    def _open_wal(self) -> tuple[Path, Any]:
        path = self.directory / f"wal-{int(time.time() * 1000)}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        with _OPEN_LOCK:
            _OPEN_WALS.add(path)
        return path, open(path, "a", encoding="utf-8")

    def record(self, event: AuditEvent) -> None:
        millis = event.event_time_ms if event.event_time_ms is not None else int(self.clock() * 1000)
        line = json.dumps(event_row(event, millis), separators=(",", ":")) + "\n"
        with self._lock:
            if self._closed:
                log.warning("audit event %s recorded after close; dropped", event.action_name)
                return
            self._file.write(line)
            self._file.flush()
            self._dirty = True

    def flush(self) -> None:
        """Make everything recorded so far durable (fsync), now."""
        with self._lock:
            if self._closed:
                return
            self._file.flush()
            self._dirty = False
            fd = self._file.fileno()
            os.fsync(fd)

    def roll(self) -> None:
        """Close the current write-ahead file, start a new one, and turn the old one into a segment."""
        with self._lock:
            if self._closed:
                return
            old_path, old_file = self._wal_path, self._file
            self._wal_path, self._file = self._open_wal()
            self._wal_started = time.monotonic()
            self._dirty = False
        _seal(old_file)
        self._to_segment(old_path)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=AUDIT_CLOSE_TIMEOUT_S)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            wal = self._wal_path
            _seal(self._file)
        self._to_segment(wal)

    def _to_segment(self, wal: Path) -> None:
        try:
            if wal.stat().st_size == 0:
                wal.unlink(missing_ok=True)
                return
            audit_store.wal_to_segment(self.directory, wal)
        except (OSError, ImportError, RuntimeError) as err:  # the WAL stays; readers still see it
            log.warning("could not roll %s into a segment: %s", wal.name, err)

    def _run(self) -> None:
        for orphan in self._orphans:
            self._to_segment(orphan)
        while not self._stop.wait(AUDIT_FSYNC_INTERVAL_S):
            try:
                self._tick()
            except OSError as err:
                log.warning("audit background work failed: %s", err)

    def _tick(self) -> None:
        with self._lock:
            if self._closed:
                return
            dirty, self._dirty = self._dirty, False
            size = self._file.tell()
            age = time.monotonic() - self._wal_started
            fd = os.dup(self._file.fileno()) if dirty else -1  # a roll may close the file; the dup keeps it open
        if fd >= 0:
            try:
                os.fsync(fd)  # outside the lock: requests never wait for the disk
            finally:
                os.close(fd)
        if size >= AUDIT_ROLL_BYTES or (size and age >= AUDIT_ROLL_SECONDS):
            self.roll()
            audit_store.compact(self.directory)


def _seal(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    with _OPEN_LOCK:
        _OPEN_WALS.discard(Path(handle.name))


def _writer_alive(wal: Path) -> bool:
    parts = wal.stem.split("-")
    try:
        pid = int(parts[2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        with _OPEN_LOCK:
            return wal in _OPEN_WALS  # another AuditLog of this process may still be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class RequestAudit:
    """What a handler declares about the request it serves; the middleware completes and records it."""

    action_name: str
    request_params: dict[str, str]
    user_email: str | None = None
    error_message: str | None = None


def audit_request(request: Any, action_name: str, /, user_email: str | None = None, **params: Any) -> RequestAudit:
    """Declare the audit action of this request. Call it first thing in a handler, before any check can fail."""
    entry = RequestAudit(action_name, {k: str(v) for k, v in params.items() if v is not None}, user_email)
    request.state.audit = entry
    return entry


def request_event(scope: Scope, entry: RequestAudit, status: int, *, action_name: str | None = None,
                  result: dict[str, Any] | None = None) -> AuditEvent:
    """The one way an audit event is built for a request: what the handler declared (``entry``), the status, and
    who asked from where (client address, user agent, request id from the ASGI scope)."""
    client = scope.get("client")
    user_agent = next((value.decode("latin-1") for key, value in scope.get("headers") or () if key == b"user-agent"),
                      None)
    return AuditEvent(
        action_name=action_name or entry.action_name,
        request_params=dict(entry.request_params),
        status_code=status,
        error_message=entry.error_message if status >= 400 else None,
        result=result,
        user_email=entry.user_email,
        source_ip=client[0] if client else None,
        user_agent=user_agent,
        request_id=(scope.get("state") or {}).get("request_id"),
    )
