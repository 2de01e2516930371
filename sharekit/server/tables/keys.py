"""The opaque key that names a table in its file URLs (an HMAC of its full name, see ``security.signing``), and
the table folder behind a key."""

from __future__ import annotations

from pathlib import Path

from sharekit.server.security.signing import table_key
from sharekit.server.tables.registry import TableRegistry


class TableKeys:
    """Key -> table folder. Remembered when a table's URLs are signed; after a restart found again in the
    registry. Views are never resolved here (their files live in the view cache)."""

    def __init__(self, secret: bytes, tables: TableRegistry) -> None:
        self.secret = secret
        self.tables = tables
        self._folders: dict[str, Path] = {}

    def key(self, full_name: str) -> str:
        return table_key(self.secret, full_name)

    def remember(self, key: str, folder: Path) -> None:
        self._folders[key] = folder

    def folder(self, key: str) -> Path | None:
        known = self._folders.get(key)
        if known is not None:
            return known
        for entry in self.tables.entries().values():
            if entry.table_type != "VIEW" and self.key(entry.full_name) == key:
                self._folders[key] = entry.path
                return entry.path
        return None
