"""How results look in a notebook and a terminal: one colour palette, status lines, result tables, the
plan/apply view, the recipient views and the share view. Every object has a readable ``__repr__`` and an escaped
``_repr_html_``; none displays itself (the notebook shows what a cell returns)."""

from __future__ import annotations

from sharekit.display.plan import ShareResult, plan_html
from sharekit.display.recipients import recipient_card, recipient_table
from sharekit.display.shares import share_card
from sharekit.display.status import Status, show_status
from sharekit.display.table import ResultTable, message, when

__all__ = ["ResultTable", "ShareResult", "Status", "message", "plan_html", "recipient_card",
           "recipient_table", "share_card", "show_status", "when"]
