"""A real JupyterLab and a real Chromium (Debian's package, driven by Playwright; never a browser download).

Recipe and timings: shared reference "jupyter.md" §5. Readiness is polled over HTTP; shutdown goes through the
server's API so the kernel goes down with it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TOKEN = "sharekit-browser-test"
KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""
RUN_ALL_DONE = """() => { const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return cells.every(c => c.model.executionCount !== null) && w.sessionContext.session.kernel.status === 'idle'; }"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Lab:
    url: str
    root: Path
    process: subprocess.Popen[bytes]
    page: str = "lab/tree"  # where a notebook opens: JupyterLab's tree, or Notebook 7's "notebooks"

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/{self.page}/{name}?token={TOKEN}" + ("&reset" if self.page == "lab/tree" else "")


LAB_OPTIONS = ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
NOTEBOOK7_OPTIONS = ["--JupyterNotebookApp.expose_app_in_browser=True"]


@contextmanager
def jupyter_lab(root: Path, config_dir: Path, env: dict[str, str] | None = None,
                disabled_extensions: tuple[str, ...] = (), *, notebook7: bool = False) -> Iterator[Lab]:
    """Start JupyterLab (or, with ``notebook7``, Jupyter Notebook 7: the same front-end components in the classic
    one-document layout) on ``root`` with a fresh config dir; stop it (and its kernels) afterwards."""
    port = _free_port()
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    disabled = {"@jupyterlab/apputils-extension:announcements": True, **{name: True for name in disabled_extensions}}
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    command = [sys.executable, "-m", "notebook" if notebook7 else "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
               *(NOTEBOOK7_OPTIONS if notebook7 else LAB_OPTIONS)]
    full_env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_RUNTIME_DIR": str(config_dir / "runtime"),
                **(env or {})}
    with open(config_dir / "lab.log", "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_status(url, process, config_dir / "lab.log")
        yield Lab(url, root, process, "notebooks" if notebook7 else "lab/tree")
    finally:
        try:
            httpx.post(f"{url}/api/shutdown", headers={"Authorization": f"token {TOKEN}"}, timeout=10)
            process.wait(timeout=20)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def voila_app(notebook: Path, config_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve ``notebook`` with Voila (it runs the notebook when the page is opened); yields the page URL.

    Readiness is a TCP connect: any HTTP GET of the page would start a kernel and run the notebook. Voila runs in
    its own process group so the kernels it starts go down with it.
    """
    port = _free_port()
    config_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", f"--token={TOKEN}"]
    full_env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_RUNTIME_DIR": str(config_dir / "runtime"),
                **(env or {})}
    with open(config_dir / "voila.log", "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"voila exited early:\n{(config_dir / 'voila.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("voila did not listen within 90 s") from None
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/?token={TOKEN}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for_status(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/status", params={"token": TOKEN}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s")


@contextmanager
def chromium_page(user_data_dir: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed (make test installs it)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()


def run_all_cells(page: Any, notebook_url: str, timeout_ms: int = 120_000) -> None:
    page.goto(notebook_url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(RUN_ALL_DONE, timeout=timeout_ms)


def cell_errors(page: Any) -> list[str]:
    """Texts of error outputs (tracebacks and UsageErrors on stderr) in the open notebook."""
    texts: list[str] = page.eval_on_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", "els => els.map(e => e.innerText)")
    return [text for text in texts if "Error" in text or "Traceback" in text]
