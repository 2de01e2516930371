"""What every analysis class shares: resolving the engine, the window, running a named query."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharekit.analytics import engines, queries, window
from sharekit.analytics.queries import Query

if TYPE_CHECKING:
    import pandas as pd

    from sharekit.connect import Workspace


class Analyses:
    """``Analyses(ws)`` picks the engine from a ``sharekit.connect.Workspace``; ``Analyses(source=…)`` uses an
    ``AuditSource``; ``Analyses(spark=session)`` runs on Spark; ``Analyses(home=path)`` reads a local log."""

    def __init__(self, ws: Workspace | engines.AuditSource | None = None, *, source: engines.AuditSource | None = None,
                 spark: Any = None, engine: str | None = None, home: str | Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if ws is not None and hasattr(ws, "run") and not hasattr(ws, "client"):
            source, ws = ws, None  # type: ignore[assignment]
        self.ws: Workspace | None = ws  # type: ignore[assignment]
        self.source: engines.AuditSource = source or engines.source_for(ws, spark=spark, engine=engine, home=home)
        self.clock = clock

    def window(self, days: int | None, start: Any, end: Any, default_days: int = 7) -> window.Window:
        return window.resolve(days, start, end, default_days=default_days, clock=self.clock)

    def run(self, name: str, **params: Any) -> tuple[pd.DataFrame, Query]:
        query = queries.query(name, **params)
        return self.source.run(query), query

    def known_recipients(self, win: window.Window) -> list[str]:
        """Recipients of the workspace (when connected), else those seen in the audit log in ``win``."""
        if self.ws is not None:
            try:
                return sorted(r.name for r in self.ws.client.recipients.list() if r.name)
            except OSError:  # databricks.sdk errors derive from OSError: fall back to the log
                pass
        everything = window.Window(dt.date(2000, 1, 1), max(win.end, dt.date.today()))  # any time, not just win
        frame, _ = self.run("last_access", **everything.params())
        return sorted(set(frame["recipient"].dropna()))

    def close(self) -> None:
        self.source.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} on {self.source!r}>"


def text_filter(value: str | None, name: str) -> str:
    """Optional filters go to SQL as '' (meaning: no filter)."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty name, got {value!r}")
    return value.strip()
