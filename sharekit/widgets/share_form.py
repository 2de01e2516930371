"""ShareForm: name, comment, a searchable table picker, per-table alias / partition filter / history; "Preview
plan" and "Apply" run the configuration engine that ``%%share`` uses."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sharekit.display import plan_html
from sharekit.widgets._form import Form, reason_html
from sharekit.widgets.share_draft import (
    ALIASED_TYPES,
    PARTITION_MODES,
    ShareDraft,
    ShareOps,
    TableChoice,
    type_label,
)

if TYPE_CHECKING:
    from sharekit.config.apply import ApplyResult
    from sharekit.config.plan import Plan
    from sharekit.connect import Workspace

MAX_PICKER_OPTIONS = 500


def picker_label(name: str, kind: str) -> str:
    """How the picker lists an object: a table by its name, anything else with its type."""
    return name if kind == "TABLE" else f"{name} ({type_label(kind)})"


class TableRow:
    """The widgets of one table in the share."""

    def __init__(self, form: ShareForm, choice: TableChoice) -> None:
        import ipywidgets as w

        self.choice = choice
        columns = list(choice.partition_columns)
        kind = "" if choice.type == "TABLE" else f" <i>{html.escape(type_label(choice.type))}</i>"
        denied = (' <span class="sharekit-denied" title="recipients get nothing from it">⚠ permission denied</span>'
                  if choice.status == "PERMISSION_DENIED" else "")
        self.label = w.HTML(f"<code>{html.escape(choice.name)}</code>{kind}{denied}", layout=w.Layout(width="230px"))
        self.alias = w.Text(value=choice.alias, placeholder="alias schema.table", layout=w.Layout(width="170px"))
        self.mode = w.Dropdown(options=PARTITION_MODES, value=choice.partition_mode, layout=w.Layout(width="150px"),
                               disabled=not choice.partitionable or (not columns and choice.partition_mode == "none"))
        column_options = columns or ([choice.partition_column] if choice.partition_column else [])
        self.column = w.Dropdown(options=column_options, value=choice.partition_column or (columns[0] if columns else None),
                                 layout=w.Layout(width="120px"))
        self.value = w.Text(value=choice.partition_value, placeholder="value / property key",
                            layout=w.Layout(width="150px"))
        self.history = w.Checkbox(value=choice.history, description="history", indent=False,
                                  layout=w.Layout(width="80px"), disabled=not choice.with_history)
        if choice.type not in ALIASED_TYPES:
            self.alias.disabled = True
        self.remove = w.Button(icon="trash", tooltip="remove from the share", layout=w.Layout(width="40px"))
        self.remove.on_click(lambda _: form.remove_table(self))
        for widget in (self.alias, self.mode, self.column, self.value, self.history):
            widget.observe(form._changed, names="value")
        kept = w.HTML("<i>partitions kept as they are</i>") if choice.kept_partitions else w.HTML()
        self.box = w.HBox([self.label, self.alias, self.mode, self.column, self.value, self.history, self.remove, kept])
        self.box.add_class("sharekit-table-row")

    def read(self) -> TableChoice:
        choice = self.choice
        choice.alias = self.alias.value
        choice.partition_mode = self.mode.value
        choice.partition_column = self.column.value or ""
        choice.partition_value = self.value.value
        choice.history = self.history.value
        self.column.disabled = self.value.disabled = choice.partition_mode == "none"
        return choice


class ShareForm(Form):
    title = "Share — tables, views, volumes, models, functions; aliases, partition filters"
    css_class = "sharekit-share-form"

    def __init__(self, workspace: Workspace | None = None) -> None:
        import ipywidgets as w

        super().__init__(workspace)
        self.ops = ShareOps(self.client)
        self.all_tables: list[str] = []  # the picker's labels: a table's name, "name (volume)" for the others
        self.picked: dict[str, tuple[str, str]] = {}  # label -> (name, data object type)
        self.rows: list[TableRow] = []
        self.kept_objects: list[Any] = []
        self.plan: Plan | None = None
        self.result: ApplyResult | None = None
        self.reason_text = ""
        label = {"description_width": "110px"}
        self.name = w.Text(description="Share name", placeholder="partner_analytics", style=label,
                           layout=w.Layout(width="420px"))
        self.comment = w.Text(description="Comment", style=label, layout=w.Layout(width="420px"))
        self.existing = w.Dropdown(description="Edit share", options=[], style=label, layout=w.Layout(width="420px"))
        self.load_button = w.Button(description="Load", icon="folder-open", layout=w.Layout(width="90px"))
        self.search = w.Text(description="Find object", placeholder="type to filter", style=label,
                             layout=w.Layout(width="420px"))
        self.picker = w.SelectMultiple(options=[], rows=8, layout=w.Layout(width="420px"))
        self.add_button = w.Button(description="Add selected", icon="plus")
        self.rows_box = w.VBox()
        self.preview_button = w.Button(description="Preview plan", icon="list")
        self.apply_button = w.Button(description="Apply", button_style="primary", disabled=True)
        self.reason = w.HTML()
        self.plan_html = w.HTML()
        for widget, css in ((self.name, "sharekit-share-name"), (self.search, "sharekit-table-search"),
                            (self.picker, "sharekit-table-picker"), (self.preview_button, "sharekit-preview"),
                            (self.apply_button, "sharekit-apply"), (self.reason, "sharekit-reason"),
                            (self.plan_html, "sharekit-plan")):
            widget.add_class(css)
        for widget in (self.name, self.comment):
            widget.observe(self._changed, names="value")
        self.search.observe(lambda _: self._filter(), names="value")
        self.add_button.on_click(lambda _: self.add_selected())
        self.load_button.on_click(lambda _: self.load_existing())
        self.preview_button.on_click(lambda _: self.preview())
        self.apply_button.on_click(lambda _: self.apply())
        self.widget.children = [
            self._header(), w.HBox([self.existing, self.load_button]), self.name, self.comment,
            w.HTML("<b>Objects</b>"), self.search, w.HBox([self.picker, self.add_button]), self.rows_box,
            w.HBox([self.preview_button, self.apply_button, self.reason]),
            w.HBox([self.progress, self.message_widget]), self.plan_html,
        ]
        self.refresh(background=False)

    # -- state ---------------------------------------------------------------------------------------------
    def draft(self) -> ShareDraft:
        return ShareDraft(self.name.value, self.comment.value, [row.read() for row in self.rows],
                          list(self.kept_objects))

    def _changed(self, _change: Any = None) -> None:
        self.plan = None  # a preview no longer matches what is typed
        self.sync()

    def sync(self) -> None:
        problem = self.draft().problem()
        busy = self.task.running
        self.apply_button.disabled = self.preview_button.disabled = busy or problem is not None
        self.add_button.disabled = self.load_button.disabled = busy
        if problem and not self.name.value:
            problem = "enter a share name"
        self.reason_text = problem or ""
        self.reason.value = reason_html(problem)

    def _filter(self) -> None:
        needle = self.search.value.strip().lower()
        matches = [name for name in self.all_tables if needle in name.lower()] if needle else self.all_tables
        self.picker.options = matches[:MAX_PICKER_OPTIONS]

    # -- actions ---------------------------------------------------------------------------------------------
    def refresh(self, *, background: bool = True) -> Any:
        def work() -> tuple[list[tuple[str, str]], list[str]]:
            return self.ops.catalog_objects(), self.ops.share_names()

        def done(found: tuple[list[tuple[str, str]], list[str]]) -> None:
            objects, shares = found
            self.picked = {picker_label(name, kind): (name, kind) for name, kind in objects}
            self.all_tables = list(self.picked)
            self._filter()
            self.existing.options = shares
            self.existing.value = None
            tables = sum(1 for _, kind in objects if kind == "TABLE")
            self.messages.show(f"{tables} table(s), {len(objects) - tables} other object(s), {len(shares)} share(s)",
                               "info")

        return self.task.start("Loading tables", work, done, background=background)

    def add_tables(self, names: list[str]) -> Any:
        """Add picker entries (a label, or a table's name) to the share."""
        present = {row.choice.name.lower() for row in self.rows}
        chosen = [self.picked.get(label, (label, "TABLE")) for label in names]
        wanted = [(name, kind) for name, kind in chosen if name.lower() not in present]

        def work() -> list[TableChoice]:
            return [TableChoice(name=name, type=kind,
                                partition_columns=self.ops.partition_columns(name) if kind == "TABLE" else ())
                    for name, kind in wanted]

        def done(choices: list[TableChoice]) -> None:
            self._set_rows(self.rows + [TableRow(self, choice) for choice in choices])
            self.messages.show(f"added {len(choices)} object(s)", "info")

        return self.task.start("Adding tables", work, done)

    def add_selected(self) -> Any:
        return self.add_tables(list(self.picker.value))

    def remove_table(self, row: TableRow) -> None:
        self._set_rows([r for r in self.rows if r is not row])

    def row(self, name: str) -> TableRow:
        for row in self.rows:
            if row.choice.name.lower() == name.lower():
                return row
        raise LookupError(f"{name} is not in the form")

    def load_existing(self, name: str | None = None) -> Any:
        chosen = name or self.existing.value
        if not chosen:
            self.messages.show("choose a share to edit", "warning")
            return None

        def done(draft: ShareDraft) -> None:
            self.name.value, self.comment.value = draft.name, draft.comment
            self.kept_objects = draft.kept_objects
            self._set_rows([TableRow(self, choice) for choice in draft.tables])
            if draft.denied:
                self.messages.show(f"loaded share {draft.name}: recipients get nothing from "
                                   f"{', '.join(draft.denied)} (PERMISSION_DENIED)", "warning")
            else:
                self.messages.show(f"loaded share {draft.name}: {len(draft.tables)} object(s)", "info")

        return self.task.start(f"Loading share {chosen}", lambda: self.ops.load(chosen), done)

    def _set_rows(self, rows: list[TableRow]) -> None:
        self.rows = rows
        self.rows_box.children = [row.box for row in rows]
        self._changed()

    def preview(self) -> Any:
        draft = self.draft()

        def done(plan: Plan) -> None:
            self.plan = plan
            self.plan_html.value = plan_html(plan)
            self.messages.show(plan.summary(), "info")

        return self.task.start("Planning", lambda: self.ops.plan(draft), done)

    def apply(self) -> Any:
        draft = self.draft()

        def done(result: ApplyResult) -> None:
            self.result = result
            self.plan = None
            self.plan_html.value = plan_html(result.plan, result)
            self.messages.show(result.summary(), "info" if result.ok else "error")
            self.existing.options = self.ops.share_names()

        return self.task.start(f"Applying share {draft.name.strip()}",
                               lambda: self.ops.apply(draft, on_step=self.task.step), done)

