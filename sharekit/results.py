"""Rich results of the magics: a readable ``__repr__``, ``_repr_html_`` (all user text escaped) and ``.df``.

They never display themselves: the notebook shows what a cell returns.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sharekit.config.apply import ApplyResult
    from sharekit.sharing import RecipientSummary

STATUS_COLOURS = {"done": "#1f6f43", "failed": "#a4262c", "not tried": "#8a5a00", "planned": "#333"}


def when(epoch_ms: int | None, never: str = "never") -> str:
    if not epoch_ms:
        return never
    stamp = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


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
        colour = STATUS_COLOURS.get(str(value)) if column == "status" else None
        return f'<td style="color:{colour}">{text}</td>' if colour else f"<td>{text}</td>"

    def _repr_html_(self) -> str:
        colour = {"error": "#a4262c", "warning": "#8a5a00"}.get(self.level, "#1f6f43")
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


class ShareResult(ResultTable):
    """The outcome of ``%%share``: the plan as a table with each action's status, and new activation links."""

    def __init__(self, result: ApplyResult) -> None:
        self.result = result
        rows = [[a.symbol, a.op, a.kind, a.target, a.item, a.detail, result.status_of(a)] for a in result.plan.actions]
        level = "info" if (result.ok or result.dry_run) else "error"
        notes = []
        if result.dry_run and result.plan.has_changes:
            notes.append("dry run: nothing was changed (apply the same document to make these changes)")
        notes += [f"PII warning: {w} (review it; --strict refuses such plans)" for w in result.plan.warnings]
        if result.plan.warnings and level == "info":
            level = "warning"
        super().__init__(result.summary(), ["", "action", "kind", "target", "item", "detail", "status"], rows,
                         notes=notes, links=result.activation_links, level=level)

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def plan(self) -> Any:
        return self.result.plan

    @property
    def activation_links(self) -> dict[str, str]:
        return self.result.activation_links


def recipient_table(summaries: Sequence[RecipientSummary]) -> ResultTable:
    rows = [[s.name, s.authentication_type, "yes" if s.activated else "no", when(s.token_expires),
             ", ".join(s.shares), ", ".join(f"{k}={v}" for k, v in sorted(s.properties.items())), s.comment or ""]
            for s in summaries]
    title = f"{len(summaries)} recipient(s)"
    waiting = [s.name for s in summaries if not s.activated]
    notes = [f"not activated yet: {', '.join(waiting)} (%recipient activation NAME shows the link)"] if waiting else []
    return ResultTable(title, ["name", "auth", "activated", "token expires", "shares", "properties", "comment"], rows,
                       notes=notes)


def recipient_card(summary: RecipientSummary, title: str | None = None,
                   link: str | None = None) -> ResultTable:
    rows = [
        ["name", summary.name],
        ["authentication", summary.authentication_type],
        ["activated", "yes" if summary.activated else "no"],
        ["token expires", when(summary.token_expires)],
        ["recipient expires", when(summary.expires)],
        ["shares", ", ".join(summary.shares) or "(none)"],
        ["properties", ", ".join(f"{k}={v}" for k, v in sorted(summary.properties.items())) or "(none)"],
        ["ip access list", ", ".join(summary.ip_access_list) or "(any address)"],
        ["comment", summary.comment or ""],
    ]
    url = link or summary.activation_url
    return ResultTable(title or f"recipient {summary.name}", ["field", "value"], rows,
                       links={summary.name: url} if url else None)


def message(text: str, level: str = "info", links: dict[str, str] | None = None) -> ResultTable:
    return ResultTable(text, [], [], links=links, level=level)
