"""The answers of recent writes, kept so that a retried write whose first answer was lost gets that answer.

A write's answer is stored in the same transaction as the write itself (``Database.transaction``), so a write that
committed always has its answer on disk, also after a kill -9. An answer is looked up only when the retry itself
fails (the object already exists, or is gone), and only while it is *unacknowledged*: once the client sends its
next request on the connection that carried the answer, it evidently read it, and an identical request after that
is a new request (and conflicts as before). Answers older than the window are dropped.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sharekit.server.metastore.schema import Database
from sharekit.server.settings import WRITE_REPLAY_MEMORY, WRITE_REPLAY_WINDOW_S
from sharekit.types import JSONObject


class WriteReplies:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        # connection -> keys of answers sent on it and not known to be read; keys whose answer was read
        self._unread: OrderedDict[Hashable, list[str]] = OrderedDict()
        self._read: OrderedDict[str, None] = OrderedDict()

    def record(self, key: str, answer: JSONObject, connection: Hashable | None, now_ms: int) -> None:
        """Store ``answer`` (call inside the write's own ``transaction()``)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM write_replies WHERE created_at < ?", (now_ms - WRITE_REPLAY_WINDOW_S * 1000,))
            conn.execute("INSERT OR REPLACE INTO write_replies (request_key, response, created_at) VALUES (?, ?, ?)",
                         (key, json.dumps(answer), now_ms))
        with self._lock:
            self._read.pop(key, None)
            if connection is not None:
                self._unread.setdefault(connection, []).append(key)
                _bound(self._unread)

    def resent(self, key: str, connection: Hashable | None) -> None:
        """The stored answer went out again, on ``connection``: the client's next request there acknowledges it."""
        if connection is not None:
            with self._lock:
                self._unread.setdefault(connection, []).append(key)
                _bound(self._unread)

    def acknowledge(self, connection: Hashable | None) -> None:
        """A request arrived on ``connection``: the answers sent on it before were read."""
        if connection is None or connection not in self._unread:
            return
        with self._lock:
            self._read.update(dict.fromkeys(self._unread.pop(connection, ())))
            _bound(self._read)

    def unread_answer(self, key: str, now_ms: int) -> JSONObject | None:
        """The stored answer of an identical write, if its client may never have read it."""
        with self._lock:
            if key in self._read:
                return None
        with self.db._tx(False) as conn:  # a read; the store package owns its transactions
            row = conn.execute("SELECT response FROM write_replies WHERE request_key = ? AND created_at >= ?",
                               (key, now_ms - WRITE_REPLAY_WINDOW_S * 1000)).fetchone()
        if row is None:
            return None
        answer: JSONObject = json.loads(row[0])
        return answer


def _bound(entries: OrderedDict[Any, Any]) -> None:
    """Forget the oldest entries past ``WRITE_REPLAY_MEMORY`` (a forgotten unread answer stays replayable)."""
    while len(entries) > WRITE_REPLAY_MEMORY:
        entries.popitem(last=False)
