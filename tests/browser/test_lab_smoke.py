"""The browser harness itself: a widget renders, takes input and answers a click in real JupyterLab."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.browser.harness import chromium_page, jupyter_lab, run_all_cells

pytestmark = pytest.mark.browser

CELLS = [
    ("import ipywidgets as w\n"
     "name = w.Text(description='Recipient')\n"
     "button = w.Button(description='Add recipient')\n"
     "out = w.Output()\n"
     "button.on_click(lambda _: out.append_stdout(f'added {name.value}'))\n"
     "w.VBox([name, button, out])"),
]


def write_notebook(path: Path, sources: list[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def _drive(tmp_path: Path, artifacts: Path, disabled: tuple[str, ...], widget_timeout_ms: int) -> None:
    write_notebook(tmp_path / "smoke.ipynb", CELLS)
    with jupyter_lab(tmp_path, tmp_path / ".jupyter", disabled_extensions=disabled) as lab, \
            chromium_page(tmp_path / ".chromium") as page:
        run_all_cells(page, lab.notebook_url("smoke.ipynb"))
        page.wait_for_selector(".jp-OutputArea-output .widget-text input", timeout=widget_timeout_ms)
        page.fill(".jp-OutputArea-output .widget-text input", "ann@example.org")
        page.click("button.jupyter-button:has-text('Add recipient')")
        page.wait_for_selector(".widget-output:has-text('added ann@example.org')", timeout=30_000)
        page.screenshot(path=str(artifacts / "lab_smoke.png"))


def test_widget_renders_and_answers_a_click(tmp_path: Path, artifacts_dir: Path) -> None:
    _drive(tmp_path, artifacts_dir, (), 30_000)


def test_missing_widget_manager_is_detected(tmp_path: Path, artifacts_dir: Path) -> None:
    """Negative control: without the widget manager only the text repr shows, and the check fails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with pytest.raises(PlaywrightTimeout):
        _drive(tmp_path, artifacts_dir, ("@jupyter-widgets/jupyterlab-manager",), 8_000)
