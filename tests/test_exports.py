"""The public surface: explicit, sorted ``__all__`` lists that resolve, and a light ``%load_ext sharekit``."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["sharekit", "sharekit.config", "sharekit.widgets", "sharekit.analytics"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported), f"{name}.__all__ is not sorted"
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.{attribute} is listed but missing"


def test_config_functions_stay_functions_after_their_modules_are_imported() -> None:
    importlib.import_module("sharekit.config.apply")
    importlib.import_module("sharekit.config.export")
    from sharekit.config import apply, export

    assert callable(apply) and callable(export)
    assert apply.__module__ == "sharekit.config.apply" and export.__module__ == "sharekit.config.export"


def test_loading_the_extension_imports_no_heavy_library() -> None:
    code = ("import sys\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "from traitlets.config import Config\n"
            "c = Config(); c.HistoryAccessor.enabled = False\n"
            "shell = InteractiveShell(config=c)\n"
            "shell.run_line_magic('load_ext', 'sharekit')\n"
            "heavy = ('duckdb', 'deltalake', 'pyarrow', 'altair', 'pandas', 'pydantic', 'sharekit.config')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('sharekit.config')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"heavy imports on %load_ext: {done.stdout.strip()}"
