"""The date window of an analysis: ``days=N`` back from today (UTC), or an explicit ``start``/``end``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class Window:
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @property
    def end_exclusive(self) -> dt.date:
        return self.end + dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, dt.date]:
        return {"start_date": self.start, "end_date": self.end_exclusive}

    def __str__(self) -> str:
        return f"{self.start.isoformat()} .. {self.end.isoformat()}"


def resolve(days: int | None = None, start: str | dt.date | None = None, end: str | dt.date | None = None,
            *, default_days: int = 7, clock: Clock = time.time) -> Window:
    """``days`` counts back from today (inclusive); ``start``/``end`` are inclusive dates (ISO strings ok)."""
    today = dt.datetime.fromtimestamp(clock(), tz=dt.timezone.utc).date()
    first = _as_date(start, "start")
    last = _as_date(end, "end")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValueError(f"days must be a whole number of days, got {days!r}")
        if days <= 0:
            raise ValueError(f"days must be positive, got {days}")
        if first is not None and last is not None:
            raise ValueError("give days, or start and end, not all three")
    if first is None and last is None:
        last = today
        first = today - dt.timedelta(days=(days or default_days) - 1)
    elif first is None:
        assert last is not None
        first = last - dt.timedelta(days=(days or default_days) - 1)
    elif last is None:
        last = first + dt.timedelta(days=days - 1) if days else today
    if last < first:
        raise ValueError(f"the window is empty: end {last} is before start {first}")
    if (last - first).days > 3660:
        raise ValueError(f"the window {first} .. {last} is over ten years long")
    return Window(first, last)


def _as_date(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as err:
            raise ValueError(f"{name} must be a date like 2025-06-30, got {value!r}") from err
    raise ValueError(f"{name} must be a date or an ISO date string, got {type(value).__name__}")
