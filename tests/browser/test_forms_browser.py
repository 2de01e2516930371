"""The forms and the dashboard in real JupyterLab, Notebook 7 and Voila + Chromium, against a fresh embedded server.

The notebook (written at test time) connects to the server this test started (its home is passed to the lab
process in SHAREKIT_HOME), shows RecipientForm, AccessForm and UsageDashboard; the browser fills the recipient
form, creates it, sees the activation link, ticks a grant in the access grid, applies it and sees the dashboard's
chart. The grant is then checked through the SDK. Without the widget manager the check fails (negative control).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from sharekit.connect import Workspace, connect_local
from tests.browser.harness import cell_errors, chromium_page, jupyter_lab, run_all_cells, voila_app

pytestmark = pytest.mark.browser

SHARE = "browser_share"
RECIPIENT = "browser_acme"
SETUP = """\
import os
import sharekit
from sharekit.widgets import AccessForm, RecipientForm, UsageDashboard
ws = sharekit.connect(home=os.environ["SHAREKIT_HOME"], quiet=True)
ws"""
CELLS = [SETUP, "RecipientForm(ws)", "AccessForm(ws)", "UsageDashboard(ws)"]


def write_notebook(path: Path, sources: list[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def server(home: Path) -> Iterator[Workspace]:
    """A fresh embedded server with a share to grant on and a generated audit history."""
    from sharekit.demo.audit_history import write_audit_history

    write_audit_history(home, events=20_000, days=21, seed=7)
    workspace = connect_local(home)
    try:
        workspace.client.shares.create(SHARE, comment="granted from the browser")
        yield workspace
    finally:
        workspace.close()


def _grants(ws: Workspace, share: str) -> set[str]:
    response = ws.client.shares.share_permissions(share)
    return {a.principal for a in response.privilege_assignments or [] if a.principal}


def _drive(page: Any, artifacts: Path, widget_timeout_ms: int, prefix: str = "forms") -> None:
    recipient_form = page.locator(".sharekit-recipient-form")
    recipient_form.wait_for(timeout=widget_timeout_ms)
    page.screenshot(path=str(artifacts / f"{prefix}_loaded.png"), full_page=True)
    recipient_form.locator(".sharekit-recipient-name input").fill(RECIPIENT)
    create = recipient_form.locator("button.sharekit-create")
    page.wait_for_function("el => !el.disabled", arg=create.element_handle(), timeout=10_000)
    create.click()
    link = recipient_form.locator(".sharekit-activation a")
    link.wait_for(timeout=30_000)
    assert "retrieve_config" in (link.get_attribute("href") or "")
    page.screenshot(path=str(artifacts / f"{prefix}_recipient_created.png"), full_page=True)

    access = page.locator(".sharekit-access-form")
    access.locator("button:has-text('Refresh')").click()
    cell = access.locator(f".sharekit-grant input[title='{SHARE} → {RECIPIENT}']")
    cell.wait_for(timeout=30_000)
    cell.check()
    access.locator(".sharekit-pending:has-text('grant')").wait_for(timeout=10_000)
    access.locator("button.sharekit-apply").click()
    access.locator(".sharekit-message:has-text('updated 1 share(s)')").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / f"{prefix}_grant_applied.png"), full_page=True)

    chart = page.locator(".sharekit-dashboard .sharekit-usage img.sharekit-chart")
    chart.first.wait_for(timeout=30_000)
    drawn = chart.first.evaluate("img => img.complete && img.naturalWidth > 0")
    assert drawn, "the dashboard's chart image did not render"
    page.locator(".sharekit-dashboard .sharekit-message:has-text('anomal')").wait_for(timeout=30_000)
    page.locator(".sharekit-dashboard").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"{prefix}_dashboard.png"), full_page=True)


def _run(tmp_path: Path, server: Workspace, artifacts: Path, disabled: tuple[str, ...], widget_timeout_ms: int,
         *, notebook7: bool = False) -> None:
    write_notebook(tmp_path / "forms.ipynb", CELLS)
    env = {"SHAREKIT_HOME": str(server.home)}
    prefix = "notebook7" if notebook7 else "forms"
    with jupyter_lab(tmp_path, tmp_path / ".jupyter", env=env, disabled_extensions=disabled,
                     notebook7=notebook7) as lab, chromium_page(tmp_path / ".chromium") as page:
        run_all_cells(page, lab.notebook_url("forms.ipynb"))
        assert page.evaluate("window.jupyterapp.name") == ("Jupyter Notebook" if notebook7 else "JupyterLab")
        assert cell_errors(page) == []
        if disabled:  # what the negative control should see instead of the form: the form's text repr
            assert page.locator(".jp-OutputArea-output:has-text('<RecipientForm on http')").count() == 1
        try:
            _drive(page, artifacts, widget_timeout_ms, prefix=prefix)
        finally:
            page.screenshot(path=str(artifacts / f"{prefix}_final{'_no_manager' if disabled else ''}.png"),
                            full_page=True)


def test_forms_and_dashboard_in_jupyterlab(tmp_path: Path, server: Workspace, artifacts_dir: Path) -> None:
    started = time.monotonic()
    _run(tmp_path, server, artifacts_dir, (), 60_000)
    assert _grants(server, SHARE) == {RECIPIENT}  # the click reached the workspace
    assert server.client.recipients.get(RECIPIENT).name == RECIPIENT
    assert time.monotonic() - started < 90


def test_without_the_widget_manager_the_check_fails(tmp_path: Path, server: Workspace, artifacts_dir: Path) -> None:
    """Negative control: only the forms' text repr shows, so the form is never found."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with pytest.raises(PlaywrightTimeout):
        _run(tmp_path, server, artifacts_dir, ("@jupyter-widgets/jupyterlab-manager",), 8_000)
    assert _grants(server, SHARE) == set()


def test_forms_and_dashboard_in_notebook7(tmp_path: Path, server: Workspace, artifacts_dir: Path) -> None:
    """The same forms in Jupyter Notebook 7 (the classic one-document interface on JupyterLab's components)."""
    _run(tmp_path, server, artifacts_dir, (), 60_000, notebook7=True)
    assert _grants(server, SHARE) == {RECIPIENT}
    assert server.client.recipients.get(RECIPIENT).name == RECIPIENT


def test_forms_and_dashboard_in_voila(tmp_path: Path, server: Workspace, artifacts_dir: Path) -> None:
    """The same forms as a Voila app: stock widgets, no front-end build, nothing JupyterLab-specific."""
    write_notebook(tmp_path / "forms.ipynb", CELLS)
    with voila_app(tmp_path / "forms.ipynb", tmp_path / ".jupyter", env={"SHAREKIT_HOME": str(server.home)}) as url, \
            chromium_page(tmp_path / ".chromium") as page:
        page.goto(url, timeout=120_000)
        try:
            _drive(page, artifacts_dir, 120_000, prefix="voila")
        finally:
            page.screenshot(path=str(artifacts_dir / "voila_final.png"), full_page=True)
    assert _grants(server, SHARE) == {RECIPIENT}
