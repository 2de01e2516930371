"""A real IPython InteractiveShell with sharekit loaded, pointed at a fresh embedded server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from sharekit import sharing
from sharekit.connect import Workspace


@pytest.fixture(autouse=True)
def _forget_workspace() -> Iterator[None]:
    previous = sharing.use_workspace(None)
    yield
    sharing.use_workspace(previous)


def make_shell(short_errors: bool) -> InteractiveShell:
    config = Config()
    config.HistoryAccessor.enabled = False
    config.ShareMagics.short_errors = short_errors
    shell = InteractiveShell(config=config)
    shell.displayhook.flush = lambda: None  # type: ignore[method-assign]
    shell.run_line_magic("load_ext", "sharekit")
    return shell


def _shell_on(ws: Workspace, *, short_errors: bool) -> Iterator[InteractiveShell]:
    sharing.use_workspace(ws)
    shell = make_shell(short_errors=short_errors)
    yield shell
    shell.cleanup()


@pytest.fixture
def ip(ws: Workspace) -> Iterator[InteractiveShell]:
    """Full exceptions (``short_errors = False``), so a failing magic fails the test."""
    yield from _shell_on(ws, short_errors=False)


@pytest.fixture
def ip_short(ws: Workspace) -> Iterator[InteractiveShell]:
    """The notebook default: one-line UsageErrors."""
    yield from _shell_on(ws, short_errors=True)
