from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import sharekit
from sharekit.connect import Workspace, connect_local


def test_connect_local_starts_and_reuses_one_server(home: Path) -> None:
    with sharekit.connect("local", home=home, quiet=True) as first:
        assert first.kind == "local" and first.started_server
        info = json.loads((home / "server.json").read_text())
        assert info["url"] == first.host and info["pid"] > 0 and info["started_at"] > 0
        second = sharekit.connect("local", home=home, quiet=True)
        assert not second.started_server and second.host == first.host
        assert second.client.current_user.me().user_name == first.client.current_user.me().user_name
        assert "local" in repr(first) and first.host in repr(first)
    assert not (home / "server.json").exists(), "a clean exit removes server.json"


def test_server_binds_loopback_and_keeps_secrets_private(ws: Workspace) -> None:
    assert ws.host.startswith("http://127.0.0.1:")
    assert ws.home is not None
    for name in ("admin.token", "server.secret"):
        mode = stat.S_IMODE(os.stat(ws.home / name).st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


def test_wrong_admin_token_is_unauthenticated(ws: Workspace) -> None:
    from databricks.sdk.errors import Unauthenticated

    bad = sharekit.connect.__globals__["local_client"](ws.host, "dapi-wrong")
    with pytest.raises(Unauthenticated):
        bad.current_user.me()


def test_demo_flag_creates_demo_catalog(tmp_path: Path) -> None:
    with sharekit.connect("local", home=tmp_path / "h", demo=True, quiet=True) as workspace:
        assert (tmp_path / "h" / "tables" / "main" / "sales" / "orders" / "_delta_log").is_dir()
        assert workspace.started_server


def test_connect_rejects_unknown_target() -> None:
    with pytest.raises(ValueError, match="target"):
        sharekit.connect("elsewhere")


def test_restart_reuses_home(home: Path) -> None:
    with connect_local(home) as first:
        url = first.host
    with connect_local(home) as second:
        assert second.started_server and second.host != "" and url != ""


def test_register_table_cli_serves_an_outside_folder(ws: Workspace, tmp_path: Path) -> None:
    import subprocess
    import sys

    import pyarrow as pa
    from deltalake import write_deltalake

    folder = tmp_path / "invoices"
    write_deltalake(str(folder), pa.table({"id": [1, 2, 3], "total": [9.5, 3.0, 7.25]}))
    assert ws.home is not None
    done = subprocess.run([sys.executable, "-m", "sharekit", "register-table", "main.finance.invoices", str(folder),
                           "--home", str(ws.home)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    table = ws.client.tables.get("main.finance.invoices")
    assert [c.name for c in table.columns or []] == ["id", "total"]
    again = subprocess.run([sys.executable, "-m", "sharekit", "register-table", "main.finance.invoices",
                            str(tmp_path / "missing"), "--home", str(ws.home)], capture_output=True, text=True, timeout=120,
                           check=False)
    assert again.returncode == 1 and "cannot register" in again.stderr
