"""Pick the workspace: a Databricks workspace when the SDK finds one, otherwise the embedded server.

Either way the caller gets a ``Workspace`` whose ``.client`` is a real ``databricks.sdk.WorkspaceClient``.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

from sharekit._version import __version__
from sharekit.display.status import show_status
from sharekit.server.home import Home, default_home

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

PRODUCT = "sharekit"
START_TIMEOUT_S = 60.0
LOCAL_RETRY_TIMEOUT_S = 20


class ConnectError(RuntimeError):
    """The workspace could not be reached or the embedded server did not start."""


class Workspace:
    """A connected workspace: ``.client`` (WorkspaceClient), ``.kind`` ("local" | "databricks"), ``.host``."""

    def __init__(self, client: WorkspaceClient, kind: str, host: str, *, home: Path | None = None,
                 process: subprocess.Popen[bytes] | None = None, warehouse_id: str | None = None) -> None:
        self.client = client
        self.kind = kind
        self.host = host
        self.home = home
        self.warehouse_id = warehouse_id
        self._process = process

    @property
    def started_server(self) -> bool:
        return self._process is not None

    def close(self) -> None:
        """Stop the embedded server if this object started it; otherwise nothing to do."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Workspace:  # noqa: PYI034 (Python 3.10 has no typing.Self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f", home={str(self.home)!r}" if self.home else ""
        return f"<Workspace kind={self.kind!r} host={self.host!r}{where}>"


WorkspaceLike = Union[Workspace, "WorkspaceClient"]
"""What the operations take: a connected ``Workspace`` or a bare ``WorkspaceClient``."""


def client_of(target: WorkspaceLike) -> WorkspaceClient:
    """The ``WorkspaceClient`` of a ``Workspace`` (its ``.client``), or the client itself."""
    client = getattr(target, "client", None)
    return cast("WorkspaceClient", client if client is not None else target)


def connect(target: str | None = None, *, home: str | Path | None = None, demo: bool = False,
            profile: str | None = None, quiet: bool = False) -> Workspace:
    """Connect to Databricks (``target="databricks"``), the embedded server (``"local"``), or whichever is
    configured (``None``: Databricks when the SDK finds credentials, local otherwise)."""
    if target not in (None, "local", "databricks"):
        raise ValueError(f"target must be 'local', 'databricks' or None, not {target!r}")
    if target == "databricks" or (target is None and home is None and not demo and _databricks_configured(profile)):
        workspace = _connect_databricks(profile)
        if not quiet:
            show_status(f"sharekit: connected to Databricks workspace {workspace.host}")
        return workspace
    workspace = connect_local(Path(home) if home is not None else default_home(), demo=demo)
    if not quiet:
        how = "started" if workspace.started_server else "reusing"
        show_status(f"sharekit: {how} the embedded sharing server at {workspace.host} (home {workspace.home})")
    return workspace


def _databricks_configured(profile: str | None) -> bool:
    from databricks.sdk.core import Config

    try:
        config = Config(profile=profile, product=PRODUCT, product_version=__version__)
    except ValueError:  # the SDK's "cannot configure default credentials"
        return False
    return bool(config.host)


def _connect_databricks(profile: str | None) -> Workspace:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    try:
        config = Config(profile=profile, product=PRODUCT, product_version=__version__)
    except ValueError as err:
        raise ConnectError(f"no Databricks workspace configured ({err})") from err
    warehouse_id = os.environ.get("DATABRICKS_WAREHOUSE_ID") or None
    return Workspace(WorkspaceClient(config=config), "databricks", config.host or "", warehouse_id=warehouse_id)


def connect_local(home: Path, *, demo: bool = False) -> Workspace:
    """Reuse the server recorded in ``home/server.json`` if it answers, else start one in the background."""
    home = home.expanduser().resolve()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # a home is its owner's only (server.home)
    process = None
    with _start_lock(home):
        url = _live_server_url(home)
        if url is None:
            process = _start_server(home)
            url = _wait_ready(home, process)
    token = Home(home).admin_token()
    client = local_client(url, token)
    if demo:
        client.api_client.do("POST", "/sharekit/admin/demo")
    return Workspace(client, "local", url, home=home, process=process, warehouse_id=LOCAL_WAREHOUSE_ID)


LOCAL_WAREHOUSE_ID = "sharekit-local"


def local_client(url: str, token: str) -> WorkspaceClient:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    config = Config(host=url, token=token, auth_type="pat", product=PRODUCT, product_version=__version__,
                    retry_timeout_seconds=LOCAL_RETRY_TIMEOUT_S)
    return WorkspaceClient(config=config)


@contextmanager
def _start_lock(home: Path) -> Iterator[None]:
    """Two kernels on one home must end up with one server: serialise check-and-start."""
    with open(os.open(home / ".start.lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _health(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    import httpx

    try:
        response = httpx.get(f"{url}/sharekit/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    body = response.json()
    return body if isinstance(body, dict) else None


def _live_server_url(home: Path) -> str | None:
    info = Home(home).read_server_info()
    if not info or not isinstance(info.get("url"), str):
        return None
    health = _health(info["url"])
    if health and health.get("pid") == info.get("pid") and health.get("home") == str(home):
        return str(info["url"])
    return None


def _start_server(home: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sharekit", "serve", "--home", str(home), "--port", "0"]
    log_fd = os.open(Home(home).log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with open(log_fd, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # a kernel interrupt must not stop the shared server


def _wait_ready(home: Path, process: subprocess.Popen[bytes]) -> str:
    log_file = Home(home).log_file
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConnectError(f"the embedded server exited with code {process.returncode}; see {log_file}")
        info = Home(home).read_server_info()
        if info and info.get("pid") == process.pid and _health(str(info["url"]), timeout=1.0):
            return str(info["url"])
        time.sleep(0.05)
    process.kill()
    raise ConnectError(f"the embedded server did not start within {START_TIMEOUT_S:.0f} s; see {log_file}")
