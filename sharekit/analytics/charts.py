"""The charts of the analyses (Altair). Each takes a result and returns a chart; none changes global settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.token_policy import FORCE_EXPIRY_ON

if TYPE_CHECKING:
    from sharekit.analytics.results import AnalysisResult

MAX_POINTS = 4000  # below Altair's default 5000-row limit


def traffic_over_time(result: AnalysisResult, value: str = "requests", by: str = "recipient") -> Any:
    """Daily traffic (requests or bytes) by recipient: one line per recipient."""
    import altair as alt

    frame = result.df.groupby(["day", by], dropna=False, as_index=False)[value].sum()
    frame[by] = frame[by].fillna("(unknown)")
    frame = frame.tail(MAX_POINTS)
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("day:T", title="day (UTC)"),
        y=alt.Y(f"{value}:Q", title=value.replace("_", " ")),
        color=alt.Color(f"{by}:N", title=by),
        tooltip=["day:T", f"{by}:N", f"{value}:Q"],
    ).properties(title=result.title, width=520, height=260)


def top_tables(result: AnalysisResult) -> Any:
    import altair as alt

    frame = result.df.assign(table=result.df["share"].fillna("") + "." + result.df["table_name"].fillna(""))
    return alt.Chart(frame.head(MAX_POINTS)).mark_bar().encode(
        x=alt.X("requests:Q", title="requests"),
        y=alt.Y("table:N", sort="-x", title=None),
        color=alt.Color("recipients:Q", title="recipients"),
        tooltip=["table:N", "requests:Q", "recipients:Q", "rows_read:Q", "bytes_read:Q", "avg_duration_ms:Q"],
    ).properties(title=result.title, width=520)


def hour_by_day(result: AnalysisResult) -> Any:
    import altair as alt

    return alt.Chart(result.df.tail(MAX_POINTS)).mark_rect().encode(
        x=alt.X("hour:O", title="hour (UTC)"),
        y=alt.Y("day:O", timeUnit="yearmonthdate", title="day"),
        color=alt.Color("requests:Q", title="requests", scale=alt.Scale(scheme="blues")),
        tooltip=["day:T", "hour:O", "requests:Q", "failed:Q", "bytes_read:Q"],
    ).properties(title=result.title, width=520)


def failures(result: AnalysisResult) -> Any:
    import altair as alt

    frame = result.df.assign(recipient=result.df["recipient"].fillna("(unknown)"),
                             status=result.df["status_code"].astype(str) + " " + result.df["reason"].fillna(""))
    return alt.Chart(frame.head(MAX_POINTS)).mark_bar().encode(
        x=alt.X("requests:Q", stack=True),
        y=alt.Y("recipient:N", sort="-x", title=None),
        color=alt.Color("status:N", title="status / reason"),
        tooltip=["recipient:N", "status:N", "requests:Q", "first_seen:T", "last_seen:T"],
    ).properties(title=result.title, width=520)


def anomaly_series(result: AnalysisResult) -> Any:
    """The daily series of each recipient with the flagged days marked (red: high, blue: low)."""
    import altair as alt

    series = result.extra["series"]
    metric = result.extra.get("chart_metric", "requests")
    frame = series[series["metric"] == metric][["recipient", "day", "value", "flag_mean", "flag_robust"]]
    frame = frame.assign(flagged=frame["flag_mean"] | frame["flag_robust"]).tail(MAX_POINTS)
    base = alt.Chart(frame).encode(x=alt.X("day:T", title="day (UTC)"), y=alt.Y("value:Q", title=metric))
    lines = base.mark_line().encode(color=alt.Color("recipient:N"))
    points = base.transform_filter(alt.datum.flagged).mark_point(size=90, filled=True, color=palette.CHART_ALERT).encode(
        tooltip=["recipient:N", "day:T", "value:Q"])
    return alt.layer(lines, points).properties(title=result.title, width=520, height=260)


def share_threshold(result: AnalysisResult) -> Any:
    import altair as alt

    limit = float(result.extra["gb_per_day"])
    frame = result.df.assign(gb=result.df["bytes_read"] / 1e9)
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("day:T", title="day (UTC)"), y=alt.Y("gb:Q", title="GB read"),
        color=alt.condition(alt.datum.gb > limit, alt.value(palette.CHART_ALERT), alt.value(palette.CHART_NORMAL)),
        tooltip=["day:T", "gb:Q", "requests:Q", "recipients:Q"])
    rule = alt.Chart(alt.Data(values=[{"limit": limit}])).mark_rule(strokeDash=[4, 4]).encode(y="limit:Q")
    return alt.layer(bars, rule).properties(title=result.title, width=520, height=240)


def credential_timeline(result: AnalysisResult) -> Any:
    """Every token's life, created → expiry, one bar per token; never-expiring tokens run to the right edge.
    Rules mark today, the end of the expiring-soon window and Databricks' forced expiry (8 December 2026)."""
    import datetime as dt

    import altair as alt
    import pandas as pd

    frame = result.extra["timeline"].copy()
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["expires_at"] = pd.to_datetime(frame["expires_at"])
    today = dt.datetime.fromtimestamp(result.extra["now"] / 1000, dt.timezone.utc).replace(tzinfo=None)
    soon = today + dt.timedelta(days=int(result.extra.get("expiring_within_days", 14)))
    forced = dt.datetime(FORCE_EXPIRY_ON.year, FORCE_EXPIRY_ON.month, FORCE_EXPIRY_ON.day)
    edge = pd.Timestamp(max([forced, soon, *frame["expires_at"].dropna()])) + pd.Timedelta(days=30)
    frame["end"] = frame["expires_at"].fillna(edge)
    frame["label"] = frame["recipient"] + " · " + frame["token"].fillna("").str[:8]
    frame["expires"] = frame["expires_at"].astype(str).str[:16].where(frame["expires_at"].notna(), "never")
    bars = alt.Chart(frame.tail(MAX_POINTS)).mark_bar(height=12).encode(
        x=alt.X("created_at:T", title="token life (UTC)"), x2="end:T",
        y=alt.Y("label:N", title=None, sort=alt.EncodingSortField("created_at")),
        color=alt.Color("state:N", title="state", scale=alt.Scale(
            domain=["active", "link unused", "never expires", "expired"],
            range=["#54a24b", "#eeca3b", palette.CHART_ALERT, "#9d9d9d"])),
        tooltip=["recipient:N", "token:N", "created_at:T", "expires:N", "state:N"])
    cuts = alt.Data(values=[{"at": today.isoformat(), "cut-off": "today"},
                            {"at": soon.isoformat(), "cut-off": "end of the expiring-soon window"},
                            {"at": forced.isoformat(), "cut-off": "forced expiry of pre-8-Dec-2025 tokens"}])
    rules = alt.Chart(cuts).mark_rule(strokeDash=[4, 3], strokeWidth=2).encode(
        x="at:T", tooltip=["cut-off:N", "at:T"],
        color=alt.Color("cut-off:N", title="cut-offs", sort=None, legend=alt.Legend(labelLimit=300),
                        scale=alt.Scale(range=["#333333", palette.CHART_NORMAL, palette.CHART_ALERT])))
    return alt.layer(bars, rules).resolve_scale(color="independent").properties(title="Credential timeline",
                                                                                 width=520)
