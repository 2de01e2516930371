"""The plan/apply view: what ``%%share``, ``sharekit plan|apply`` and the share form show of a plan."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sharekit.display.table import ResultTable

if TYPE_CHECKING:
    from sharekit.config.apply import ApplyResult
    from sharekit.config.plan import Plan


class ShareResult(ResultTable):
    """The outcome of ``%%share``: the plan as a table with each action's status, and new activation links."""

    def __init__(self, result: ApplyResult) -> None:
        self.result = result
        rows = [[a.symbol, a.op, a.kind, a.target, a.item, a.detail, result.status_of(a)] for a in result.plan.actions]
        level = "info" if (result.ok or result.dry_run) else "error"
        notes = []
        if result.dry_run and result.plan.has_changes:
            notes.append("dry run: nothing was changed (apply the same document to make these changes)")
        notes += [f"WARNING: {n}" for n in result.plan.notices]  # removals of non-tables, PERMISSION_DENIED, …
        notes += [f"PII warning: {w} (review it; --strict refuses such plans)" for w in result.plan.warnings]
        notes += [f"PII check: {n}" for n in getattr(result.plan, "pii_notes", [])]
        if (result.plan.warnings or result.plan.notices) and level == "info":
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


def plan_html(plan: Plan, result: ApplyResult | None = None) -> str:
    """The plan's actions, one a line, with their outcome once applied (the share form's plan box)."""
    if not plan.actions:
        return "<pre>no changes: the workspace matches the form</pre>"
    lines = []
    for action in plan.actions:
        status = f"  [{result.status_of(action)}]" if result is not None else ""
        lines.append(html.escape(f"{action}{status}"))
    return "<pre class='sharekit-plan-lines'>" + "\n".join(lines) + "</pre>"
