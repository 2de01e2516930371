"""Fixtures of the multi-tenant tests: one real server per module (demo tables plus ``main.saas.events``), the
protocol tests' ``Provider`` (real SDK, real activation, profile files for the real ``delta-sharing`` client),
and ``sql`` to run statements through ``w.statement_execution``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from databricks.sdk.service.sql import StatementResponse, StatementState

from sharekit.connect import Workspace
from sharekit.demo.tables import create_tenant_events
from tests.conftest import running_workspace
from tests.protocol.conftest import Provider


@pytest.fixture(scope="module")
def tws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    with running_workspace(tmp_path_factory.mktemp("tenant"), demo_tables_template,
                           prepare=create_tenant_events) as workspace:
        yield workspace


@pytest.fixture
def provider(tws: Workspace, tmp_path: Path) -> Provider:
    return Provider(tws, tmp_path)


Sql = Callable[..., StatementResponse]


@pytest.fixture
def sql(tws: Workspace) -> Sql:
    def run(statement: str, *, ok: bool = True) -> StatementResponse:
        response = tws.client.statement_execution.execute_statement(
            statement=statement, warehouse_id=tws.warehouse_id, wait_timeout="30s")
        state = response.status.state if response.status else None
        if ok:
            message = response.status.error.message if response.status and response.status.error else ""
            assert state == StatementState.SUCCEEDED, message
        else:
            assert state == StatementState.FAILED
        return response

    return run
