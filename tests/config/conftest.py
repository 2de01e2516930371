"""Fixtures for the configuration engine: the users' sample document and an HTTP call log on the client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharekit import registration
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


@pytest.fixture(scope="module")
def every_kind_ws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    """Like ``module_ws``, with one catalog object of every kind registered in ``main.objects``."""
    base = tmp_path_factory.mktemp("config-every-kind")
    with running_workspace(base, demo_tables_template) as workspace:
        register_every_kind(workspace, base)
        yield workspace


def delta_folder(path: Path) -> Path:
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(str(path), pa.table({"id": [1, 2, 3], "amount": [9.5, 3.0, 7.25]}))
    return path


# The catalog objects register_every_kind creates, by shared data object type (tables: the demo tables).
CATALOG_OBJECTS = {
    "VIEW": "main.objects.eu_orders",
    "MATERIALIZED_VIEW": "main.objects.materialized_view",
    "STREAMING_TABLE": "main.objects.streaming_table",
    "FOREIGN_TABLE": "main.objects.foreign",
    "VOLUME": "main.objects.landing",
    "MODEL": "main.objects.churn",
    "FUNCTION": "main.objects.double_it",
    "FEATURE_SPEC": "main.objects.churn_features",
}


def register_every_kind(workspace: Workspace, base: Path) -> None:
    """The table-like kinds from Delta folders, a volume, a model, a function and a feature spec
    (``sharekit.registration``), and a view over the demo orders (through the SQL endpoint)."""
    for kind, table_type in (("MATERIALIZED_VIEW", "MATERIALIZED_VIEW"), ("STREAMING_TABLE", "STREAMING_TABLE"),
                             ("FOREIGN_TABLE", "FOREIGN")):
        registration.register_table(workspace, CATALOG_OBJECTS[kind], delta_folder(base / kind),
                                    table_type=table_type)
    volume = base / "landing"
    volume.mkdir()
    (volume / "readme.txt").write_text("files of the landing volume")
    registration.register_volume(workspace, CATALOG_OBJECTS["VOLUME"], volume)
    registration.register_model(workspace, CATALOG_OBJECTS["MODEL"])
    registration.register_function(workspace, CATALOG_OBJECTS["FUNCTION"], definition="x * 2", returns="INT",
                                   params=[("x", "INT")])
    registration.register_function(workspace, CATALOG_OBJECTS["FEATURE_SPEC"], feature_spec=True)
    workspace.client.statement_execution.execute_statement(
        statement=f"CREATE VIEW {CATALOG_OBJECTS['VIEW']} AS SELECT * FROM main.sales.orders WHERE region = 'EU'",
        warehouse_id=str(workspace.warehouse_id), wait_timeout="30s")
