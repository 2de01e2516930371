"""The import path the tutorials use (``from sharekit.results import ShareResult``); the views live in
``sharekit.display``."""

from __future__ import annotations

from sharekit.display import ResultTable, ShareResult, message, recipient_card, recipient_table, when

__all__ = ["ResultTable", "ShareResult", "message", "recipient_card", "recipient_table", "when"]
