"""Local Delta tables: DIR/tables/<catalog>/<schema>/<table>, plus registered folders elsewhere."""

from __future__ import annotations

from sharekit.server.home import Home


class TableRegistry:
    def __init__(self, home: Home) -> None:
        self.home = home
