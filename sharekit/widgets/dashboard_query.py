"""UsageDashboard's query: the filter (dates, share, recipient) and the analyses it runs.

The analyses are ``sharekit.analytics``' (``UsageMonitor.usage``, ``SharingAnalytics.most_accessed_tables`` and
``.detect_anomalies``, and ``.access_review`` for the Credentials tab): the
dashboard only chooses their arguments and lays out their results (each has ``.df``, ``.chart()`` and an
``_repr_html_`` with the chart as an SVG image, so it renders offline).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.analytics import SharingAnalytics, UsageMonitor, source_for

if TYPE_CHECKING:
    from sharekit.connect import Workspace

ALL = "(all)"
MAX_DAYS = 366


@dataclass
class DashboardFilter:
    start: dt.date
    end: dt.date  # inclusive
    share: str = ""  # "" = every share
    recipient: str = ""  # "" = every recipient

    @classmethod
    def last_days(cls, days: int = 30, today: dt.date | None = None) -> DashboardFilter:
        end = today or dt.datetime.now(dt.timezone.utc).date()
        return cls(end - dt.timedelta(days=days - 1), end)

    def problem(self) -> str | None:
        if self.start is None or self.end is None:
            return "choose a start and an end date"
        if self.start > self.end:
            return "the start date is after the end date"
        if (self.end - self.start).days + 1 > MAX_DAYS:
            return f"choose at most {MAX_DAYS} days"
        return None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class DashboardView:
    """What one refresh found: the analysis results and the anomalies to highlight."""

    usage: Any
    top_tables: Any
    anomalies: Any
    flagged: list[tuple[str, str, str]] = field(default_factory=list)  # (recipient, day, what)
    credentials: Any = None  # the access review (findings and the credential timeline)


def flagged_rows(anomalies: Any) -> list[tuple[str, str, str]]:
    """(recipient, day, description) for every flagged point of an anomaly result's frame."""
    frame = getattr(anomalies, "df", None)
    if frame is None or frame.empty:
        return []
    out = []
    for record in frame.to_dict("records"):  # the anomaly result holds only the flagged days
        day = record.get("day")
        day_text = day.date().isoformat() if hasattr(day, "date") else str(day)
        detail = ", ".join(f"{key}={record[key]}" for key in ("metric", "direction", "value") if key in record)
        out.append((str(record.get("recipient", "")), day_text, detail))
    return out


def run_analyses(workspace: Workspace, chosen: DashboardFilter) -> DashboardView:
    """Run the dashboard's analyses for ``chosen`` on the workspace's audit engine (raises ValueError for a
    bad filter). One engine connection serves the three analyses and is closed afterwards."""
    problem = chosen.problem()
    if problem:
        raise ValueError(problem)
    share, recipient = chosen.share or None, chosen.recipient or None
    source = source_for(workspace)
    try:
        usage = UsageMonitor(workspace, source=source).usage(share=share, recipient=recipient,
                                                             start=chosen.start, end=chosen.end)
        analytics = SharingAnalytics(workspace, source=source)
        top = analytics.most_accessed_tables(start=chosen.start, end=chosen.end, share=share, recipient=recipient)
        anomalies = analytics.detect_anomalies(start=chosen.start, end=chosen.end, recipient=recipient,
                                               metric="both")
        credentials = analytics.access_review(days=chosen.days)
    finally:
        source.close()
    return DashboardView(usage, top, anomalies, flagged_rows(anomalies), credentials)
