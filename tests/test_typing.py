"""mypy --strict on the typed core: the server, connect(), the notebook session, the recipient operations and the
public sharing facade (see pyproject)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_server_connect_and_sharing_pass_mypy_strict(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"),
         "sharekit/server", "sharekit/connect.py", "sharekit/session.py", "sharekit/recipients.py",
         "sharekit/sharing.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:]
