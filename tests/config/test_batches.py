"""Share updates are cut by size as well as count: a 100-object update whose objects carry long non-ASCII
comments (sent as ``\\uXXXX`` escapes, 6 or 12 bytes a character) goes out in several calls, each under the
server's 1 MiB body limit, and applies completely (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sharekit.config import calls
from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.config.model import MAX_TEXT_LENGTH
from sharekit.connect import Workspace
from sharekit.server import settings
from tests.config.conftest import HttpLog, attach_log
from tests.conftest import running_workspace

TABLES = 100
COMMENT = ("Grüße 𝄞 €—" * 500)[:MAX_TEXT_LENGTH].strip()  # the longest comment a document may carry


def _tables(folder: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    data = pa.table({"id": pa.array([1], pa.int64())})
    for index in range(TABLES):
        write_deltalake(str(folder / "big" / "s" / f"t{index:03d}"), data)


@pytest.fixture(scope="module")
def wide_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with running_workspace(tmp_path_factory.mktemp("batches"), None, prepare=_tables) as workspace:
        yield workspace


def document(share: str) -> str:
    lines = [f"shares:\n  - name: {share}\n    tables:"]
    lines += [f"      - {{name: big.s.t{i:03d}, comment: '{COMMENT}'}}" for i in range(TABLES)]
    return "\n".join(lines) + "\n"


def test_the_limit_is_the_servers() -> None:
    assert calls.REQUEST_BODY_LIMIT == settings.MAX_BODY_BYTES


def test_a_100_object_update_with_long_non_ascii_comments_is_cut_by_size(wide_ws: Workspace) -> None:
    http: HttpLog = attach_log(wide_ws)
    result = apply(wide_ws, loads(document("wide")), pii=False)
    assert result.ok, result.summary()
    updates = [s for s in result.plan.steps if s.call == "shares.update"]
    assert len(updates) > 1 and sum(len(s.kwargs["updates"]) for s in updates) == TABLES
    sizes = [calls.body_size({"name": "wide", "updates": [u.as_dict() for u in s.kwargs["updates"]]})
             for s in updates]
    assert max(sizes) <= settings.MAX_BODY_BYTES and sum(sizes) > settings.MAX_BODY_BYTES
    assert [status for method, _, status in http.writes] == [200] * (1 + len(updates))
    objects = wide_ws.client.shares.get("wide", include_shared_data=True).objects or []
    assert len(objects) == TABLES and {o.comment for o in objects} == {COMMENT}
    assert apply(wide_ws, loads(document("wide")), pii=False).writes == 0


def test_cut_by_count_only_the_server_refuses(wide_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the size cut prevents: one 100-object body over the limit, refused with 413."""
    monkeypatch.setattr(calls, "REQUEST_BODY_LIMIT", 1 << 30)
    monkeypatch.setattr(calls.cut_batches, "__defaults__", (calls.MAX_UPDATES_PER_CALL, 1 << 30))
    result = apply(wide_ws, loads(document("refused")), pii=False)
    assert not result.ok and result.failure is not None
    assert result.failure.step.call == "shares.update" and "1048576" in result.failure.message
