"""The statement-execution endpoint of the embedded server, through the real databricks-sdk."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk import errors
from databricks.sdk.service import sql as dbsql

from sharekit.analytics import DuckDBSource, SharingAnalytics, UsageMonitor, WarehouseSource, source_for
from sharekit.connect import Workspace, connect_local
from sharekit.demo.audit_history import HistoryTruth, write_audit_history
from sharekit.server import settings

WH = "sharekit-local"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, HistoryTruth]]:
    home = tmp_path_factory.mktemp("warehouse") / "home"
    truth = write_audit_history(home, 12_000, end=dt.date(2025, 6, 30), seed=5)
    workspace = connect_local(home)
    try:
        yield workspace, truth
    finally:
        workspace.close()


def run(ws: Workspace, statement: str, **kwargs: object) -> dbsql.StatementResponse:
    return ws.client.statement_execution.execute_statement(statement=statement, warehouse_id=WH,
                                                           wait_timeout="30s", **kwargs)  # type: ignore[arg-type]


def test_warehouses_list_shows_the_embedded_warehouse(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, _ = served
    (warehouse,) = list(ws.client.warehouses.list())
    assert (warehouse.id, warehouse.name, warehouse.state) == (WH, "sharekit embedded", dbsql.State.RUNNING)
    assert ws.client.warehouses.get(WH).id == WH


def test_select_with_typed_parameters(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, truth = served
    response = run(ws, "SELECT request_params['recipient_name'] AS r, count(*) AS n, min(event_date) AS first "
                       "FROM system.access.audit WHERE event_date >= :d AND response.status_code = :code "
                       "AND action_name LIKE 'deltaSharing%' "
                       "GROUP BY 1 ORDER BY 1",
                   parameters=[dbsql.StatementParameterListItem(name="d", value="2025-06-10", type="DATE"),
                               dbsql.StatementParameterListItem(name="code", value="200", type="INT")])
    assert response.status.state == dbsql.StatementState.SUCCEEDED
    columns = response.manifest.schema.columns
    assert [(c.name, c.type_name) for c in columns] == [("r", dbsql.ColumnInfoTypeName.STRING),
                                                        ("n", dbsql.ColumnInfoTypeName.LONG),
                                                        ("first", dbsql.ColumnInfoTypeName.DATE)]
    rows = response.result.data_array
    assert [row[0] for row in rows] == sorted(truth.recipients)
    assert all(isinstance(v, str) for row in rows for v in row) and rows[0][2] == "2025-06-10"


def test_results_come_in_chunks(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, truth = served
    response = run(ws, "SELECT event_id FROM system.access.audit WHERE action_name LIKE 'deltaSharing%' "
                       "ORDER BY event_id")
    manifest = response.manifest
    assert manifest.total_row_count == truth.n_events > settings.STATEMENT_CHUNK_ROWS
    assert manifest.total_chunk_count == -(-truth.n_events // settings.STATEMENT_CHUNK_ROWS)
    ids = list(response.result.data_array)
    chunk = response.result
    while chunk.next_chunk_index is not None:
        chunk = ws.client.statement_execution.get_statement_result_chunk_n(response.statement_id,
                                                                           chunk.next_chunk_index)
        ids.extend(chunk.data_array)
    assert len(ids) == truth.n_events and ids == sorted(ids)
    limited = run(ws, "SELECT event_id FROM system.access.audit", row_limit=7)
    assert limited.manifest.total_row_count == 7 and limited.manifest.truncated


@pytest.mark.parametrize("statement, code", [
    ("DELETE FROM system.access.audit", "NOT_IMPLEMENTED"),
    ("DROP TABLE system.access.audit", "NOT_IMPLEMENTED"),
    ("SELECT * FROM main.sales.orders", "TABLE_OR_VIEW_NOT_FOUND"),
    ("SELECT * FROM read_csv('/etc/passwd')", "PERMISSION_DENIED"),
    ("SELECT * FROM system.access.audit a, read_parquet('x') b", "PERMISSION_DENIED"),
    ("SELECT 1; SELECT 2", "INVALID_PARAMETER_VALUE"),
    ("SELEC 1", "PARSE_SYNTAX_ERROR"),
    ("SELECT * FROM system.access.audit WHERE action_name = :missing", "UNBOUND_SQL_PARAMETER"),
    ("SELECT no_such_column FROM system.access.audit", "Binder Error"),
])
def test_anything_else_fails_with_http_200_and_a_clear_error(served: tuple[Workspace, HistoryTruth],
                                                             statement: str, code: str) -> None:
    response = run(ws=served[0], statement=statement)
    assert response.status.state == dbsql.StatementState.FAILED
    assert response.status.error.error_code == dbsql.ServiceErrorCode.BAD_REQUEST
    assert code in response.status.error.message
    assert response.result is None


def test_request_acceptance_errors_are_4xx(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, _ = served
    with pytest.raises(errors.NotFound):
        ws.client.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="nope")
    with pytest.raises(errors.BadRequest, match="wait_timeout"):
        ws.client.statement_execution.execute_statement(statement="SELECT 1", warehouse_id=WH, wait_timeout="3s")
    with pytest.raises(errors.BadRequest, match="INLINE"):
        ws.client.statement_execution.execute_statement(statement="SELECT 1", warehouse_id=WH,
                                                        disposition=dbsql.Disposition.EXTERNAL_LINKS)
    with pytest.raises(errors.NotFound):
        ws.client.statement_execution.get_statement("no-such-statement")
    with pytest.raises(errors.NotFound):
        ws.client.statement_execution.cancel_execution("no-such-statement")

    bad = run(ws, "SELECT :x AS x", parameters=[dbsql.StatementParameterListItem(name="x", value="abc", type="INT")])
    assert bad.status.state == dbsql.StatementState.FAILED and "not a valid INT" in bad.status.error.message


def test_asynchronous_statement_then_get(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, truth = served
    started = ws.client.statement_execution.execute_statement(
        statement="SELECT count(*) AS n FROM system.access.audit WHERE action_name LIKE 'deltaSharing%'",
        warehouse_id=WH, wait_timeout="0s")
    assert started.status.state in (dbsql.StatementState.RUNNING, dbsql.StatementState.SUCCEEDED)
    for _ in range(100):
        got = ws.client.statement_execution.get_statement(started.statement_id)
        if got.status.state == dbsql.StatementState.SUCCEEDED:
            break
        time.sleep(0.05)
    assert got.result.data_array == [[str(truth.n_events)]]
    ws.client.statement_execution.cancel_execution(started.statement_id)  # finished: cancel is a no-op
    assert ws.client.statement_execution.get_statement(started.statement_id).status.state == dbsql.StatementState.SUCCEEDED


def test_every_analysis_on_the_warehouse_equals_duckdb(served: tuple[Workspace, HistoryTruth]) -> None:
    ws, truth = served
    assert isinstance(source_for(ws, engine="warehouse"), WarehouseSource)
    assert isinstance(source_for(ws), DuckDBSource)
    window = {"start": truth.start, "end": truth.end}
    engines = [SharingAnalytics(ws, engine="warehouse"), SharingAnalytics(ws)]
    monitors = [UsageMonitor(ws, engine="warehouse"), UsageMonitor(ws)]
    results = []
    for analytics, monitor in zip(engines, monitors):
        results.append([
            monitor.usage(**window).df,
            monitor.check_threshold("sales_share", 0.5, notify=lambda a: None, **window).df,
            analytics.most_accessed_tables(**window).df,
            analytics.recipient_activity("acme_corp", **window).df,
            analytics.failed_requests(**window).df,
            analytics.detect_anomalies(min_history=7, **window).extra["series"],
        ])
    for on_warehouse, on_duckdb in zip(*results):
        assert list(on_warehouse.columns) == list(on_duckdb.columns)
        import pandas.testing as pdt

        pdt.assert_frame_equal(on_warehouse, on_duckdb, check_exact=False, rtol=1e-9)


def test_server_traffic_is_audited_with_action_names(served: tuple[Workspace, HistoryTruth], tmp_path: Path) -> None:
    ws, _ = served
    list(ws.client.warehouses.list())
    run(ws, "SELECT 1 AS one")
    from sharekit.connect import local_client

    intruder = local_client(ws.host, "dapi-wrong-token")
    with pytest.raises(errors.Unauthenticated):
        list(intruder.warehouses.list())
    response = run(ws, "SELECT action_name, response.status_code AS status, user_identity.email AS who "
                       "FROM system.access.audit WHERE service_name = 'unityCatalog' AND event_date >= :today "
                       "AND action_name IN ('listWarehouses', 'executeStatement')",
                   parameters=[dbsql.StatementParameterListItem(
                       name="today", value=(dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat(),
                       type="DATE")])
    seen = {(row[0], row[1]) for row in response.result.data_array}
    assert {("listWarehouses", "200"), ("listWarehouses", "401"), ("executeStatement", "200")} <= seen
