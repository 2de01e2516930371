"""Alerts of the data-transfer thresholds and where they go: a log line, or a JSON webhook (Slack, Teams)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

GB = 1_000_000_000


@dataclass(frozen=True)
class ThresholdAlert:
    share: str
    day: dt.date
    bytes_read: int
    gb_per_day: float
    requests: int
    recipients: int

    @property
    def message(self) -> str:
        return (f"share {self.share!r} sent {self.bytes_read / GB:.2f} GB on {self.day.isoformat()}, "
                f"over the limit of {self.gb_per_day:g} GB/day ({self.requests} requests, {self.recipients} recipients)")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["message"] = self.message
        return data


Notifier = Callable[[ThresholdAlert], None]


def logging_notifier(logger: logging.Logger | None = None, level: int = logging.WARNING) -> Notifier:
    """A notifier that logs each alert (logger ``sharekit.alerts`` by default)."""
    target = logger or logging.getLogger("sharekit.alerts")

    def notify(alert: ThresholdAlert) -> None:
        target.log(level, "%s", alert.message)

    return notify


class NotifyError(RuntimeError):
    """A notifier could not deliver an alert."""


def webhook_notifier(url: str, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None) -> Notifier:
    """POST each alert as JSON (``{"text": message, "alert": {...}}``, Slack/Teams compatible) to ``url``."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook url must start with http:// or https://, got {url!r}")

    def notify(alert: ThresholdAlert) -> None:
        body = json.dumps({"text": alert.message, "alert": alert.to_json()}).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                response.read()
        except (urllib.error.URLError, OSError) as err:
            raise NotifyError(f"webhook {url} refused the alert: {err}") from err

    return notify
