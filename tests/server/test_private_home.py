"""A private home (issue 16): on a shared machine no other local user may read the shared data, the catalog or
who read what. After a full run (server, demo tables, apply, activation, reads, change feed, a shared view,
analytics) every path under the home is its owner's only; an existing, open home is tightened on start."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import delta_sharing
import pytest

from sharekit.activation import activate
from sharekit.analytics import SharingAnalytics
from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.connect import connect_local

DOCUMENT = """\
shares:
  - name: private_home_share
    tables:
      - main.sales.orders
      - name: main.inventory.stock_levels
        history: {cdf: true}
recipients:
  - name: private_home_reader
    authentication_type: TOKEN
grants:
  - share: private_home_share
    recipient: private_home_reader
"""


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """What most machines have (0644 files, 0755 folders): without the server's own umask the home would be open."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def open_paths(root: Path) -> list[str]:
    """Every folder and file under ``root`` (and ``root``) that its group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
            found.append(f"{oct(stat.S_IMODE(mode))} {path.relative_to(root)}")
    return found


def test_every_path_is_owner_only_after_a_full_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with connect_local(home, demo=True) as ws:
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        result = apply(ws, loads(DOCUMENT), pii=False)
        assert result.ok, result.summary()
        profile = activate(ws, "private_home_reader", tmp_path / "reader.share")
        assert stat.S_IMODE(profile.stat().st_mode) == 0o600
        url = f"{profile}#private_home_share.sales.orders"
        assert len(delta_sharing.load_as_pandas(url)) == 2000
        assert len(delta_sharing.load_as_pandas(url, use_delta_format=True)) == 2000
        changes = delta_sharing.load_table_changes_as_pandas(f"{profile}#private_home_share.inventory.stock_levels",
                                                             starting_version=0)
        assert len(changes) > 0
        ws.client.statement_execution.execute_statement(
            "CREATE VIEW main.sales.private_view AS SELECT order_id, region FROM main.sales.orders",
            warehouse_id=ws.warehouse_id, wait_timeout="30s")
        ws.client.shares.update("private_home_share", updates=[_add_view("main.sales.private_view")])
        assert len(delta_sharing.load_as_pandas(f"{profile}#private_home_share.sales.private_view")) == 2000
        assert len(SharingAnalytics(ws).most_accessed_tables().df) > 0
        kinds = {p.name for p in home.iterdir()}
        assert {"catalog.db", "audit", "tables", "cache", "server.log"} <= kinds
        assert any((home / "cache").rglob("*.parquet")), "the change feed and the view were materialised"
        assert open_paths(home) == []
    assert open_paths(home) == []  # and after shutdown (the audit log's last roll, the store's checkpoint)


def _add_view(name: str) -> object:
    from databricks.sdk.service import sharing as S

    return S.SharedDataObjectUpdate(action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(
        name=name, data_object_type=S.SharedDataObjectDataObjectType.VIEW))


def test_an_open_home_is_tightened_on_start_with_a_line_in_the_log(tmp_path: Path,
                                                                    demo_tables_template: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_tables_template, home / "tables")  # copied by hand: 0755 folders, 0644 files
    (home / "notes.txt").write_text("left by an older version")
    os.chmod(home, 0o755)
    link = home / "elsewhere"
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours to change")
    link.symlink_to(outside)
    assert open_paths(home)
    with connect_local(home):
        assert open_paths(home) == []
        assert "took group and other access off" in (home / "server.log").read_text()
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a link is not followed out of the home
