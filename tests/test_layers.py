"""The layer rules hold (import-linter, the contracts in pyproject.toml), a broken rule is caught, and every import
of a sharekit module placed inside a function says why."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-logo", "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_hold() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_broken_layer_is_reported(tmp_path: Path) -> None:
    """Negative control: the same contracts on a copy of the package in which the server imports the config
    engine, and the store imports the app."""
    shutil.copytree(ROOT / "sharekit", tmp_path / "sharekit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    home = tmp_path / "sharekit" / "server" / "home.py"
    home.write_text(home.read_text() + "\nfrom sharekit.config import model as _model  # noqa\n")
    store = next((tmp_path / "sharekit" / "server" / "metastore").glob("store.py"))
    store.write_text(store.read_text() + "\nfrom sharekit.server import app as _app  # noqa\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert "The server imports nothing of the client side BROKEN" in done.stdout
    assert "Inside the server: app, then areas, then services, then the base BROKEN" in done.stdout


def _inner_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a sharekit module inside a function."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and (inner.module or "").startswith("sharekit"):
                found.append((inner.lineno, inner.module or ""))
            elif isinstance(inner, ast.Import):
                found += [(inner.lineno, a.name) for a in inner.names if a.name.startswith("sharekit")]
            elif isinstance(inner, ast.Call) and getattr(inner.func, "attr", getattr(inner.func, "id", "")) \
                    == "import_module":
                found.append((inner.lineno, "importlib.import_module"))
    return found


def _says_why(lines: list[str], line: int) -> bool:
    """A comment on the import's line or on one of the two lines above it."""
    return any("#" in text for text in lines[max(0, line - 3):line])


def test_imports_inside_functions_say_why() -> None:
    silent = []
    for path in sorted((ROOT / "sharekit").rglob("*.py")):
        lines = path.read_text().splitlines()
        silent += [f"{path.relative_to(ROOT)}:{line} {module}" for line, module in _inner_imports(path)
                   if not _says_why(lines, line)]
    assert not silent, "import at the top of the module, or say in a comment why it must wait: " + ", ".join(silent)


def test_the_import_check_can_fail(tmp_path: Path) -> None:
    """Negative control for the check above."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    x = 1\n\n    from sharekit import names\n    return names\n")
    lines = sample.read_text().splitlines()
    assert [(line, module) for line, module in _inner_imports(sample) if not _says_why(lines, line)] == \
        [(4, "sharekit")]
