"""``sharekit register-*``: each registers through the admin API, says so when it has to start the embedded server,
and leaves no server running after it exits (issue 16: no surprise daemons); a running server is reused, kept."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from databricks.sdk.service import catalog

from sharekit.connect import Workspace, connect_local


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sharekit", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not a running server
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def gone(home: Path, said: str) -> bool:
    """No server is left: the one the command announced answers no more, and ``home`` records none alive."""
    import httpx

    url = re.search(r"server at (http://\S+) ", said)
    assert url, said
    try:
        httpx.get(url.group(1) + "/sharekit/health", timeout=2)
    except httpx.HTTPError:
        pass
    else:
        return False
    info = home / "server.json"
    pid = json.loads(info.read_text())["pid"] if info.exists() else None
    deadline = time.monotonic() + 10
    while pid is not None and alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pid is None or not alive(pid)


def test_register_commands_leave_no_server_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = tmp_path / "files"
    files.mkdir()
    done = run("register-volume", "main.raw.landing", str(files), "--home", str(home), "--comment", "raw")
    assert done.returncode == 0, done.stderr
    assert "started the embedded server" in done.stderr and "stops when the command ends" in done.stderr
    assert "registered volume main.raw.landing" in done.stdout
    assert gone(home, done.stderr), "register-volume left its server running"
    for args in (["register-model", "main.raw.churn"],
                 ["register-function", "main.raw.twice", "--definition", "x * 2", "--returns", "INT",
                  "--param", "x:INT"],
                 ["register-function", "main.raw.features", "--feature-spec"]):
        done = run(*args, "--home", str(home))
        assert done.returncode == 0, done.stderr
        assert gone(home, done.stderr), f"{args[0]} left its server running"
    with connect_local(home) as workspace:  # the registrations were kept in the home
        assert [v.full_name for v in workspace.client.volumes.list("main", "raw")] == ["main.raw.landing"]
        assert {f.name for f in workspace.client.functions.list("main", "raw")} == {"twice", "features"}
        assert workspace.client.registered_models.get("main.raw.churn").full_name == "main.raw.churn"


def test_register_reuses_a_running_server_and_leaves_it_running(ws: Workspace, tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    assert ws.home is not None
    folder = tmp_path / "mv"
    write_deltalake(str(folder), pa.table({"id": [1, 2]}))
    done = run("register-table", "main.finance.daily_mv", str(folder), "--type", "materialized_view",
               "--home", str(ws.home))
    assert done.returncode == 0, done.stderr
    assert "started" not in done.stderr, "a running server is reused silently"
    assert ws.client.tables.get("main.finance.daily_mv").table_type == catalog.TableType.MATERIALIZED_VIEW
    assert ws.client.current_user.me().user_name, "the notebook's server keeps running"
    bad = run("register-volume", "main.raw.nothing", str(tmp_path / "missing"), "--home", str(ws.home))
    assert bad.returncode == 1 and "cannot register main.raw.nothing" in bad.stderr and "not a folder" in bad.stderr


def test_plan_on_an_idle_home_says_it_starts_the_server_and_stops_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    document = tmp_path / "shares.yaml"
    document.write_text("shares:\n  - name: nothing_yet\n")
    done = run("plan", str(document), "--home", str(home))
    assert done.returncode == 2, done.stderr
    assert "started the embedded server" in done.stderr
    assert gone(home, done.stderr), "sharekit plan left its server running"
