"""``sharekit review`` and ``sharekit rotate`` in a subprocess against the embedded server: output, exit codes for
pipelines, the confirmation, and new links that go to the links file and never to stdout."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from databricks.sdk.service import sharing as S

from sharekit.activation import activate
from sharekit.cli.credentials import exit_code
from sharekit.connect import Workspace


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sharekit", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("severities", "fail_on", "code"), [
    ([], "warning", 0), (["info"], "warning", 0), (["info", "warning"], "warning", 2),
    (["warning", "critical"], "warning", 3), (["warning"], "critical", 0), (["critical"], "critical", 3),
    (["critical"], None, 0),
])
def test_exit_codes(severities: list[str], fail_on: str | None, code: int) -> None:
    assert exit_code(severities, fail_on) == code


def test_review_and_a_rotation_campaign_from_the_command_line(ws: Workspace, tmp_path: Path) -> None:
    home = str(ws.home)
    ws.client.recipients.create("forever", authentication_type=S.AuthenticationType.TOKEN)
    activate(ws, "forever", tmp_path / "forever.share")

    table = run("review", "--home", home, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "1 critical, 0 warning, 1 info" in table.stdout and "token_never_expires" in table.stdout
    report = run("review", "--home", home, "--format", "json", "--fail-on", "warning", cwd=tmp_path)
    assert report.returncode == 3, report.stderr
    data = json.loads(report.stdout)
    assert data["counts"] == {"critical": 1, "warning": 0, "info": 1} and data["exit_code"] == 3
    assert {f["finding"] for f in data["findings"]} == {"token_never_expires", "oidc_candidate"}

    ws.client.metastores.update(ws.client.metastores.current().metastore_id or "",
                                delta_sharing_recipient_token_lifetime_in_seconds=90 * 86_400)
    links = tmp_path / "links.jsonl"
    asked = run("rotate", "--never-expires", "--grace", "1d", "--home", home, "--links-file", str(links),
                cwd=tmp_path)
    assert asked.returncode == 1 and "--yes" in asked.stderr and "1 to rotate" in asked.stdout
    assert len(ws.client.recipients.get("forever").tokens or []) == 1 and not links.exists()
    unnotified = run("rotate", "--never-expires", "--home", home, "--yes", cwd=tmp_path)
    assert unnotified.returncode == 1 and "--links-file" in unnotified.stderr

    done = run("rotate", "--never-expires", "--grace", "1d", "--home", home, "--links-file", str(links), "--yes",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "rotated 1 of 1" in done.stdout and "http" not in done.stdout + done.stderr
    notice = json.loads(links.read_text())
    assert notice["recipient"] == "forever" and notice["activation_url"].startswith("http://127.0.0.1:")
    assert stat.S_IMODE(links.stat().st_mode) == 0o600
    again = run("rotate", "--never-expires", "--home", home, "--links-file", str(links), "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "0 to rotate" in again.stdout
    after = run("review", "--home", home, "--fail-on", "critical", cwd=tmp_path)
    assert after.returncode == 0, after.stdout  # the never-expiring token now has a day's grace
