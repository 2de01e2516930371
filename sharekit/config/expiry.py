"""Expiry times: the one parser (documents, ``%recipient --expires``, the Python API) and its inverse.

Documents take an epoch-ms integer, a YAML date or date-time, or an ISO-8601 string (naive times are UTC);
what a command line types may also be relative (``90d``, ``12h``: from now) or epoch milliseconds as digits.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

MAX_EPOCH_MS = 253402300799000  # 9999-12-31T23:59:59Z
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_expiry(value: Any, *, relative: bool = False, now: float | None = None) -> int | None:
    """Epoch ms from an int (ms), a date/date-time, or an ISO-8601 string; naive times are UTC. With
    ``relative`` (text typed on a command line) also ``90d``/``12h`` from ``now`` (default: now) and digits."""
    if relative and isinstance(value, str):
        match = _RELATIVE.match(value)
        if match:
            seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
            return int(((time.time() if now is None else now) + seconds) * 1000)
        if value.strip().isdigit():
            value = int(value.strip())
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("expires must be a date, a date-time or epoch milliseconds")
        return None
    moment = value if isinstance(value, int) else _epoch_ms(value)
    if not 0 < moment <= MAX_EPOCH_MS:
        raise ValueError("expires is out of range")
    return moment


def _epoch_ms(value: Any) -> int:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as err:
            raise ValueError(f"expires {value!r} is not an ISO date or date-time") from err
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    else:
        raise ValueError("expires must be a date, a date-time or epoch milliseconds")  # noqa: TRY004 (pydantic)
    return int(stamp.timestamp() * 1000)


def parse_expires(text: str | int | dt.date | None, *, now: float | None = None) -> int | None:
    """Epoch ms from ``90d``/``12h`` (relative to now), an ISO date or date-time, or epoch ms."""
    return parse_expiry(text, relative=True, now=now)


def format_expiry(epoch_ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)
    text = stamp.isoformat(timespec="milliseconds" if epoch_ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")
