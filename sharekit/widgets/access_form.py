"""AccessForm: a shares × recipients grid of checkboxes. Ticked = the recipient holds SELECT on the share.

Changes are pending (highlighted) until "Apply", which makes one ``update_permissions`` call per changed share;
revocations ask for a confirmation first.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.widgets._form import Form
from sharekit.widgets.access_grid import AccessGrid, ApplyReport, apply_grid, load_grid

if TYPE_CHECKING:
    import ipywidgets

    from sharekit.connect import Workspace

PENDING_BACKGROUND = palette.HIGHLIGHT
MAX_CELLS = 5000


class AccessForm(Form):
    title = "Access — which recipient may read which share"
    css_class = "sharekit-access-form"

    def __init__(self, workspace: Workspace | None = None) -> None:
        import ipywidgets as w

        super().__init__(workspace)
        self.grid = AccessGrid([], [])
        self.cells: dict[tuple[str, str], ipywidgets.Checkbox] = {}
        self.last_report: ApplyReport | None = None
        self._syncing = False
        self.grid_box = w.GridBox(layout=w.Layout(grid_gap="2px 12px", overflow="auto", max_height="420px"))
        self.grid_box.add_class("sharekit-access-grid")
        self.pending_html = w.HTML()
        self.pending_html.add_class("sharekit-pending")
        self.apply_button = w.Button(description="Apply changes", button_style="primary", disabled=True)
        self.apply_button.add_class("sharekit-apply")
        self.reset_button = w.Button(description="Discard", disabled=True)
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.confirm_prompt = w.HTML()
        self.confirm_button = w.Button(description="Confirm revoke", button_style="danger")
        self.confirm_button.add_class("sharekit-confirm-revoke")
        self.cancel_button = w.Button(description="Cancel")
        self.confirm_box = w.HBox([self.confirm_prompt, self.confirm_button, self.cancel_button])
        self.confirm_box.layout.display = "none"
        self.apply_button.on_click(lambda _: self.apply())
        self.reset_button.on_click(lambda _: self.discard())
        self.refresh_button.on_click(lambda _: self.refresh())
        self.confirm_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.widget.children = [self._header(), self.grid_box, self.pending_html,
                                w.HBox([self.apply_button, self.reset_button, self.refresh_button]),
                                self.confirm_box, w.HBox([self.progress, self.message_widget])]
        self.refresh(background=False)

    # -- grid <-> widgets ---------------------------------------------------------------------------------
    def _build(self, grid: AccessGrid) -> None:
        import ipywidgets as w

        self.grid = grid
        if len(grid.shares) * len(grid.recipients) > MAX_CELLS:
            raise ValueError(f"{len(grid.shares)} shares × {len(grid.recipients)} recipients is too large a grid; "
                             "use %recipient grant/revoke or a %%share document")
        header = [w.HTML("<b>share \\ recipient</b>")]
        header += [w.HTML(f"<b>{html.escape(recipient)}</b>") for recipient in grid.recipients]
        children: list[Any] = list(header)
        self.cells = {}
        for share in grid.shares:
            children.append(w.HTML(html.escape(share)))
            for recipient in grid.recipients:
                box = w.Checkbox(value=grid.wanted(share, recipient), indent=False, tooltip=f"{share} → {recipient}",
                                 layout=w.Layout(width="auto"))
                box.add_class("sharekit-grant")
                box.observe(self._ticked(share, recipient), names="value")
                self.cells[(share, recipient)] = box
                children.append(box)
        self.grid_box.layout.grid_template_columns = f"minmax(140px, max-content) repeat({len(grid.recipients)}, max-content)"
        self.grid_box.children = children if grid.shares and grid.recipients else [
            w.HTML("<i>no shares or no recipients yet</i>")]
        self.sync()

    def _ticked(self, share: str, recipient: str) -> Any:
        def handler(change: dict[str, Any]) -> None:
            if not self._syncing:
                self.grid.set(share, recipient, bool(change["new"]))
                self.sync()
        return handler

    def tick(self, share: str, recipient: str, granted: bool = True) -> None:
        """What a click on a cell does (tests and scripts)."""
        cell = self.cells.get((share, recipient))
        if cell is None:
            raise LookupError(f"no cell for share {share!r} and recipient {recipient!r}")
        cell.value = granted

    def sync(self) -> None:
        grid, busy = self.grid, self.task.running
        self._syncing = True
        try:
            for (share, recipient), box in self.cells.items():
                box.value = grid.wanted(share, recipient)
                box.style.background = PENDING_BACKGROUND if grid.is_pending(share, recipient) else ""
                box.disabled = busy
        finally:
            self._syncing = False
        lines = grid.summary()
        self.pending_html.value = ("<b>Pending:</b><br>" + "<br>".join(html.escape(line) for line in lines)
                                   if lines else "")
        self.apply_button.disabled = busy or not grid.has_changes
        self.reset_button.disabled = busy or not grid.has_changes
        self.refresh_button.disabled = busy
        self.confirm_button.disabled = busy

    # -- actions ---------------------------------------------------------------------------------------------
    def refresh(self, *, background: bool = True) -> Any:
        def done(grid: AccessGrid) -> None:
            self._build(grid)
            self.messages.show(f"{len(grid.current)} grant(s) on {len(grid.shares)} share(s)", "info")

        return self.task.start("Loading grants", lambda: load_grid(self.client), done, background=background)

    def discard(self) -> None:
        self.grid.reset()
        self.cancel()
        self.sync()

    def apply(self) -> Any:
        if not self.grid.has_changes:
            self.messages.show("nothing to apply", "info")
            return None
        removals = self.grid.removals
        if removals:
            listed = ", ".join(f"{recipient} from {share}" for share, recipient in removals)
            self.confirm_prompt.value = f"<b>Revoke {len(removals)} grant(s): {html.escape(listed)}?</b>"
            self.confirm_box.layout.display = "flex"
            self.messages.show("revoking needs a confirmation", "warning")
            return None
        return self._apply()

    def confirm(self) -> Any:
        self.confirm_box.layout.display = "none"
        return self._apply()

    def cancel(self) -> None:
        self.confirm_box.layout.display = "none"

    def _apply(self) -> Any:
        grid = self.grid

        def work() -> tuple[ApplyReport, AccessGrid]:
            report = apply_grid(self.client, grid, on_step=self.task.step)
            return report, load_grid(self.client)

        def done(outcome: tuple[ApplyReport, AccessGrid]) -> None:
            report, fresh = outcome
            self.last_report = report
            self._build(fresh)
            self.messages.show(report.text(), "info" if report.ok else "error")

        return self.task.start("Applying access changes", work, done)
