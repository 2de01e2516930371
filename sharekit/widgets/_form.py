"""What every form shares: the workspace it acts on, a message line, a progress bar, and display hooks."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.session import current_workspace
from sharekit.widgets._progress import Messages, Task

if TYPE_CHECKING:
    import ipywidgets

    from sharekit.connect import Workspace


def reason_html(problem: str | None) -> str:
    """The line beside a disabled button that says why it is disabled (empty when nothing is wrong)."""
    return f'<span style="color:{palette.ERROR}">{html.escape(problem)}</span>' if problem else ""


def resolve_workspace(workspace: Workspace | None) -> Workspace:
    """``None`` means the notebook's current workspace: the one ``%sharekit connect`` and the magics use
    (``sharekit.session.current_workspace``, which connects on first use)."""
    if workspace is not None:
        return workspace
    current = current_workspace()
    if current is None:  # only when connecting is switched off
        raise LookupError("no workspace: run %sharekit connect or pass workspace=sharekit.connect()")
    return current


class Form:
    """Base of the forms: ``.widget`` is the root box; displaying the form displays it."""

    title = "sharekit"
    css_class = "sharekit-form"

    def __init__(self, workspace: Workspace | None = None) -> None:
        import ipywidgets as w

        self.workspace = resolve_workspace(workspace)
        self.message_widget = w.HTML(layout=w.Layout(min_height="1.5em"))
        self.message_widget.add_class("sharekit-message-line")
        self.messages = Messages(self.message_widget)
        self.progress = w.IntProgress(value=0, min=0, max=1, bar_style="info", layout=w.Layout(width="320px"))
        self.task = Task(self.messages, self.progress, self._on_busy)
        self.widget: ipywidgets.Box = w.VBox()
        self.widget.add_class(self.css_class)

    @property
    def client(self) -> Any:
        return self.workspace.client

    @property
    def message(self) -> str:
        """The text of the form's message line (plain text, for tests and terminals)."""
        return self.messages.text

    @property
    def message_level(self) -> str:
        return self.messages.level

    def wait(self, timeout: float = 60.0) -> Any:
        """Wait for the running operation (if any); see ``Task.start`` for what it returns."""
        return self.task.wait(timeout)

    def _on_busy(self, busy: bool) -> None:
        self.sync()

    def sync(self) -> None:
        """Recompute which buttons are enabled and what the validation line says."""

    def _header(self) -> ipywidgets.HTML:
        import ipywidgets as w

        return w.HTML(f"<b>{self.title}</b>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, with this form's short repr as the text fallback (shown without a widget manager)."""
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__} on {self.workspace.host}>"
