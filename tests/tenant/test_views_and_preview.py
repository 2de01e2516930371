"""Views through the statement API (what a user runs on Databricks), and ``preview_as`` checked against what the
recipient actually reads with the real ``delta-sharing`` client."""

from __future__ import annotations

import delta_sharing
import pytest
from databricks.sdk.errors import BadRequest
from databricks.sdk.service import catalog

from sharekit import sharing
from sharekit.connect import Workspace
from sharekit.preview import PreviewUnavailable
from tests.protocol.conftest import Provider, unique
from tests.tenant.conftest import Sql
from tests.tenant.test_isolation import VIEW_SQL


def test_create_list_replace_and_drop_a_view(tws: Workspace, sql: Sql) -> None:
    name = unique("v")
    text = "SELECT customer_id, region FROM main.sales.customers WHERE region = current_recipient('region')"
    sql(f"CREATE VIEW main.sales.{name} AS {text}")
    info = tws.client.tables.get(f"main.sales.{name}")
    assert info.table_type == catalog.TableType.VIEW and info.view_definition == text
    assert [c.name for c in info.columns or []] == ["customer_id", "region"]
    listed = {t.name: t.table_type for t in tws.client.tables.list("main", "sales")}
    assert listed[name] == catalog.TableType.VIEW and listed["orders"] == catalog.TableType.MANAGED
    failed = sql(f"CREATE VIEW main.sales.{name} AS SELECT 1 AS x FROM main.sales.orders", ok=False)
    assert "already exists" in failed.status.error.message
    sql(f"CREATE OR REPLACE VIEW main.sales.{name} AS SELECT order_id FROM main.sales.orders")
    assert [c.name for c in tws.client.tables.get(f"main.sales.{name}").columns or []] == ["order_id"]
    assert sql(f"SELECT count(*) FROM main.sales.{name}").result.data_array == [["2000"]]
    sql(f"DROP VIEW main.sales.{name}")
    assert not tws.client.tables.exists(f"main.sales.{name}").table_exists
    sql(f"DROP VIEW IF EXISTS main.sales.{name}")


@pytest.mark.parametrize(("statement", "expected"), [
    ("CREATE VIEW main.sales.{n} AS SELECT * FROM main.sales.nope", "TABLE_OR_VIEW_NOT_FOUND"),
    ("CREATE VIEW main.sales.{n} AS SELECT * FROM main.sales.orders WHERE region = current_recipient(region)",
     "one string literal"),
    ("CREATE VIEW main.sales.{n} AS SELECT * FROM read_parquet('x')", "not allowed"),
    ("CREATE VIEW main.sales.{n} AS SELECT nosuchcolumn FROM main.sales.orders", "cannot be evaluated"),
    ("CREATE VIEW main.sales.orders AS SELECT 1 AS x FROM main.sales.orders", "is a table"),
    ("CREATE VIEW main.sales.{n} (a) AS SELECT 1 AS x FROM main.sales.orders", "column lists"),
])
def test_bad_views_fail_with_a_clear_message_and_are_audited(tws: Workspace, sql: Sql, provider: Provider,
                                                             statement: str, expected: str) -> None:
    name = unique("bad")
    failed = sql(statement.format(n=name), ok=False)
    assert expected in failed.status.error.message
    assert not tws.client.tables.exists(f"main.sales.{name}").table_exists
    events = provider.audit("executeStatement", statement_id=failed.statement_id)
    assert events and expected in events[-1]["request_params"]["error_message"]


def test_provider_query_of_a_recipient_view_fails_like_databricks(sql: Sql) -> None:
    name = unique("v")
    sql(f"CREATE VIEW main.sales.{name} AS SELECT * FROM main.sales.orders WHERE region = current_recipient('r')")
    failed = sql(f"SELECT * FROM main.sales.{name}", ok=False)
    assert "CURRENT_RECIPIENT_UNAVAILABLE" in failed.status.error.message
    assert "current_recipient" in failed.status.error.message


def test_views_share_as_view_objects_without_history(tws: Workspace, provider: Provider, sql: Sql) -> None:
    name = unique("v")
    sql(f"CREATE VIEW main.sales.{name} AS SELECT order_id FROM main.sales.orders")
    share = provider.share({"name": f"main.sales.{name}", "kind": "VIEW"})
    objects = tws.client.shares.get(share, include_shared_data=True).objects or []
    assert [(o.name, o.data_object_type.value) for o in objects] == [(f"main.sales.{name}", "VIEW")]
    with pytest.raises(BadRequest, match="without history"):
        provider.share({"name": f"main.sales.{name}", "kind": "VIEW", "history": True})
    with pytest.raises(BadRequest, match="not a table"):
        provider.share({"name": f"main.sales.{name}", "kind": "TABLE"})


def test_preview_agrees_with_what_each_recipient_reads(tws: Workspace, provider: Provider, sql: Sql) -> None:
    view = unique("tenant_view")
    sql(VIEW_SQL.format(name=view, table="events"))
    share = provider.share(
        {"name": f"main.saas.{view}", "kind": "VIEW"},
        {"name": "main.saas.events", "partitions": [[{"name": "tenant_id", "recipient_property_key": "tenant"}]]},
        {"name": "main.analytics.customer_metrics"},
        {"name": "main.sales.orders", "partitions": [[{"name": "region", "value": "EU"}],
                                                     [{"name": "region", "value": "US"}]]})
    cases = [{"tenant": "acme", "plan": "gold"}, {"tenant": "umbrella", "plan": "silver"}, {"plan": "gold"}]
    for properties in cases:
        name = provider.recipient(properties=properties)
        provider.grant(share, name)
        profile = provider.profile(name)
        preview = sharing.preview_as(tws, name, share, limit=1000)
        assert preview.granted and preview.recipient == name
        assert [o.source for o in preview.objects] == [f"main.saas.{view}", "main.saas.events",
                                                       "main.analytics.customer_metrics", "main.sales.orders"]
        for obj in preview.objects:
            url = f"{profile}#{share}.{obj.name}"
            if obj.error is not None:  # the recipient gets the same refusal
                assert "tenant" in obj.error and "tenant" not in properties
                with pytest.raises(Exception, match="tenant"):
                    delta_sharing.load_as_pandas(url)
                continue
            read = delta_sharing.load_as_pandas(url)
            assert obj.row_count == len(read) and obj.columns == list(read.columns)
            assert len(obj.sample) == min(len(read), 1000)
            expected = sorted(map(tuple, read.astype(str).values.tolist()))
            assert sorted(tuple(str(v) for v in row) for row in obj.df.values.tolist()) == expected
        assert "what" in repr(preview) and "<table>" in preview._repr_html_()


def test_preview_of_an_ungranted_recipient_and_on_databricks(tws: Workspace, provider: Provider) -> None:
    share = provider.share({"name": "main.sales.orders", "partitions": [[{"name": "region",
                                                                          "recipient_property_key": "region"}]]})
    name = provider.recipient(properties={"region": "APAC"})
    preview = sharing.preview_as(tws, name, share)
    assert not preview.granted and "NOT granted" in repr(preview)
    assert preview["sales.orders"].row_count == 500 and preview["sales.orders"].partition_filter
    assert {row[preview["sales.orders"].columns.index("region")] for row in preview["sales.orders"].sample} == {"APAC"}
    with pytest.raises(Exception, match="does not exist"):
        sharing.preview_as(tws, "nobody_" + name, share)
    databricks = Workspace(tws.client, "databricks", tws.host)
    with pytest.raises(PreviewUnavailable, match="embedded sharing server"):
        sharing.preview_as(databricks, name, share)


def test_old_materialisations_are_pruned_but_not_recent_ones(tmp_path: object) -> None:
    import os
    import time
    from pathlib import Path

    from sharekit.server import settings
    from sharekit.server.views import materialisation

    root = Path(str(tmp_path)) / "view"
    old = time.time() - 2 * 3600
    for i in range(40):
        folder = root / f"state{i:02d}"
        folder.mkdir(parents=True)
        os.utime(folder, (old + i, old + i))
    fresh = root / "fresh"
    fresh.mkdir()
    keep = root / "new"
    keep.mkdir()
    materialisation._prune(root, keep=keep)
    left = sorted(p.name for p in root.iterdir())
    assert "new" in left and "fresh" in left and "state39" in left and "state00" not in left
    assert len(left) == settings.VIEW_KEEP_STATES  # the new one plus the newest others (the fresh one among them)
