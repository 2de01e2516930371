"""Sharing analyses for providers: top tables, one recipient's activity, failures, stale access, anomalies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sharekit.analytics import access_review, charts, stale
from sharekit.analytics.base import Analyses, text_filter
from sharekit.analytics.results import AnalysisResult

METRICS = ("requests", "bytes")


class SharingAnalytics(Analyses):
    """Who reads what, how much and when; what is denied; what access is unused; what is unusual."""

    def most_accessed_tables(self, limit: int = 10, days: int | None = None, start: Any = None, end: Any = None,
                             share: str | None = None, recipient: str | None = None) -> AnalysisResult:
        """Tables by requests, with distinct recipients, rows, bytes and average query duration."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"limit must be a positive whole number, got {limit!r}")
        win = self.window(days, start, end)
        frame, query = self.run("top_tables", **win.params(), share=text_filter(share, "share"),
                                recipient=text_filter(recipient, "recipient"), top_n=limit)
        note = None if len(frame) else f"no table was read in {win}"
        return AnalysisResult(f"Most accessed tables {win}", frame, query, engine=self.source.name,
                              chart=charts.top_tables, note=note)

    get_most_accessed_tables = most_accessed_tables

    def recipient_activity(self, name: str, days: int | None = None, start: Any = None,
                           end: Any = None) -> AnalysisResult:
        """One recipient's requests, failures, rows and bytes by day and hour (UTC)."""
        recipient = text_filter(name, "recipient")
        win = self.window(days, start, end)
        frame, query = self.run("recipient_activity", **win.params(), recipient=recipient)
        note = None
        if frame.empty:
            known = self.known_recipients(win)
            if recipient not in known:
                hint = ", ".join(known[:20]) or "none"
                raise ValueError(f"unknown recipient {recipient!r} (known: {hint})")
            note = f"recipient {recipient!r} made no requests in {win}"
        return AnalysisResult(f"Activity of {recipient} by hour {win}", frame, query, engine=self.source.name,
                              chart=charts.hour_by_day, note=note)

    get_recipient_activity = recipient_activity

    def failed_requests(self, days: int | None = None, start: Any = None, end: Any = None,
                        recipient: str | None = None) -> AnalysisResult:
        """Denied and failed requests (401, 403, 404) by recipient, status and reason."""
        win = self.window(days, start, end)
        frame, query = self.run("failed_requests", **win.params(), recipient=text_filter(recipient, "recipient"))
        note = None if len(frame) else f"no denied or failed requests in {win}"
        return AnalysisResult(f"Denied and failed requests {win}", frame, query, engine=self.source.name,
                              chart=charts.failures, note=note)

    get_failed_requests = failed_requests

    def stale_access(self, days: int = 30, expiring_within_days: int = 14) -> AnalysisResult:
        """Grants not used in ``days`` days, tokens that expire within ``expiring_within_days``, and recipients
        that never activated. Needs a connected workspace. ``access_review`` is the full review (tokens that never
        expire or outlive the token policy, refusals, severities and actions)."""
        if self.ws is None:
            raise ValueError("stale_access needs the workspace (recipients and grants): construct with a Workspace")
        if isinstance(expiring_within_days, bool) or not isinstance(expiring_within_days, int) or expiring_within_days < 0:
            raise ValueError(f"expiring_within_days must be a whole number >= 0, got {expiring_within_days!r}")
        win = self.window(days, None, None)
        usage, query = self.run("last_access", **win.params())
        now = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
        frame = stale.stale_access(self.ws.client, usage, now=now, days=win.days,
                                   expiring_within_days=expiring_within_days)
        note = None if len(frame) else f"no stale access: every grant was used in {win}, no token expires soon"
        return AnalysisResult(f"Stale access (unused for {win.days} days)", frame, query, engine=self.source.name,
                              note=note)

    get_stale_access = stale_access

    def access_review(self, days: int = 30, expiring_within_days: int = 14) -> AnalysisResult:
        """Every credential and grant against the log: tokens that never expire, outlive the workspace's token
        lifetime or Databricks' forced expiry, or expire within ``expiring_within_days``; unused links, idle
        recipients, unused grants, refused attempts in ``days`` days; OIDC candidates. One row per finding with
        ``severity`` (info, warning, critical) and ``action``; ``.extra['timeline']`` holds every token's life."""
        if self.ws is None:
            raise ValueError("access_review needs the workspace (recipients, grants, token policy): "
                             "construct with a Workspace")
        if isinstance(expiring_within_days, bool) or not isinstance(expiring_within_days, int) \
                or expiring_within_days < 0:
            raise ValueError(f"expiring_within_days must be a whole number >= 0, got {expiring_within_days!r}")
        win = self.window(days, None, None)
        activity, query = self.run("review_activity", **win.params())
        client = self.ws.client
        policy = access_review.ReviewPolicy(int(self.clock() * 1000), win.days, expiring_within_days,
                                            access_review.workspace_token_lifetime(client))
        findings, timeline = access_review.review(client, activity, policy)
        note = None if len(findings) else f"nothing to review: no finding in {win}"
        return AnalysisResult(f"Access review (last {win.days} days)", findings, query, engine=self.source.name,
                              chart=charts.credential_timeline, note=note,
                              extra={"timeline": timeline, "now": policy.now_ms, "policy": policy,
                                     "expiring_within_days": expiring_within_days})

    get_access_review = access_review

    def detect_anomalies(self, days: int | None = 30, start: Any = None, end: Any = None,
                         recipient: str | None = None, k: float = 3.5, robust_k: float = 5.0,
                         min_history: int = 14, metric: str = "requests") -> AnalysisResult:
        """Unusual days per recipient (requests and bytes; silent days count as zero), scored against the
        recipient's own weekday or weekend baseline by mean ± k·stddev and by the robust median/MAD rule.
        ``.df`` holds the flagged days (``metric`` picks requests, bytes or both); ``.extra['series']`` all."""
        if metric not in (*METRICS, "both"):
            raise ValueError(f"metric must be 'requests', 'bytes' or 'both', got {metric!r}")
        for label, value in (("k", k), ("robust_k", robust_k)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{label} must be a positive number, got {value!r}")
        if isinstance(min_history, bool) or not isinstance(min_history, int) or min_history < 2:
            raise ValueError(f"min_history must be a whole number of days >= 2, got {min_history!r}")
        win = self.window(days if start is None or end is None else None, start, end, default_days=30)
        series, query = self.run("anomalies", **win.params(), recipient=text_filter(recipient, "recipient"),
                                 n_days=win.days, k=float(k), robust_k=float(robust_k), min_history=min_history)
        flagged = series[(series["flag_mean"] | series["flag_robust"])]
        if metric != "both":
            flagged = flagged[flagged["metric"] == metric]
        flagged = flagged.assign(direction=["high" if v > m else "low" for v, m in zip(flagged["value"],
                                                                                       flagged["median"])])
        note = None
        if series.empty:
            note = f"no recipient activity in {win}"
        elif series["history_days"].max() < min_history:
            note = f"not enough history: every recipient has fewer than {min_history} days in {win}"
        elif flagged.empty:
            note = f"no anomalies in {win}"
        return AnalysisResult(f"Anomalies ({metric}) {win}", flagged.reset_index(drop=True), query,
                              engine=self.source.name, chart=charts.anomaly_series, note=note,
                              extra={"series": series, "chart_metric": "requests" if metric == "both" else metric})


def detect_anomalies(ws: Any = None, **kwargs: Any) -> AnalysisResult:
    """``SharingAnalytics(ws).detect_anomalies(**kwargs)``; ``ws`` may also be an ``AuditSource``."""
    source_kwargs = {key: kwargs.pop(key) for key in ("source", "spark", "engine", "home") if key in kwargs}
    return SharingAnalytics(ws, **source_kwargs).detect_anomalies(**kwargs)
