"""The audit log, in the shape of Databricks' ``system.access.audit``.

Route handlers never write rows themselves: they call ``audit_request(request, action, **params)`` and the
audit middleware in ``app.py`` records the event once the response status is known (so refused and failed
requests are logged too). Events with metrics of their own (``deltaSharingQueriedTable``) are written with
``AuditLog.record`` directly.

This first implementation appends JSON lines; ``AuditLog.record`` is the only writer.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.types import Clock

SERVICE_NAME = "unityCatalog"
WORKSPACE_ID = "1234567890"
ACCOUNT_ID = "00000000-0000-0000-0000-000000000000"


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
    service_name: str = SERVICE_NAME


class AuditLog:
    def __init__(self, directory: Path, clock: Clock = time.time) -> None:
        self.directory = directory
        self.clock = clock
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self._file = open(directory / "events.jsonl", "a", encoding="utf-8")

    def record(self, event: AuditEvent) -> None:
        millis = event.event_time_ms if event.event_time_ms is not None else int(self.clock() * 1000)
        row = {
            "event_id": uuid.uuid4().hex,
            "event_time_ms": millis,
            "action_name": event.action_name,
            "service_name": event.service_name,
            "request_params": {k: str(v) for k, v in event.request_params.items() if v is not None},
            "status_code": event.status_code,
            "error_message": event.error_message,
            "result": None if event.result is None else json.dumps({k: str(v) for k, v in event.result.items()}),
            "user_email": event.user_email,
            "source_ip": event.source_ip,
            "user_agent": event.user_agent,
            "request_id": event.request_id,
        }
        line = json.dumps(row) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def flush(self) -> None:
        with self._lock:
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


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
