"""The ``connect`` extra installs a databricks-connect on every Python sharekit supports (issue 16), each the line
whose Databricks Runtime runs that Python, and the README names those lines; ``notebook`` 7 is in the dev extra
(the browser tests run the forms in it).

The lines were checked against the registry's metadata: databricks-connect 14.3.23, 15.4.26 and 16.1.7 are
``py2.py3-none-any`` wheels with ``Requires-Python >=3.10`` and resolve together with sharekit's dependencies on
3.10, 3.11 and 3.12 (``pip install --dry-run --python-version``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LINES = {"3.10": "14.3", "3.11": "15.4", "3.12": "16.1"}


def connect_requirements(python: str) -> list[Requirement]:
    found = [Requirement(line) for line in PROJECT["optional-dependencies"]["connect"]]
    env = {"python_version": python, "python_full_version": f"{python}.0"}
    return [r for r in found if r.name == "databricks-connect" and (r.marker is None or r.marker.evaluate(env))]


@pytest.mark.parametrize("python", sorted(LINES))
def test_connect_extra_installs_databricks_connect_on_each_python(python: str) -> None:
    assert PROJECT["requires-python"] == ">=3.10"
    chosen = connect_requirements(python)
    assert len(chosen) == 1, f"Python {python}: {chosen}"
    line = Version(LINES[python] + ".0")
    assert chosen[0].specifier.contains(line) and chosen[0].specifier.contains(Version(LINES[python] + ".99"))
    readme = (ROOT / "README.md").read_text()
    assert f"Python {python} → {LINES[python]}.x" in readme or f"{python} → {LINES[python]}.x" in readme


def test_notebook7_is_in_the_dev_extra() -> None:
    notebook = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"] if r.startswith("notebook")]
    assert notebook and notebook[0].specifier.contains(Version("7.6.0"))
    assert not notebook[0].specifier.contains(Version("6.5.0"))
