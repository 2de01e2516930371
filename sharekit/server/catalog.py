"""The catalog store (SQLite): shares, shared objects, recipients, tokens, grants. All SQL lives here."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sharekit.types import Clock


class CatalogStore:
    def __init__(self, path: Path, *, clock: Clock = time.time, secret: bytes = b"") -> None:
        self.path = path
        self.clock = clock
        self.secret = secret
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self._conn.close()
