"""plan/apply/export against the real embedded server through the real databricks-sdk, counting HTTP calls."""

from __future__ import annotations

import pytest
from databricks.sdk.service import sharing

from sharekit.config import plan as plan_module
from sharekit.config.apply import apply
from sharekit.config.export import export
from sharekit.config.loader import ConfigError, loads
from sharekit.config.tenant import setup_tenant
from sharekit.connect import Workspace
from tests.config.conftest import SAMPLE, HttpLog

SHARE = "partner_analytics_share"
API = "/api/2.1/unity-catalog"


def live_tables(ws: Workspace, share: str) -> list[str]:
    return sorted(o.name for o in ws.client.shares.get(share, include_shared_data=True).objects or [])


def live_grants(ws: Workspace, share: str) -> list[str]:
    return sorted(a.principal for a in ws.client.shares.share_permissions(share).privilege_assignments or [])


def test_sample_document_first_apply_then_second_makes_no_write(ws: Workspace, http: HttpLog) -> None:
    first = apply(ws, loads(SAMPLE), parallel=1)  # the serial order; concurrent: tests/config/test_parallel.py
    assert first.ok, first.summary()
    assert [(m, p) for m, p, _ in http.writes] == [
        ("POST", f"{API}/shares"),
        ("PATCH", f"{API}/shares/{SHARE}"),  # all three tables in one update call
        ("POST", f"{API}/recipients"),
        ("POST", f"{API}/recipients"),
        ("PATCH", f"{API}/shares/{SHARE}/permissions"),  # both grants in one permissions call
    ]
    assert first.writes == 5 and len(first.plan.actions) == 8
    assert live_tables(ws, SHARE) == ["main.analytics.customer_metrics", "main.analytics.product_sales",
                                      "main.sales.orders"]
    assert live_grants(ws, SHARE) == ["acme_corp", "globex_inc"]
    acme = ws.client.recipients.get("acme_corp")
    assert acme.comment == "ACME Corporation"
    assert acme.properties_kvpairs.properties == {"email": "data-team@acme.com"}
    assert set(first.activation_links) == {"acme_corp", "globex_inc"}
    assert first.activation_links["acme_corp"] == acme.tokens[0].activation_url

    http.clear()
    second = apply(ws, loads(SAMPLE))
    assert http.writes == [] and second.writes == 0 and not second.plan.has_changes
    assert second.reads == len(http.reads)


def test_export_reapplies_as_noop(ws: Workspace, http: HttpLog) -> None:
    apply(ws, loads(SAMPLE))
    text = export(ws)
    exported = loads(text)
    assert [s.name for s in exported.config.shares] == [SHARE]
    assert {r.name: r.email for r in exported.config.recipients} == {"acme_corp": "data-team@acme.com",
                                                                      "globex_inc": "analytics@globex.com"}
    http.clear()
    assert apply(ws, exported).writes == 0
    assert http.writes == []
    only = loads(export(ws, [SHARE]))
    assert [g.recipient for g in only.config.grants] == ["acme_corp", "globex_inc"]


def test_removing_a_table_from_the_document_removes_it_from_the_share(ws: Workspace, http: HttpLog) -> None:
    apply(ws, loads(SAMPLE))
    http.clear()
    result = apply(ws, loads(SAMPLE.replace("      - main.sales.orders\n", "")))
    assert result.ok
    assert [(m, p) for m, p, _ in http.writes] == [("PATCH", f"{API}/shares/{SHARE}")]
    assert [(a.op, a.item) for a in result.plan.actions] == [("remove", "main.sales.orders")]
    assert live_tables(ws, SHARE) == ["main.analytics.customer_metrics", "main.analytics.product_sales"]


def test_invalid_document_applies_nothing_and_names_the_line(ws: Workspace, http: HttpLog) -> None:
    broken = SAMPLE.replace("      - main.sales.orders\n", "      - main.sales.orders\n      - name: main.sales\n")
    with pytest.raises(ConfigError) as caught:
        apply(ws, loads(broken))
    assert "line 8: shares[0].tables[3]" in str(caught.value)
    # valid YAML that refers to things that do not exist: found while planning, before any write
    missing = SAMPLE.replace("main.sales.orders", "main.sales.nope").replace("recipient: globex_inc", "recipient: ghost")
    with pytest.raises(ConfigError) as caught:
        apply(ws, loads(missing))
    assert [str(i) for i in caught.value.issues] == [
        "line 7: shares[0].tables[2]: table main.sales.nope does not exist",
        "line 24: grants[1].recipient: recipient ghost is not defined here or in the workspace",
    ]
    assert http.writes == []
    assert ws.client.shares.list_shares() is not None and list(ws.client.shares.list_shares()) == []


BAD_PARTITION = """
shares:
  - name: a_share
    tables: [main.analytics.customer_metrics]
  - name: b_share
    tables:
      - {name: main.sales.orders, partitions: [{status: shipped}]}
recipients:
  - name: carol
grants:
  - {share: b_share, recipient: carol}
"""


def test_failed_call_stops_apply_reports_and_rerun_converges(ws: Workspace, http: HttpLog) -> None:
    result = apply(ws, loads(BAD_PARTITION), parallel=1)  # serial; concurrent: tests/config/test_parallel.py
    assert not result.ok
    statuses = [(o.step.call, o.status) for o in result.outcomes]
    assert statuses == [("shares.create", "done"), ("shares.update", "done"), ("shares.create", "done"),
                        ("shares.update", "failed"), ("recipients.create", "not tried"),
                        ("shares.update_permissions", "not tried")]
    assert "'status' is not a partition column" in result.failure.message  # the workspace's own message
    assert "3 change(s) done, 1 failed, 2 not tried" in result.summary()
    fixed = BAD_PARTITION.replace("status: shipped", "region: EU")
    again = apply(ws, loads(fixed))
    assert again.ok
    assert [a.op for a in again.plan.actions] == ["add", "create", "grant"]  # only what was missing
    http.clear()
    assert apply(ws, loads(fixed)).writes == 0 and http.writes == []


OPTIONS = """
shares:
  - name: opts
    comment: options
    tables:
      - name: main.sales.orders
        shared_as: sales.regional_orders
        partitions: [{region: {recipient_property: region}}]
      - {name: main.inventory.stock_levels, history: {cdf: true}, start_version: 1}
      - {name: main.analytics, type: SCHEMA}
"""


def test_object_options_round_trip_and_minimal_updates(ws: Workspace, http: HttpLog) -> None:
    assert apply(ws, loads(OPTIONS)).ok
    objects = {o.name: o for o in ws.client.shares.get("opts", include_shared_data=True).objects}
    orders = objects["main.sales.orders"]
    assert orders.shared_as == "sales.regional_orders"
    assert orders.partitions[0].values[0].recipient_property_key == "region"
    stock = objects["main.inventory.stock_levels"]
    # history only: the API refuses history and cdf_enabled together (resource_share.go suppressCDFEnabledDiff)
    assert (stock.history_data_sharing_status.value, stock.start_version) == ("ENABLED", 1)
    assert objects["main.analytics"].data_object_type.value == "SCHEMA"
    http.clear()
    assert apply(ws, loads(OPTIONS)).writes == 0

    static = OPTIONS.replace("{region: {recipient_property: region}}", "{region: EU}, {region: US}")
    result = apply(ws, loads(static))
    assert [(a.op, a.item) for a in result.plan.actions] == [("update", "main.sales.orders")]
    assert result.writes == 1

    no_partitions = static.replace("        partitions: [{region: EU}, {region: US}]\n", "")
    result = apply(ws, loads(no_partitions))
    assert [(a.op, a.item) for a in result.plan.actions] == [("replace", "main.sales.orders")]
    assert result.writes == 1  # REMOVE + ADD in one update call
    assert ws.client.shares.get("opts", include_shared_data=True).objects[-1].partitions == []
    assert apply(ws, loads(no_partitions)).writes == 0
    exported = loads(export(ws, ["opts"]))
    assert apply(ws, exported).writes == 0


def test_updates_are_batched_per_call(ws: Workspace, http: HttpLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "MAX_UPDATES_PER_CALL", 2)
    tables = ["main.sales.orders", "main.sales.customers", "main.analytics.customer_metrics",
              "main.analytics.product_sales", "main.inventory.stock_levels"]
    text = "shares:\n  - name: big\n    comment: five\n    tables: [" + ", ".join(tables) + "]\n"
    result = apply(ws, loads(text))
    assert [s.call for s in result.plan.steps] == ["shares.create"] + ["shares.update"] * 3
    assert [len(s.kwargs.get("updates", [])) for s in result.plan.steps[1:]] == [2, 2, 1]
    assert len(live_tables(ws, "big")) == 5
    changed = text.replace("comment: five", "comment: six")
    result = apply(ws, loads(changed))
    assert result.writes == 1 and result.plan.steps[0].kwargs == {"name": "big", "comment": "six"}


def test_unmentioned_things_are_left_alone_unless_prune(ws: Workspace, http: HttpLog) -> None:
    apply(ws, loads(SAMPLE))
    ws.client.shares.create("other_share")
    ws.client.recipients.create("other_recipient", sharing.AuthenticationType.TOKEN)
    http.clear()
    assert apply(ws, loads(SAMPLE)).writes == 0
    dry = apply(ws, loads(SAMPLE), prune=True, dry_run=True)
    assert [(a.op, a.kind, a.target) for a in dry.plan.actions] == [
        ("delete", "recipient", "other_recipient"), ("delete", "share", "other_share")]
    assert http.writes == []
    assert apply(ws, loads(SAMPLE), prune=True).writes == 2
    assert sorted(s.name for s in ws.client.shares.list_shares()) == [SHARE]


def test_grants_and_recipients_follow_the_document(ws: Workspace, http: HttpLog) -> None:
    apply(ws, loads(SAMPLE))
    http.clear()
    edited = SAMPLE.replace("""  - share: partner_analytics_share
    recipient: globex_inc
    permissions: [SELECT]
""", "").replace("comment: ACME Corporation", "comment: ACME Corp\n    properties: {region: EU}\n"
                 "    ip_access_list: [10.0.0.0/8]\n    expires: 2031-05-01T12:00:00Z")
    result = apply(ws, loads(edited))
    assert [(a.op, a.kind, a.target, a.item) for a in result.plan.actions] == [
        ("update", "recipient", "acme_corp", ""), ("revoke", "permission", SHARE, "globex_inc")]
    assert len(http.writes) == 2
    assert live_grants(ws, SHARE) == ["acme_corp"]
    acme = ws.client.recipients.get("acme_corp")
    assert acme.comment == "ACME Corp"
    assert acme.properties_kvpairs.properties == {"email": "data-team@acme.com", "region": "EU"}
    assert acme.ip_access_list.allowed_ip_addresses == ["10.0.0.0/8"]
    assert acme.expiration_time == 1935403200000  # 2031-05-01T12:00:00Z
    assert apply(ws, loads(edited)).writes == 0
    assert apply(ws, loads(export(ws))).writes == 0


def test_views_are_planned_first_and_a_refused_statement_is_reported(ws: Workspace) -> None:
    text = """
views:
  - name: main.analytics.eu_metrics
    sql: SELECT * FROM main.analytics.customer_metrics WHERE region = current_recipient('region')
shares:
  - name: views_share
    tables:
      - {name: main.analytics.eu_metrics, type: VIEW}
"""
    result = apply(ws, loads(text))
    assert result.plan.steps[0].call == "sql.execute"
    assert result.plan.steps[0].kwargs["statement"].startswith("CREATE OR REPLACE VIEW `main`.`analytics`.`eu_metrics` AS")
    if result.ok:  # once the server runs CREATE VIEW (issue 6)
        assert ws.client.tables.get("main.analytics.eu_metrics").view_definition
    else:  # until then: stopped at the first step, the workspace's message reported, nothing else tried
        assert [o.status for o in result.outcomes] == ["failed", "not tried", "not tried"]
        assert result.failure.message
        assert list(ws.client.shares.list_shares()) == []


def test_tenant_helper_is_idempotent(ws: Workspace, http: HttpLog) -> None:
    first = setup_tenant(ws, "initech", ["main.sales.orders"], email="it@initech.example",
                         properties={"region": "US"})
    assert first.ok and set(first.activation_links) == {"initech"}
    http.clear()
    assert setup_tenant(ws, "initech", ["main.sales.orders"], email="it@initech.example",
                        properties={"region": "US"}).writes == 0
    assert http.writes == []
    assert live_grants(ws, "initech_share") == ["initech"]
    with pytest.raises(ConfigError):
        setup_tenant(ws, "bad tenant", ["main.sales.orders"])


def test_progress_bar_on_long_applies(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    result = apply(ws, loads(SAMPLE), progress=None, progress_min=3)
    assert result.ok
    assert "sharekit apply" in capsys.readouterr().err
    apply(ws, loads(SAMPLE.replace("Analytics data for partners", "changed")), progress=None)  # 1 call: no bar
    assert "sharekit apply" not in capsys.readouterr().err


def test_on_step_reports_each_call(ws: Workspace) -> None:
    from sharekit.config.apply import apply_plan
    from sharekit.config.plan import make_plan

    plan = make_plan(ws.client, loads(SAMPLE))
    steps: list[tuple[int, int]] = []
    result = apply_plan(ws, plan, progress=False, on_step=lambda done, total: steps.append((done, total)))
    assert result.ok and len(plan.steps) == result.writes == 5
    assert steps == [(i, 5) for i in range(1, 6)]
