"""Fixtures for the configuration engine: the users' sample document and an HTTP call log on the client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharekit.connect import Workspace
from tests.conftest import running_workspace

SAMPLE = """\
shares:
  - name: partner_analytics_share
    comment: Analytics data for partners
    tables:
      - main.analytics.customer_metrics
      - main.analytics.product_sales
      - main.sales.orders

recipients:
  - name: acme_corp
    comment: ACME Corporation
    authentication_type: TOKEN
    email: data-team@acme.com
  - name: globex_inc
    comment: Globex Inc
    authentication_type: TOKEN
    email: analytics@globex.com

grants:
  - share: partner_analytics_share
    recipient: acme_corp
    permissions: [SELECT]
  - share: partner_analytics_share
    recipient: globex_inc
    permissions: [SELECT]
"""


class HttpLog:
    """Every request the WorkspaceClient sends, seen by a ``requests`` response hook (independent of sharekit's
    own counter)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit

        self.calls.append((response.request.method, urlsplit(response.request.url).path, response.status_code))
        return response

    @property
    def writes(self) -> list[tuple[str, str, int]]:
        return [c for c in self.calls if c[0] not in ("GET", "HEAD")]

    @property
    def reads(self) -> list[tuple[str, str, int]]:
        return [c for c in self.calls if c[0] in ("GET", "HEAD")]

    def clear(self) -> None:
        self.calls.clear()


def attach_log(workspace: Workspace) -> HttpLog:
    log = HttpLog()
    workspace.client.api_client._api_client._session.hooks["response"].append(log.hook)
    return log


@pytest.fixture
def sample() -> str:
    return SAMPLE


@pytest.fixture
def http(ws: Workspace) -> Iterator[HttpLog]:
    log = attach_log(ws)
    yield log
    ws.client.api_client._api_client._session.hooks["response"].remove(log.hook)


@pytest.fixture(scope="module")
def module_ws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    """One server for a module whose tests reset what they change (property-based tests)."""
    with running_workspace(tmp_path_factory.mktemp("config-module"), demo_tables_template) as workspace:
        yield workspace
