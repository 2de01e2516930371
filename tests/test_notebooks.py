"""Every tutorial notebook runs top to bottom in a fresh kernel of this environment, without any error.

nbval (``make test`` runs it in strict mode too) compares outputs but does not see a magic's ``UsageError``: IPython
prints it on stderr and sends no error message. This test executes each notebook with nbclient, which fails on
any error reply, and also fails on anything a cell wrote to stderr (a ``UsageError``, a warning, a traceback).

``SHAREKIT_SAVE_NOTEBOOKS=1`` (``make notebooks``) writes the executed notebooks back, so the stored outputs that
nbval compares are refreshed from a real run.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 180
BUDGET_S = 60.0  # each tutorial must run in under a minute on the embedded server


def _kernel_manager(tmp_path: Path) -> Any:
    """A kernel running this very interpreter (as nbval's --nbval-current-env does), whatever kernelspecs the
    machine has installed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = tmp_path / "kernels" / "sharekit-current"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "sharekit (current env)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return AsyncKernelManager(kernel_name="sharekit-current", kernel_spec_manager=specs)


def execute(path: Path, tmp_path: Path) -> tuple[Any, float]:
    import nbformat
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    km = _kernel_manager(tmp_path)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, km=km, record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.monotonic()
    try:  # the notebooks' temporary homes go under tmp_path, so a failed run's server can be found and stopped
        client.execute(env={**os.environ, "TMPDIR": str(tmp_path)})
    finally:
        if km.has_kernel:  # nbclient leaves a kernel it was given running
            run_sync(km.shutdown_kernel)(now=False)
        stop_leftover_servers(tmp_path)
    return notebook, time.monotonic() - started


def stop_leftover_servers(root: Path) -> list[int]:
    """Stop embedded servers that a notebook under ``root`` started and did not close (a failed cell)."""
    import psutil

    stopped = []
    for info_file in root.rglob("server.json"):
        try:
            process = psutil.Process(int(json.loads(info_file.read_text())["pid"]))
            if "sharekit" not in " ".join(process.cmdline()):
                continue  # a stale file whose pid now belongs to something else
            process.terminate()
            process.wait(timeout=15)
        except (OSError, ValueError, KeyError, psutil.Error):
            continue
        stopped.append(process.pid)
    return stopped


def stderr_outputs(notebook: Any) -> list[str]:
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: {output.get('text', '')[:500]}")
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return found


def test_there_are_six_tutorials() -> None:
    assert [p.name.split("_")[0] for p in PATHS] == ["01", "02", "03", "04", "05", "06"], PATHS


STORED_TEMP_ROOT = "/path/to"  # what a run's temporary folder reads as in stored outputs (sanitized by nbval)


# An activation link's token (…/retrieve_config.html?<token>) as nbval's sanitizer reads it; stored outputs hold
# the placeholder, never a real link, even of a throwaway server.
ACTIVATION_TOKEN = re.compile(r"retrieve_config\.html\?[A-Za-z0-9_\-]+")
STORED_ACTIVATION = "retrieve_config.html?TOKEN"


def without_machine_paths(text: str, temp_root: Path) -> str:
    """The notebook's JSON with this run's temporary folder and activation tokens replaced: committed outputs
    name no local path and carry no activation link."""
    return ACTIVATION_TOKEN.sub(STORED_ACTIVATION, text.replace(str(temp_root), STORED_TEMP_ROOT))


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_without_errors(path: Path, tmp_path: Path) -> None:
    import nbformat

    notebook, seconds = execute(path, tmp_path)  # raises CellExecutionError on an error reply (UsageError too)
    problems = stderr_outputs(notebook)
    assert not problems, "\n".join(problems)
    print(f"{path.name}: {seconds:.1f} s")
    if os.environ.get("SHAREKIT_SAVE_NOTEBOOKS") == "1":
        path.write_text(without_machine_paths(nbformat.writes(notebook), tmp_path) + "\n", encoding="utf-8")
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s (budget {BUDGET_S:.0f} s)"


def test_a_failing_magic_fails_the_run(tmp_path: Path) -> None:
    """Negative control: a notebook whose magic raises a UsageError (a bad flag) must not pass."""
    import nbformat
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_code_cell, new_notebook

    bad = new_notebook(cells=[new_code_cell("%load_ext sharekit"), new_code_cell("%recipient list --bogus")])
    path = tmp_path / "bad.ipynb"
    nbformat.write(bad, path)
    with pytest.raises(CellExecutionError) as caught:
        execute(path, tmp_path)
    assert "UsageError" in str(caught.value)


def test_stderr_is_caught(tmp_path: Path) -> None:
    """Negative control for the stderr check: a cell that only prints a UsageError line is reported."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    quiet = new_notebook(cells=[new_code_cell("import sys; print('UsageError: oops', file=sys.stderr)")])
    path = tmp_path / "quiet.ipynb"
    nbformat.write(quiet, path)
    notebook, _ = execute(path, tmp_path)
    assert stderr_outputs(notebook) == ["cell 0: UsageError: oops\n"]


def test_stored_outputs_name_no_local_temporary_path() -> None:
    """Last in this file, so that under SHAREKIT_SAVE_NOTEBOOKS it checks the notebooks just written."""
    for path in PATHS:
        text = path.read_text(encoding="utf-8")
        assert "pytest-of-" not in text and "/tmp/" not in text, f"{path.name} names a local temporary path"
        links = {m for m in ACTIVATION_TOKEN.findall(text) if m != STORED_ACTIVATION}
        assert not links, f"{path.name} stores activation links: {sorted(links)[:3]}"
