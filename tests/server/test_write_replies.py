"""The store side of retried writes: one transaction around several store calls (a failed call undoes only its
own part, a failure out of the transaction undoes all), and the kept answers (window, acknowledgement, restart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharekit.server.errors import Conflict
from sharekit.server.metastore.replies import WriteReplies
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.settings import WRITE_REPLAY_WINDOW_S


@pytest.fixture
def store(tmp_path: Path) -> MetastoreStore:
    return MetastoreStore(tmp_path / "catalog.db", secret=b"s" * 32)


def names(store: MetastoreStore) -> list[str]:
    return [s.name for s in store.list_shares().items]


def test_a_transaction_commits_its_calls_together(store: MetastoreStore) -> None:
    with store.transaction():
        store.create_share("a", user="u")
        with pytest.raises(Conflict):
            store.create_share("a", user="u")  # undone on its own; the transaction goes on
        store.create_share("b", user="u")
    assert names(store) == ["a", "b"]
    with pytest.raises(RuntimeError), store.transaction():
        store.create_share("c", user="u")
        raise RuntimeError("the answer could not be stored")
    assert names(store) == ["a", "b"]  # nothing of a failed transaction remains


def test_answers_are_kept_until_read_and_for_the_window_only(store: MetastoreStore, tmp_path: Path) -> None:
    replies = WriteReplies(store)
    now = 1_000_000_000_000
    with store.transaction():
        replies.record("k1", {"name": "a"}, ("127.0.0.1", 5000), now)
        replies.record("k2", {"name": "b"}, ("127.0.0.1", 5001), now)
    assert replies.unread_answer("k1", now) == {"name": "a"}
    replies.acknowledge(("127.0.0.1", 5000))  # the next request on that connection: the answer was read
    assert replies.unread_answer("k1", now) is None
    assert replies.unread_answer("k2", now + WRITE_REPLAY_WINDOW_S * 1000) == {"name": "b"}
    assert replies.unread_answer("k2", now + WRITE_REPLAY_WINDOW_S * 1000 + 1) is None  # too old
    store.close()
    reopened = WriteReplies(MetastoreStore(tmp_path / "catalog.db", secret=b"s" * 32))
    assert reopened.unread_answer("k2", now) == {"name": "b"}  # on disk: a restart keeps it
