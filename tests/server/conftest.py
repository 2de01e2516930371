"""Fixtures of the management-plane tests: a module-wide real server, and an in-process app for fast route tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sharekit.connect import Workspace
from sharekit.server.app import create_app
from sharekit.server.state import ServerState, build_state
from tests.conftest import running_workspace


@pytest.fixture(scope="module")
def mws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    """One real server process per test module (tests use unique names, so they do not collide)."""
    with running_workspace(tmp_path_factory.mktemp("mgmt"), demo_tables_template) as workspace:
        yield workspace


@pytest.fixture
def unique() -> str:
    return "t" + uuid.uuid4().hex[:10]


class Clock:
    """A settable clock (seconds) for expiry tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(home: Path, clock: Clock) -> Iterator[ServerState]:
    built = build_state(home, clock=clock, base_url="http://127.0.0.1:9")
    try:
        yield built
    finally:
        built.close()


class Api:
    """The real app in-process through httpx's ASGI transport (no socket): a tiny synchronous facade."""

    def __init__(self, app: Starlette, token: str | None) -> None:
        self.app = app
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await client.request(method, path, headers=headers, **kwargs)

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def anonymous(self) -> Api:
        return Api(self.app, None)


@pytest.fixture
def api(state: ServerState) -> Api:
    """The real app on the real state (demo tables in ``home``), authenticated as the admin."""
    return Api(create_app(state), state.admin_token)
