"""UsageDashboard over a generated audit history whose incidents are known; filters; bad ranges refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sharekit.connect import Workspace, connect_local
from sharekit.demo.audit_history import HistoryTruth, write_audit_history
from sharekit.widgets import UsageDashboard
from sharekit.widgets.dashboard_query import ALL, DashboardFilter
from tests.helpers import chart_svg

END = dt.date(2026, 3, 31)


@pytest.fixture
def seeded(home: Path) -> Iterator[tuple[Workspace, HistoryTruth]]:
    truth = write_audit_history(home, events=30_000, days=35, end=END, seed=3)
    workspace = connect_local(home)
    try:
        yield workspace, truth
    finally:
        workspace.close()


def test_filter_rules() -> None:
    assert DashboardFilter(END, END).problem() is None
    assert DashboardFilter(END, END - dt.timedelta(days=1)).problem() == "the start date is after the end date"
    assert DashboardFilter(END - dt.timedelta(days=400), END).problem() == "choose at most 366 days"
    assert DashboardFilter.last_days(7, today=END) == DashboardFilter(dt.date(2026, 3, 25), END)


def test_dashboard_shows_charts_and_highlights_the_injected_incidents(seeded: tuple[Workspace, HistoryTruth]) -> None:
    ws, truth = seeded
    board = UsageDashboard(ws, days=35, today=END)
    board.wait(120)
    assert board.message_level == "info", board.message
    assert board.view is not None
    usage = board.view.usage.df
    assert int(usage["requests"].sum()) == int(truth.requests.sum())  # the table is the log's own count
    for panel in (board.usage.value, board.top_tables.value):  # charts as SVG images in the page, no CDN
        assert b"<svg" in chart_svg(panel)
    assert "cdn" not in board.usage.value.lower()
    spikes = {(i.recipient, i.day.isoformat()) for i in truth.incidents if i.kind == "spike"}
    flagged = {(recipient, day) for recipient, day, _ in board.view.flagged}
    assert spikes <= flagged, (spikes, flagged)
    assert "anomal" in board.anomalies.value and "#a4262c" in board.anomalies.value
    for recipient, day in spikes:
        assert recipient in board.anomalies.value and day in board.anomalies.value


def test_filters_and_a_bad_range(seeded: tuple[Workspace, HistoryTruth]) -> None:
    ws, _ = seeded
    ws.client.shares.create("sales_share")
    board = UsageDashboard(ws, days=7, today=END)
    board.wait(120)
    assert board.share.options == (ALL, "sales_share")
    board.share.value = "sales_share"
    board.refresh_button.click()
    board.wait(120)
    assert board.view is not None and set(board.view.usage.df["share"]) == {"sales_share"}
    board.start.value = END + dt.timedelta(days=1)
    assert board.refresh_button.disabled and "start date is after the end date" in board.reason.value
    board.start.value = END - dt.timedelta(days=3)
    assert not board.refresh_button.disabled


def test_the_credentials_tab_shows_the_review_and_the_timeline(ws: Workspace) -> None:
    from databricks.sdk.service import sharing as S

    ws.client.recipients.create("acme", authentication_type=S.AuthenticationType.TOKEN)
    board = UsageDashboard(ws, days=7)
    board.wait(120)
    assert board.message_level == "info", board.message
    titles = [board.widget.children[-1].get_title(i) for i in range(4)]
    assert titles[-1] == "Credentials"
    panel = board.credentials.value
    assert "token_never_expires" in panel and "acme" in panel
    assert b"Credential timeline" in chart_svg(panel) and "retrieve_config.html" not in panel
