"""Shared fixtures: a real embedded server on loopback, driven by the real databricks-sdk.

Area fixtures live in each area's own ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sharekit.connect import Workspace, connect_local


@pytest.fixture(scope="session")
def demo_tables_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tables, written once per session and copied into each fresh home."""
    from sharekit.demo.tables import create_demo_tables

    root = tmp_path_factory.mktemp("demo-template")
    create_demo_tables(root / "tables")
    return root / "tables"


def make_home(base: Path, demo_tables_template: Path | None) -> Path:
    home = base / "home"
    home.mkdir()
    if demo_tables_template is not None:
        shutil.copytree(demo_tables_template, home / "tables")
    return home


@contextmanager
def running_workspace(base: Path, demo_tables_template: Path | None,
                      prepare: Callable[[Path], Any] | None = None) -> Iterator[Workspace]:
    """A real server process on a fresh home under ``base`` (``prepare`` gets its tables folder first)."""
    home = make_home(base, demo_tables_template)
    if prepare is not None:
        prepare(home / "tables")
    with connect_local(home) as workspace:
        yield workspace


@pytest.fixture
def home(tmp_path: Path, demo_tables_template: Path) -> Path:
    """A fresh server home with the demo tables in it."""
    return make_home(tmp_path, demo_tables_template)


@pytest.fixture
def ws(home: Path) -> Iterator[Workspace]:
    """A fresh embedded server (own process, own home with the demo tables) and a WorkspaceClient on it."""
    with connect_local(home) as workspace:
        yield workspace


@pytest.fixture(scope="session")
def shared_ws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    """One server for the whole session: for read-mostly tests that clean up what they create."""
    with running_workspace(tmp_path_factory.mktemp("shared"), demo_tables_template) as workspace:
        yield workspace
