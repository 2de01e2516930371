from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.harness import chromium_path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots are kept here (git-ignored) so a failing CI run can be looked at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if chromium_path() is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
