"""``sharekit plan | apply | export`` in a subprocess against the embedded server; exit codes for pipelines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sharekit.connect import Workspace
from tests.config.conftest import SAMPLE


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sharekit", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=120, stdin=subprocess.DEVNULL)



def updated_stamps(ws: Workspace) -> list[tuple[str, int | None]]:
    shares = [(s.name, ws.client.shares.get(s.name).updated_at) for s in ws.client.shares.list_shares()]
    return shares + [(r.name, r.updated_at) for r in ws.client.recipients.list()]


def test_plan_apply_export_cycle(ws: Workspace, tmp_path: Path) -> None:
    home = str(ws.home)
    config = tmp_path / "shares.yaml"
    config.write_text(SAMPLE)

    planned = run("plan", str(config), "--home", home, cwd=tmp_path)
    assert planned.returncode == 2, planned.stderr
    assert "8 change(s) in 5 call(s)" in planned.stdout
    assert list(ws.client.shares.list_shares()) == []  # plan changed nothing

    refused = run("apply", str(config), "--home", home, cwd=tmp_path)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert list(ws.client.shares.list_shares()) == []

    applied = run("apply", str(config), "--home", home, "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "applied 8 change(s) in 5 write call(s)" in applied.stdout
    assert "acme_corp: http://127.0.0.1:" in applied.stdout

    assert run("plan", str(config), "--home", home, cwd=tmp_path).returncode == 0
    stamps = updated_stamps(ws)
    again = run("apply", str(config), "--home", home, "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "no changes" in again.stdout and "0 writes" in again.stdout
    assert updated_stamps(ws) == stamps  # the server saw no write either

    exported = tmp_path / "exported.yaml"
    result = run("export", "--home", home, "-o", str(exported), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "partner_analytics_share" in exported.read_text()
    assert run("plan", str(exported), "--home", home, cwd=tmp_path).returncode == 0
    one = run("export", "--home", home, "--share", "partner_analytics_share", cwd=tmp_path)
    assert one.returncode == 0 and "globex_inc" in one.stdout


def test_invalid_file_exits_1_and_names_the_line(ws: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(SAMPLE.replace("    permissions: [SELECT]\n", "    permissions: [MODIFY]\n", 1))
    for args in (("plan",), ("apply", "--yes")):
        result = run(*args, str(config), "--home", str(ws.home), cwd=tmp_path)
        assert result.returncode == 1
        assert "line 22: grants[0].permissions[0]: 'MODIFY' is not allowed here" in result.stderr
        assert "Traceback" not in result.stderr
    assert list(ws.client.shares.list_shares()) == []
    missing = run("plan", str(tmp_path / "nope.yaml"), "--home", str(ws.home), cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    unknown = run("export", "--home", str(ws.home), "--share", "nope", cwd=tmp_path)
    assert unknown.returncode == 1 and "nope" in unknown.stderr and "Traceback" not in unknown.stderr
