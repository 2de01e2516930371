"""Analysis results: a frame, a chart, and the SQL that produced them; displayed as a table plus an SVG chart."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sharekit.analytics.queries import Query
from sharekit.display.table import for_display

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

log = logging.getLogger("sharekit.analytics")

HTML_ROWS = 20


def svg_image(svg: str, alt: str) -> str:
    """An ``<img>`` tag carrying ``svg`` as a base64 data URI."""
    import base64

    data = base64.b64encode(svg.encode()).decode("ascii")
    return f'<img class="sharekit-chart" alt="{html.escape(alt, quote=True)}" src="data:image/svg+xml;base64,{data}"/>'


class AnalysisResult:
    """``.df`` (pandas), ``.chart()`` (an ``altair.Chart``), ``.to_sql()`` (the Databricks SQL that ran),
    ``.note`` (why a result is empty, for instance). Displays as an escaped table plus the chart as an SVG image."""

    def __init__(self, title: str, df: pd.DataFrame, query: Query | None, *, engine: str = "",
                 chart: Callable[[AnalysisResult], alt.Chart | alt.LayerChart] | None = None,
                 note: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.title = title
        self.df = df
        self.query = query
        self.engine = engine
        self.note = note
        self.extra = extra or {}
        self._chart = chart

    def chart(self) -> Any:
        """The chart (``altair.Chart`` or a layered chart); an empty chart with the note when there is no data."""
        import altair as alt

        if self._chart is None or self.df.empty:
            text = self.note or "no data"
            return alt.Chart(alt.Data(values=[{"text": text}])).mark_text().encode(text="text:N").properties(
                title=self.title)
        return self._chart(self)

    def to_sql(self) -> str:
        return self.query.sql if self.query is not None else ""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.query.params) if self.query is not None else {}

    def __len__(self) -> int:
        return len(self.df)

    def __repr__(self) -> str:
        head = f"<{type(self).__name__} {self.title!r}: {len(self.df)} rows via {self.engine or '?'}>"
        if self.note:
            head += f"\nnote: {self.note}"
        if self.df.empty:
            return head
        return head + "\n" + for_display(self.df.head(HTML_ROWS)).to_string(index=False, max_colwidth=40)

    def _repr_html_(self) -> str:
        parts = [f"<div class='sharekit-analysis'><h4>{html.escape(self.title)}</h4>"]
        if self.note:
            parts.append(f"<p><em>{html.escape(self.note)}</em></p>")
        if not self.df.empty:
            shown = for_display(self.df.head(HTML_ROWS))
            parts.append(shown.to_html(index=False, escape=True, max_cols=16, border=0, na_rep="—"))
            if len(self.df) > HTML_ROWS:
                parts.append(f"<p>… {len(self.df) - HTML_ROWS} more rows (see <code>.df</code>)</p>")
            parts.append(self._svg())
        parts.append("</div>")
        return "".join(parts)

    def _svg(self) -> str:
        """The chart as an SVG image in a data URI: an ``<img>`` survives the sanitiser of untrusted (reopened)
        notebooks, where inline ``<svg>`` markup is stripped down to its text."""
        try:
            import vl_convert as vlc

            svg = str(vlc.vegalite_to_svg(self.chart().to_json()))
        except (ValueError, RuntimeError) as err:  # a chart must never break the table
            log.warning("could not render the chart of %s: %s", self.title, err)
            return ""
        return svg_image(svg, self.title)
