"""The result table of the magics and the CLI: a title, rows, notes and activation links; ``.df``."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sharekit.display import palette

if TYPE_CHECKING:
    import pandas as pd


def when(epoch_ms: int | None, never: str = "never") -> str:
    if not epoch_ms:
        return never
    stamp = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for showing: float columns whose values are all whole numbers (counts that became floats
    through an average or a missing value) as integers, other floats rounded to digits that fit their size (1 from
    100 up, 2 from 1, else 3 significant), times to the second. ``.df`` keeps the full precision; only what is
    shown is rounded."""
    import math

    import pandas as pd

    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            shown[column] = values.dt.floor("s")  # event times to the second
            continue
        if not pd.api.types.is_float_dtype(values):
            continue
        finite = values[values.notna() & ~values.isin([math.inf, -math.inf])]
        if finite.empty:
            continue
        if (finite == finite.round()).all() and finite.abs().max() < 2**53:
            shown[column] = values.round().astype("Int64")
            continue
        largest = float(finite.abs().max())
        if largest >= 100:
            digits = 1
        elif largest >= 1:
            digits = 2
        else:
            digits = max(3, 2 - math.floor(math.log10(largest))) if largest > 0 else 3
        shown[column] = values.round(digits)
    return shown


def _link(url: str) -> str:
    safe = html.escape(url, quote=True)
    if url.startswith(("http://", "https://")):
        return f'<a href="{safe}" target="_blank" rel="noopener">{safe}</a>'
    return f"<code>{safe}</code>"


class ResultTable:
    """A titled table with optional notes and links (name → URL)."""

    def __init__(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                 notes: Sequence[str] = (), links: dict[str, str] | None = None, level: str = "info") -> None:
        self.title = title
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.notes = list(notes)
        self.links = dict(links or {})
        self.level = level

    @property
    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def _cell_html(self, column: str, value: Any) -> str:
        text = html.escape("" if value is None else str(value))
        colour = palette.STATUSES.get(str(value)) if column == "status" else None
        return f'<td style="color:{colour}">{text}</td>' if colour else f"<td>{text}</td>"

    def _repr_html_(self) -> str:
        colour = palette.level_colour(self.level, default=palette.SUCCESS)
        title = html.escape(self.title)
        parts = [f'<div class="sharekit-result"><div style="color:{colour};font-weight:bold">{title}</div>']
        if self.rows:
            head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
            body = "".join("<tr>" + "".join(self._cell_html(c, v) for c, v in zip(self.columns, row)) + "</tr>"
                           for row in self.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if self.links:
            items = "".join(f"<li>{html.escape(name)}: {_link(url)}</li>" for name, url in self.links.items())
            parts.append(f"<div>Activation links (send each to its recipient; each works once):</div><ul>{items}</ul>")
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ul>")
        return "".join(parts) + "</div>"

    def __repr__(self) -> str:
        lines = [self.title]
        if self.rows:
            cells = [[("" if v is None else str(v)) for v in row] for row in self.rows]
            widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(self.columns)]
            lines.append("  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip())
            lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
        if self.links:
            lines.append("activation links:")
            lines += [f"  {name}: {url}" for name, url in self.links.items()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def message(text: str, level: str = "info", links: dict[str, str] | None = None) -> ResultTable:
    return ResultTable(text, [], [], links=links, level=level)
