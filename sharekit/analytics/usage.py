"""Usage monitoring: daily requests, rows and bytes, and data-transfer thresholds per share."""

from __future__ import annotations

from typing import Any

from sharekit.analytics import charts
from sharekit.analytics.base import Analyses, text_filter
from sharekit.analytics.notify import GB, Notifier, ThresholdAlert, logging_notifier
from sharekit.analytics.results import AnalysisResult


class UsageMonitor(Analyses):
    """Daily usage per recipient, share and table, and data-transfer thresholds per share."""

    def usage(self, share: str | None = None, recipient: str | None = None, table: str | None = None,
              days: int | None = None, start: Any = None, end: Any = None) -> AnalysisResult:
        """Daily requests, failures, rows and bytes by recipient, share and table (``table`` is
        ``schema.table`` or ``share.schema.table``)."""
        win = self.window(days, start, end)
        share_f, table_f = text_filter(share, "share"), text_filter(table, "table")
        if table_f.count(".") == 2:
            table_share, table_f = table_f.split(".", 1)
            if share_f and share_f != table_share:
                raise ValueError(f"table {table!r} is not in share {share!r}")
            share_f = table_share
        elif table_f and table_f.count(".") != 1:
            raise ValueError(f"table must be 'schema.table' or 'share.schema.table', got {table!r}")
        table_schema, _, table_name = table_f.partition(".")
        frame, query = self.run("daily_usage", **win.params(), share=share_f,
                                recipient=text_filter(recipient, "recipient"), table_schema=table_schema,
                                table=table_name)
        note = None if len(frame) else f"no recipient traffic in {win}" + _filters(share, recipient, table)
        return AnalysisResult(f"Daily usage {win}", frame, query, engine=self.source.name,
                              chart=charts.traffic_over_time, note=note)

    def check_threshold(self, share: str, gb_per_day: float, notify: Notifier | None = None,
                        days: int | None = 1, start: Any = None, end: Any = None) -> AnalysisResult:
        """Days on which ``share`` sent more than ``gb_per_day`` GB; ``notify(alert)`` is called for each."""
        if isinstance(gb_per_day, bool) or not isinstance(gb_per_day, (int, float)) or gb_per_day <= 0:
            raise ValueError(f"gb_per_day must be a positive number, got {gb_per_day!r}")
        win = self.window(days if start is None and end is None else None, start, end, default_days=1)
        frame, query = self.run("share_daily_bytes", **win.params(), share=text_filter(share, "share"))
        frame["over_limit"] = frame["bytes_read"] > gb_per_day * GB
        alerts = [ThresholdAlert(share, row.day.date(), int(row.bytes_read), float(gb_per_day), int(row.requests),
                                 int(row.recipients)) for row in frame[frame["over_limit"]].itertuples()]
        for alert in alerts:
            (notify or logging_notifier())(alert)
        note = f"no traffic on share {share!r} in {win}" if frame.empty else (
            f"{len(alerts)} day(s) over {gb_per_day:g} GB/day" if alerts else f"within {gb_per_day:g} GB/day")
        return AnalysisResult(f"Share {share} vs {gb_per_day:g} GB/day, {win}", frame, query,
                              engine=self.source.name, chart=charts.share_threshold, note=note,
                              extra={"gb_per_day": gb_per_day, "alerts": alerts})


def _filters(share: str | None, recipient: str | None, table: str | None) -> str:
    parts = [f"{k}={v!r}" for k, v in (("share", share), ("recipient", recipient), ("table", table)) if v]
    return f" ({', '.join(parts)})" if parts else ""
