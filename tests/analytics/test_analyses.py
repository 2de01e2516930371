"""Every analysis on DuckDB over a generated log whose truth is known."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from sharekit.analytics import SharingAnalytics, ThresholdAlert, UsageMonitor, webhook_notifier
from sharekit.analytics.notify import NotifyError
from sharekit.demo.audit_history import HistoryTruth
from tests.helpers import chart_svg

Hist = tuple[Path, HistoryTruth]


@pytest.fixture(scope="module")
def analytics(history: Hist) -> SharingAnalytics:
    return SharingAnalytics(home=history[0])


def window(truth: HistoryTruth) -> dict[str, dt.date]:
    return {"start": truth.start, "end": truth.end}


def test_usage_totals_equal_the_generated_truth(history: Hist) -> None:
    home, truth = history
    frame = UsageMonitor(home=home).usage(**window(truth)).df
    by_recipient = frame.groupby("recipient")[["requests", "rows_read", "bytes_read"]].sum()
    for index, name in enumerate(truth.recipients):
        assert by_recipient.loc[name, "requests"] == truth.requests[index].sum()
        assert by_recipient.loc[name, "rows_read"] == truth.rows[index].sum()
        assert by_recipient.loc[name, "bytes_read"] == truth.bytes[index].sum()
    daily = frame.groupby(["recipient", "day"])["requests"].sum()
    assert daily[("globex", dt.datetime(2025, 6, 16))] == truth.requests[1, (dt.date(2025, 6, 16) - truth.start).days]


def test_usage_filters(history: Hist) -> None:
    home, truth = history
    monitor = UsageMonitor(home=home)
    orders = monitor.usage(table="sales_share.sales.orders", recipient="acme_corp", **window(truth)).df
    assert set(orders["table_name"]) == {"sales.orders"} and set(orders["recipient"]) == {"acme_corp"}
    assert monitor.usage(share="inventory_share", **window(truth)).df["share"].unique().tolist() == ["inventory_share"]
    empty = monitor.usage(share="no_such_share", **window(truth))
    assert empty.df.empty and "no recipient traffic" in (empty.note or "")


def test_top_tables_add_up(history: Hist, analytics: SharingAnalytics) -> None:
    _, truth = history
    top = analytics.most_accessed_tables(limit=3, **window(truth)).df
    assert len(top) == 3 and top["requests"].is_monotonic_decreasing
    everything = analytics.get_most_accessed_tables(limit=100, **window(truth)).df
    assert everything["rows_read"].sum() == truth.rows.sum()
    assert everything["avg_duration_ms"].gt(0).all()
    assert everything.loc[everything["table_name"] == "sales.orders", "recipients"].item() == 4


def test_recipient_activity_by_hour(history: Hist, analytics: SharingAnalytics) -> None:
    _, truth = history
    result = analytics.recipient_activity("initech", **window(truth))
    assert result.df["requests"].sum() == truth.requests[2].sum()
    assert result.df["hour"].between(0, 23).all()
    assert analytics.get_recipient_activity("initech", **window(truth)).df.equals(result.df)


def test_failed_requests_match_the_truth(history: Hist, analytics: SharingAnalytics) -> None:
    _, truth = history
    frame = analytics.failed_requests(**window(truth)).df
    got = frame.groupby(["recipient", "status_code"])["requests"].sum().to_dict()
    want = {key: value for key, value in truth.failures.items() if key[1] in (401, 403, 404)}
    assert got == want
    assert set(frame["reason"]) == {"PERMISSION_DENIED", "TABLE_DOES_NOT_EXIST", "UNAUTHENTICATED"}


def test_injected_spikes_and_silences_are_flagged_and_normal_days_are_not(history: Hist,
                                                                         analytics: SharingAnalytics) -> None:
    _, truth = history
    result = analytics.detect_anomalies(**window(truth))
    incidents = {(i.recipient, i.day, "high" if i.kind == "spike" else "low") for i in truth.incidents}
    robust = result.df[result.df["flag_robust"]]
    assert {(r, d.date(), w) for r, d, w in zip(robust["recipient"], robust["day"], robust["direction"])} == incidents
    mean = result.df[result.df["flag_mean"]]
    spikes = {(i.recipient, i.day) for i in truth.incidents if i.kind == "spike"}
    assert spikes <= {(r, d.date()) for r, d in zip(mean["recipient"], mean["day"])}
    series = result.extra["series"]
    silent = series[(series["recipient"] == "acme_corp") & (series["metric"] == "requests")
                    & (series["day"] == dt.datetime(2025, 6, 26))]
    assert silent["value"].item() == 0  # zero-filled, not missing
    bytes_flags = analytics.detect_anomalies(metric="bytes", **window(truth)).df
    assert spikes <= {(r, d.date()) for r, d in zip(bytes_flags["recipient"], bytes_flags["day"])}


def test_minimum_history_guard(history: Hist, analytics: SharingAnalytics) -> None:
    del history
    short = analytics.detect_anomalies(start=dt.date(2025, 6, 14), end=dt.date(2025, 6, 20))
    assert short.df.empty and "not enough history" in (short.note or "")
    lenient = analytics.detect_anomalies(start=dt.date(2025, 6, 14), end=dt.date(2025, 6, 20), min_history=3)
    assert not lenient.extra["series"].empty


@pytest.mark.parametrize("call, message", [
    (lambda a: a.most_accessed_tables(days=-3), "days must be positive"),
    (lambda a: a.most_accessed_tables(days=0), "days must be positive"),
    (lambda a: a.most_accessed_tables(limit=0), "limit must be"),
    (lambda a: a.failed_requests(start="2025-06-30", end="2025-06-01"), "window is empty"),
    (lambda a: a.failed_requests(start="yesterday"), "start must be a date"),
    (lambda a: a.detect_anomalies(metric="rows"), "metric must be"),
    (lambda a: a.detect_anomalies(k=-1), "k must be a positive number"),
    (lambda a: a.recipient_activity("", days=3), "recipient must be a non-empty name"),
    (lambda a: a.recipient_activity("nobody", start="2025-06-01", end="2025-06-30"), "unknown recipient 'nobody'"),
    (lambda a: a.stale_access(), "needs the workspace"),
])
def test_bad_arguments_give_clear_messages(analytics: SharingAnalytics, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(analytics)


def test_empty_window_gives_an_empty_result_with_a_note(analytics: SharingAnalytics) -> None:
    result = analytics.most_accessed_tables(start="2024-01-01", end="2024-01-31")
    assert result.df.empty and result.note and "no table was read" in result.note
    assert "no table was read" in result._repr_html_() and "no table was read" in repr(result)
    assert result.chart().to_dict()["mark"]["type"] == "text"
    quiet = analytics.recipient_activity("acme_corp", start="2025-07-10", end="2025-07-12")
    assert quiet.df.empty and "made no requests" in (quiet.note or "")


def test_results_render_as_table_and_svg_image(history: Hist, analytics: SharingAnalytics) -> None:
    _, truth = history
    for result, mark in [
        (UsageMonitor(home=history[0]).usage(**window(truth)), "line"),
        (analytics.most_accessed_tables(**window(truth)), "bar"),
        (analytics.recipient_activity("globex", **window(truth)), "rect"),
        (analytics.failed_requests(**window(truth)), "bar"),
    ]:
        spec = result.chart().to_dict()
        assert spec["mark"]["type"] == mark
        page = result._repr_html_()
        assert "<table" in page and "<svg" not in page  # inline <svg> is stripped in untrusted notebooks
        assert b"<svg" in chart_svg(page)
        assert "system.access.audit" in result.to_sql() and ":start_date" in result.to_sql()
        assert result.params["start_date"] == truth.start
    layered = analytics.detect_anomalies(**window(truth)).chart().to_dict()
    assert [layer["mark"]["type"] for layer in layered["layer"]] == ["line", "point"]


def test_user_text_is_escaped_in_html(tmp_path: Path) -> None:
    from sharekit.server.audit.log import AuditEvent, AuditLog

    log = AuditLog(tmp_path / "audit", clock=lambda: 1_751_241_600.0)  # 2025-06-30
    log.record(AuditEvent("deltaSharingQueryTable", {"recipient_name": "<script>x</script>", "share": "s",
                                                       "schema": "a", "name": "<b>t</b>"}))
    log.flush()
    try:
        html_page = SharingAnalytics(home=tmp_path).most_accessed_tables(start="2025-06-30", end="2025-06-30")._repr_html_()
    finally:
        log.close()
    assert "<b>t</b>" not in html_page and "&lt;b&gt;t&lt;/b&gt;" in html_page


def test_threshold_alerts_call_the_notifier(history: Hist, caplog: pytest.LogCaptureFixture) -> None:
    home, truth = history
    monitor = UsageMonitor(home=home)
    daily = monitor.check_threshold("sales_share", 1000.0, notify=lambda alert: None, **window(truth))
    limit_gb = float(daily.df["bytes_read"].median()) / 1e9
    alerts: list[ThresholdAlert] = []
    result = monitor.check_threshold("sales_share", limit_gb, notify=alerts.append, **window(truth))
    over = result.df[result.df["bytes_read"] > limit_gb * 1e9]
    assert [a.day for a in alerts] == [d.date() for d in over["day"]] and 0 < len(alerts) < truth.days
    assert all(a.bytes_read > limit_gb * 1e9 and a.share == "sales_share" for a in alerts)
    with caplog.at_level(logging.WARNING, logger="sharekit.alerts"):
        monitor.check_threshold("sales_share", limit_gb, **window(truth))
    assert len([r for r in caplog.records if r.name == "sharekit.alerts"]) == len(alerts)
    with pytest.raises(ValueError, match="gb_per_day must be a positive number"):
        monitor.check_threshold("sales_share", 0)


def test_webhook_notifier_posts_json_to_a_real_endpoint() -> None:
    received: list[dict[str, Any]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        alert = ThresholdAlert("s", dt.date(2025, 6, 1), 3_000_000_000, 2.0, 10, 2)
        webhook_notifier(f"http://127.0.0.1:{server.server_port}/hook")(alert)
    finally:
        server.shutdown()
        server.server_close()
    assert received[0]["alert"]["day"] == "2025-06-01" and "3.00 GB" in received[0]["text"]
    with pytest.raises(NotifyError):
        webhook_notifier(f"http://127.0.0.1:{server.server_port}/gone", timeout_s=2)(alert)
    with pytest.raises(ValueError, match="http"):
        webhook_notifier("file:///etc/passwd")
