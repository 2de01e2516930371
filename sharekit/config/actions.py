"""The units of a plan: an ``Action`` (one change, as shown) and a ``Step`` (one write call carrying actions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SYMBOLS = {"create": "+", "add": "+", "grant": "+", "update": "~", "replace": "±", "delete": "-", "remove": "-",
           "revoke": "-"}


@dataclass(frozen=True)
class Action:
    """One change, e.g. ``add object main.sales.orders to share s`` or ``grant SELECT on s to acme``."""

    op: str  # create | update | replace | delete | add | remove | grant | revoke
    kind: str  # view | share | object | recipient | permission
    target: str  # the view, share or recipient
    item: str = ""  # the object (for object actions) or the recipient (for permission actions)
    detail: str = ""

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.op, "?")

    def __str__(self) -> str:
        what = f"{self.kind} {self.target}" + (f" / {self.item}" if self.item else "")
        return f"{self.symbol} {self.op} {what}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Step:
    """One write call: ``api.method(**kwargs)`` (``sql.execute`` runs a statement), carrying ``actions``."""

    api: str
    method: str
    kwargs: dict[str, Any]
    actions: list[Action]

    @property
    def call(self) -> str:
        return f"{self.api}.{self.method}"
