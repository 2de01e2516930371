"""The recipient views of ``%recipient``: the list of all recipients and the card of one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sharekit.display.table import ResultTable, when

if TYPE_CHECKING:
    from sharekit.recipients import RecipientSummary


def _properties(summary: RecipientSummary) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(summary.properties.items()))


def recipient_table(summaries: Sequence[RecipientSummary]) -> ResultTable:
    rows = [[s.name, s.authentication_type, "yes" if s.activated else "no", when(s.token_expires),
             ", ".join(s.shares), _properties(s), s.comment or ""]
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
        ["properties", _properties(summary) or "(none)"],
        ["ip access list", ", ".join(summary.ip_access_list) or "(any address)"],
        ["comment", summary.comment or ""],
    ]
    url = link or summary.activation_url
    return ResultTable(title or f"recipient {summary.name}", ["field", "value"], rows,
                       links={summary.name: url} if url else None)
