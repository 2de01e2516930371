"""Status lines for notebooks and terminals: displayed through IPython in a shell, printed otherwise."""

from __future__ import annotations

import html
import sys

from sharekit.display import palette


class Status:
    """A one-line message; green for success, amber for warnings."""

    def __init__(self, text: str, level: str = "info") -> None:
        self.text = text
        self.level = level

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<div style="color:{palette.level_colour(self.level)}">{html.escape(self.text)}</div>'


def show_status(text: str, level: str = "info") -> None:
    from IPython import get_ipython

    if get_ipython() is not None:
        from IPython.display import display

        display(Status(text, level))  # type: ignore[no-untyped-call]
    else:
        print(text, file=sys.stderr if level != "info" else sys.stdout)
