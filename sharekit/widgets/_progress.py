"""Run a slow workspace call off the kernel's main thread and report on a message widget.

A form calls ``Task.start(label, work)``: the widget shows a spinner-like progress bar and the label, the work
runs in a daemon thread (so the kernel keeps answering, and other cells can run), and the outcome lands in the
message widget. ``Task.future`` is a ``concurrent.futures.Future`` tests (and notebooks) can wait on.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.errors import workspace_message

if TYPE_CHECKING:
    import ipywidgets

COLOURS = {**palette.LEVELS, "pending": palette.PENDING}


def expected_errors() -> tuple[type[BaseException], ...]:
    """Errors that are the workspace's or the user's, shown as a plain message (no traceback)."""
    from databricks.sdk.errors.base import DatabricksError

    return (DatabricksError, ValueError, LookupError)  # ConfigError and pydantic's ValidationError are ValueErrors


class Messages:
    """The one line (HTML widget) where a form reports success, refusal and failure."""

    def __init__(self, widget: ipywidgets.HTML) -> None:
        self.widget = widget
        self.text = ""
        self.level = "info"

    def show(self, text: str, level: str = "info") -> None:
        self.text, self.level = text, level
        colour = COLOURS.get(level, palette.NEUTRAL)
        self.widget.value = (f'<div class="sharekit-message sharekit-{level}" style="color:{colour};'
                             f'white-space:pre-wrap">{html.escape(text)}</div>')

    def clear(self) -> None:
        self.text, self.level = "", "info"
        self.widget.value = ""


class Task:
    """At most one background operation per form. ``on_busy(True/False)`` lets the form disable its buttons."""

    def __init__(self, messages: Messages, progress: ipywidgets.IntProgress,
                 on_busy: Callable[[bool], None]) -> None:
        self.messages = messages
        self.progress = progress
        self._on_busy = on_busy
        self.future: Future[Any] = Future()
        self.future.set_result(None)
        self._lock = threading.Lock()
        self._busy = False
        self.progress.layout.display = "none"

    @property
    def running(self) -> bool:
        return self._busy

    def start(self, label: str, work: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              *, background: bool = True) -> Future[Any]:
        """Run ``work``; ``on_done(result)`` runs in the same thread after it. Errors land in the message.

        The future's result is the work's result, or the workspace/user error that was shown; an unexpected
        error (a bug) is shown too and set as the future's exception.
        """
        with self._lock:
            if self._busy:
                self.messages.show("another operation is still running; wait for it to finish", "warning")
                return self.future
            self._busy = True
            future: Future[Any] = Future()
            self.future = future
        self._set_busy(True, label)

        def run() -> None:
            future.set_running_or_notify_cancel()
            outcome: Any = None
            failure: BaseException | None = None
            try:
                outcome = work()
                if on_done is not None:
                    on_done(outcome)
            except expected_errors() as err:
                self.messages.show(workspace_message(err), "error")
                outcome = err
            except Exception as err:  # noqa: BLE001 - boundary: shown in the form, kept on the future
                self.messages.show(f"{label} failed: {type(err).__name__}: {err}", "error")
                failure = err
            finally:
                self._set_busy(False, "")
            if failure is not None:
                future.set_exception(failure)
            else:
                future.set_result(outcome)

        if background:
            threading.Thread(target=run, name=f"sharekit-{label}", daemon=True).start()
        else:
            run()
        return future

    def step(self, done: int, total: int) -> None:
        """Report progress of a multi-call operation (e.g. one call per share)."""
        self.progress.max = max(total, 1)
        self.progress.value = min(done, self.progress.max)

    def wait(self, timeout: float = 60.0) -> Any:
        """Block until the current operation ends; re-raises an unexpected error (a bug), returns the rest."""
        return self.future.result(timeout=timeout)

    def _set_busy(self, busy: bool, label: str) -> None:
        self._busy = busy
        self.progress.layout.display = None if busy else "none"
        self.progress.description = label[:30]
        self.progress.value = 0
        if busy:
            self.messages.show(f"{label}…", "pending")
        self._on_busy(busy)
