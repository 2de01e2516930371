"""Fixtures of the hardening suites: a server process we can ``kill -9`` and restart on the same port, a
provider that sets up recipients through the real SDK, and readers of the audit log.

``SHAREKIT_STRESS=1`` (``make stress``) turns the bounded sizes into the full ones (``stress(small, full)``).
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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

STRESS = os.environ.get("SHAREKIT_STRESS") == "1"


def stress(small: int, full: int) -> int:
    return full if STRESS else small


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``python -m sharekit serve`` on a fixed loopback port, so clients (and the SDK's retries) reach the
    restarted server at the same address."""

    def __init__(self, home: Path, port: int, http: str = "auto") -> None:
        self.home = home
        self.port = port
        self.http = http  # the HTTP protocol (``sharekit serve --http``)
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def admin_token(self) -> str:
        return (self.home / "admin.token").read_text().strip()

    def start(self) -> ServerProcess:
        with open(self.home / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sharekit", "serve", "--home", str(self.home), "--port", str(self.port),
                 "--http", self.http],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: "
                                   f"{(self.home / 'server.log').read_text()[-2000:]}")
            try:
                health = httpx.get(f"{self.url}/sharekit/health", timeout=1.0)
                if health.status_code == 200 and health.json().get("pid") == self.process.pid:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start within 60 s")

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def client(self) -> Any:
        from sharekit.connect import local_client

        return local_client(self.url, self.admin_token)


@pytest.fixture
def server(home: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(home, free_port()).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("hardening") / "home"
    shutil.copytree(demo_tables_template, home / "tables")
    proc = ServerProcess(home, free_port()).start()
    try:
        yield proc
    finally:
        proc.stop()


@dataclass(frozen=True)
class Reader:
    """One activated recipient: its name, the share it reads, and its bearer token."""

    name: str
    share: str
    token: str
    endpoint: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def activate(client: Any, recipient: str) -> tuple[str, str]:
    """Spend the recipient's newest activation link through the SDK; (bearer token, endpoint)."""
    info = client.recipients.get(recipient)
    tokens = sorted(info.tokens or [], key=lambda t: t.created_at or 0)
    url = next(t.activation_url for t in reversed(tokens) if t.activation_url)
    response = client.recipient_activation.retrieve_token(url.rsplit("?", 1)[-1])
    return response.bearer_token, response.endpoint


def make_reader(client: Any, share: str, properties: dict[str, str] | None = None,
                name: str | None = None) -> Reader:
    from databricks.sdk.service import sharing as S

    name = name or unique("reader")
    client.recipients.create(name, authentication_type=S.AuthenticationType.TOKEN,
                             properties_kvpairs=S.SecurablePropertiesKvPairs(properties=properties)
                             if properties else None)
    client.shares.update_permissions(share, changes=[S.PermissionsChange(principal=name, add=["SELECT"])])
    token, endpoint = activate(client, name)
    return Reader(name, share, token, endpoint)


def make_share(client: Any, name: str, *tables: str, region_partitioned: bool = False) -> str:
    from databricks.sdk.service import sharing as S

    client.shares.create(name)
    objects = []
    for table in tables:
        partitions = None
        if region_partitioned and table == "main.sales.orders":
            partitions = [S.Partition(values=[S.PartitionValue(name="region", op=S.PartitionValueOp.EQUAL,
                                                               recipient_property_key="region")])]
        objects.append(S.SharedDataObjectUpdate(action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(
            name=table, data_object_type=S.SharedDataObjectDataObjectType.TABLE, partitions=partitions)))
    client.shares.update(name, updates=objects)
    return name


def audit_events(home: Path) -> list[dict[str, Any]]:
    """Every event in the audit log (segments and write-ahead files), as dicts."""
    import duckdb

    from sharekit.server.audit.store import live_files, scan_sql

    for _ in range(20):  # a roll or compaction may finish mid-scan: resolve the files again
        sql = scan_sql(live_files(home / "audit"), derived=False)
        try:
            con = duckdb.connect()
            try:
                cursor = con.execute(f"SELECT * FROM ({sql})")
                columns = [d[0] for d in cursor.description]
                return [dict(zip(columns, row)) for row in cursor.fetchall()]
            finally:
                con.close()
        except duckdb.IOException:
            time.sleep(0.05)
    raise AssertionError("audit log kept changing under the reader")


def request_ids(events: list[dict[str, Any]]) -> set[str]:
    return {e["request_id"] for e in events if e["request_id"]}


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
