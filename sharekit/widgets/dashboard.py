"""UsageDashboard: date range, share and recipient filters, refresh; the usage chart and table, the most
accessed tables, anomalies highlighted, and the credentials (the access review and the credential timeline). Charts are SVG images (rendered by vl-convert in the kernel), so
they show offline in JupyterLab 4, Notebook 7, VS Code and Voila."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.errors import workspace_message
from sharekit.widgets._form import Form, reason_html
from sharekit.widgets.dashboard_query import ALL, DashboardFilter, DashboardView, run_analyses

if TYPE_CHECKING:
    import datetime as dt

    from sharekit.connect import Workspace


def result_html(result: Any) -> str:
    """An analysis result as HTML (its table and SVG chart image); a note when it has no HTML form."""
    render = getattr(result, "_repr_html_", None)
    return render() if callable(render) else f"<pre>{html.escape(repr(result))}</pre>"


def anomalies_html(view: DashboardView) -> str:
    if not view.flagged:
        return "<div class='sharekit-anomalies'>No anomalies in this period.</div>"
    rows = "".join(f"<tr><td>{html.escape(recipient)}</td><td>{html.escape(day)}</td><td>{html.escape(what)}</td></tr>"
                   for recipient, day, what in view.flagged)
    return (f"<div class='sharekit-anomalies' style='border-left:4px solid {palette.ERROR};padding-left:8px'>"
            f"<b style='color:{palette.ERROR}'>{len(view.flagged)} anomal{'y' if len(view.flagged) == 1 else 'ies'}</b>"
            f"<table><tr><th>recipient</th><th>day</th><th>what</th></tr>{rows}</table></div>")


class UsageDashboard(Form):
    title = "Usage — who reads what, and what looks unusual"
    css_class = "sharekit-dashboard"

    def __init__(self, workspace: Workspace | None = None, *, days: int = 30, today: dt.date | None = None) -> None:
        import ipywidgets as w

        super().__init__(workspace)
        initial = DashboardFilter.last_days(days, today)
        self.view: DashboardView | None = None
        self.start = w.DatePicker(description="From", value=initial.start)
        self.end = w.DatePicker(description="To", value=initial.end)
        self.share = w.Dropdown(description="Share", options=[ALL], value=ALL)
        self.recipient = w.Dropdown(description="Recipient", options=[ALL], value=ALL)
        self.refresh_button = w.Button(description="Refresh", icon="refresh", button_style="primary")
        self.refresh_button.add_class("sharekit-refresh")
        self.reason = w.HTML()
        self.anomalies = w.HTML()
        self.usage = w.HTML()
        self.top_tables = w.HTML()
        self.anomaly_chart = w.HTML()
        self.credentials = w.HTML()
        for widget, css in ((self.usage, "sharekit-usage"), (self.top_tables, "sharekit-top-tables"),
                            (self.anomalies, "sharekit-anomalies-box"), (self.anomaly_chart, "sharekit-anomaly-chart"),
                            (self.credentials, "sharekit-credentials")):
            widget.add_class(css)
        for widget in (self.start, self.end, self.share, self.recipient):
            widget.observe(lambda _: self.sync(), names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        tabs = w.Tab(children=[self.usage, self.top_tables, self.anomaly_chart, self.credentials])
        for index, title in enumerate(("Traffic", "Top tables", "Anomalies", "Credentials")):
            tabs.set_title(index, title)
        self.widget.children = [
            self._header(), w.HBox([self.start, self.end]), w.HBox([self.share, self.recipient]),
            w.HBox([self.refresh_button, self.reason]), w.HBox([self.progress, self.message_widget]),
            self.anomalies, tabs]
        self._load_names()
        self.refresh()

    def chosen(self) -> DashboardFilter:
        return DashboardFilter(self.start.value, self.end.value,
                               "" if self.share.value == ALL else self.share.value,
                               "" if self.recipient.value == ALL else self.recipient.value)

    def sync(self) -> None:
        problem = self.chosen().problem()
        self.refresh_button.disabled = self.task.running or problem is not None
        self.reason.value = reason_html(problem)

    def _load_names(self) -> None:
        from databricks.sdk.errors.base import DatabricksError

        try:
            shares = sorted(s.name for s in self.client.shares.list_shares() if s.name)
            recipients = sorted(r.name for r in self.client.recipients.list() if r.name)
        except DatabricksError as err:  # the filters stay "(all)"; the analyses still run
            self.messages.show(f"could not list shares and recipients: {workspace_message(err)}", "warning")
            return
        self.share.options = [ALL, *shares]
        self.recipient.options = [ALL, *recipients]

    def refresh(self, *, background: bool = True) -> Any:
        chosen = self.chosen()

        def done(view: DashboardView) -> None:
            self.view = view
            self.usage.value = result_html(view.usage)
            self.top_tables.value = result_html(view.top_tables)
            self.anomalies.value = anomalies_html(view)
            self.anomaly_chart.value = result_html(view.anomalies)
            self.credentials.value = result_html(view.credentials)
            self.messages.show(f"{chosen.start} – {chosen.end}: {len(view.flagged)} anomal"
                               f"{'y' if len(view.flagged) == 1 else 'ies'}", "info")

        return self.task.start("Running the analyses", lambda: run_analyses(self.workspace, chosen), done,
                               background=background)
