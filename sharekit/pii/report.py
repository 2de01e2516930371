"""The PII report of one table: its findings, how many rows were sampled, and what was not checked."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.display import palette
from sharekit.pii.rules import KINDS, PiiFinding, check_columns

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PiiReport:
    """``pii_report(ws, table)``: the findings, how many rows were sampled, and a note on what was not checked."""

    table: str
    columns: list[str]
    findings: list[PiiFinding]
    sampled_rows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_pii(self) -> bool:
        return bool(self.findings)

    @property
    def flagged(self) -> dict[str, str]:
        return {f.column: f.kind for f in self.findings}

    @property
    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([(f.column, f.kind, f.reason) for f in self.findings],
                            columns=["column", "kind", "reason"])

    def __repr__(self) -> str:
        head = (f"PII check of {self.table}: {len(self.findings)} column(s) look like personal data "
                f"({self.sampled_rows} rows sampled)")
        lines = [head] + [f"  ! {f}" for f in self.findings] + [f"  note: {n}" for n in self.notes]
        if not self.findings:
            lines.insert(1, "  no personal data found in the column names or sampled values")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = palette.ERROR if self.findings else palette.SUCCESS
        rows = "".join(f"<tr><td>{html.escape(f.column)}</td><td>{html.escape(KINDS.get(f.kind, f.kind))}</td>"
                       f"<td>{html.escape(f.reason)}</td></tr>" for f in self.findings)
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        body = (f"<table><tr><th>column</th><th>looks like</th><th>why</th></tr>{rows}</table>" if rows
                else "<p>No personal data found in the column names or sampled values.</p>")
        return (f'<div><b style="color:{colour}">PII check of {html.escape(self.table)}</b> '
                f"({self.sampled_rows} rows sampled){body}{notes}</div>")


def report(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]] = (),
           notes: Sequence[str] = ()) -> PiiReport:
    return PiiReport(table, list(columns), check_columns(columns, rows), len(rows), list(notes))
