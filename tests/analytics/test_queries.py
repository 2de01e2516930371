"""Every analysis query parses, stays in the portable subset, and the DuckDB acceleration changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from sharekit.analytics import queries
from sharekit.analytics.engines import DuckDBSource, normalise
from sharekit.demo.audit_history import HistoryTruth
from sharekit.server.audit import store as audit_store

PARAMS = {"start_date": dt.date(2025, 6, 1), "end_date": dt.date(2025, 7, 1), "share": "", "recipient": "",
          "table_schema": "", "table": "", "top_n": 10, "n_days": 30, "k": 3.5, "robust_k": 5.0,
          "min_history": 14}


def test_there_are_analyses() -> None:
    assert {"daily_usage", "top_tables", "recipient_activity", "failed_requests", "anomalies", "last_access",
            "share_daily_bytes"} <= set(queries.names())


@pytest.mark.parametrize("name", queries.names())
def test_query_is_portable_databricks_sql(name: str) -> None:
    sql = queries.load(name)
    queries.check_portable(sql)
    tree = sqlglot.parse_one(sql, read="databricks")
    tables = {".".join(p for p in (t.catalog, t.db, t.name) if p) for t in tree.find_all(exp.Table)
              if not isinstance(t.this, exp.Func)}
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    assert tables - ctes == {"system.access.audit"}
    assert queries.parameter_names(sql) <= set(PARAMS)
    duck = queries.to_duckdb(sql, "v")
    assert "$start_date" in duck
    for parameter in queries.parameter_names(sql):
        assert ":" + parameter not in duck, f"parameter :{parameter} left untranslated"


@pytest.mark.parametrize("sql, bad", [
    ("SELECT dayofweek(event_date) FROM system.access.audit", "dayofweek"),
    ("SELECT extract(DOW FROM event_date) FROM system.access.audit", "dow"),
    ("SELECT weekday(event_date) FROM system.access.audit", "weekday"),
    ("SELECT percentile(x, 0.5) FROM system.access.audit", "percentile"),
    ("SELECT std(x) FROM system.access.audit", "std"),
    ("SELECT trunc(event_date, 'MM') FROM system.access.audit", "trunc"),
    ("SELECT unix_timestamp(event_time) FROM system.access.audit", "unix_timestamp"),
    ("SELECT make_dt_interval(1) FROM system.access.audit", "make_dt_interval"),
    ("SELECT explode(sequence(DATE'2025-01-01', DATE'2025-01-03'))", "explode"),
    ("SELECT date_sub(event_date, 1) FROM system.access.audit", "date_sub"),
    ("SELECT * FROM system.access.audit WHERE action_name = ?", "positional"),
])
def test_known_bad_constructs_are_rejected(sql: str, bad: str) -> None:
    with pytest.raises(queries.QueryError, match=f"(?i){bad}"):
        queries.check_portable(sql)


@pytest.mark.parametrize("name", queries.names())
def test_derived_columns_give_identical_results(history: tuple[Path, HistoryTruth], name: str) -> None:
    """The accelerated DuckDB SQL (derived segment columns) equals the plain translation over the raw columns."""
    import duckdb

    home, _ = history
    source = DuckDBSource(home)
    sql = queries.load(name)
    params = {k: v for k, v in PARAMS.items() if k in queries.parameter_names(sql)}
    if name in ("recipient_activity", "share_daily_bytes"):
        params["recipient" if name == "recipient_activity" else "share"] = (
            "globex" if name == "recipient_activity" else "sales_share")
    fast = source.run(queries.Query(name, sql, params))
    assert '"_rp_' in source.translate(queries.Query(name, sql, params))
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(f"CREATE VIEW plain AS {audit_store.scan_sql(audit_store.live_files(home / 'audit'), derived=False)}")
    slow = normalise(con.sql(queries.to_duckdb(sql, "plain"), params=params).to_arrow_table())
    assert len(fast) > 0
    assert fast.equals(slow)
