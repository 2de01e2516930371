"""Looking at one share: ``show_share(workspace, name)`` returns the share view (its objects with type, alias,
history and status; PERMISSION_DENIED objects as warnings)."""

from __future__ import annotations

from sharekit.connect import WorkspaceLike, client_of
from sharekit.display.shares import share_card
from sharekit.display.table import ResultTable

__all__ = ["show_share"]


def show_share(workspace: WorkspaceLike, name: str) -> ResultTable:
    return share_card(client_of(workspace).shares.get(name, include_shared_data=True))
