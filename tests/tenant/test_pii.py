"""The PII check: value and name rules, ``pii_report`` on the demo tables through the workspace client, plan
warnings and ``--strict`` refusals (Python API, CLI and ``%%share``), ``%recipient preview`` and the tenant
helper's ``row_filter``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import delta_sharing
import pytest
from IPython.core.error import UsageError

from sharekit import pii, sharing
from sharekit.config.apply import apply
from sharekit.config.loader import ConfigError, loads
from sharekit.config.tenant import setup_tenant
from sharekit.connect import Workspace
from tests.magics.conftest import make_shell
from tests.protocol.conftest import Provider, unique

PERSONAL = {"main.sales.customers": {"full_name": "person_name", "email": "email", "phone": "phone"},
            "main.saas.events": {"user_email": "email"}}
NOT_PERSONAL = ["main.analytics.customer_metrics", "main.analytics.product_sales", "main.sales.orders",
                "main.inventory.stock_levels"]


@pytest.mark.parametrize(("value", "kind"), [
    ("ada.lovelace@example.com", "email"), ("+44 20 7946 0958", "phone"), ("(555) 123-4567", "phone"),
    ("123-45-6789", "national_id"), ("4111 1111 1111 1111", "card_number"), (4012888888881881, "card_number"),
    ("192.168.10.4", "ip_address"), ("2001:db8::1", "ip_address"), ("Grace Hopper", "person_name"),
    ("221B Baker Street", "address"),
    ("4111 1111 1111 1112", None), ("2026-01-01", None), ("2026-01-01 10:00:00", None), (1234.5, None),
    (20260101, None), ("EU", None), ("shipped", None), ("mid-market", None), ("v1.2.3", None), ("", None),
])
def test_value_rules(value: object, kind: str | None) -> None:
    assert pii.kind_of_value(value) == kind


@pytest.mark.parametrize(("column", "kind"), [
    ("email", "email"), ("contactEmail", "email"), ("ip_address", "ip_address"), ("mobile_phone", "phone"),
    ("ssn", "national_id"), ("credit_card_number", "card_number"), ("first_name", "person_name"),
    ("street_address", "address"), ("date_of_birth", "birth_date"),
    ("customer_id", None), ("region", None), ("product_name", None), ("amount", None), ("updated_at", None),
])
def test_name_rules(column: str, kind: str | None) -> None:
    assert pii.kind_from_name(column) == kind


def test_values_alone_flag_a_column_with_an_innocent_name() -> None:
    rows = [["a@example.com", 1], ["b@example.com", 2], [None, 3]]
    assert [(f.column, f.kind) for f in pii.check_columns(["contact", "n"], rows)] == [("contact", "email")]
    assert pii.check_columns(["contact"], [["a@example.com"], ["x"], ["y"]]) == []  # 1 of 3 is not enough


@pytest.mark.parametrize("table", [*PERSONAL, *NOT_PERSONAL])
def test_pii_report_on_the_demo_tables(tws: Workspace, table: str) -> None:
    report = sharing.pii_report(tws, table)
    assert report.flagged == PERSONAL.get(table, {}), report
    assert report.sampled_rows > 0 and not report.notes
    assert ("personal data" in repr(report)) and "<table>" in report._repr_html_() or not report.has_pii


def test_pii_report_of_a_view_without_recipient_context_checks_names(tws: Workspace, provider: Provider) -> None:
    name = unique("v")
    tws.client.statement_execution.execute_statement(
        statement=f"CREATE VIEW main.sales.{name} AS SELECT email, region FROM main.sales.customers "
                  "WHERE region = current_recipient('region')", warehouse_id=tws.warehouse_id, wait_timeout="30s")
    report = sharing.pii_report(tws, f"main.sales.{name}")
    assert report.flagged == {"email": "email"} and "current_recipient" in report.notes[0]


PII_DOC = """
shares:
  - name: {share}
    tables:
      - main.sales.customers
      - main.analytics.customer_metrics
"""


def test_plan_warns_and_strict_refuses(tws: Workspace) -> None:
    share = unique("pii")
    planned = apply(tws, loads(PII_DOC.format(share=share)), dry_run=True)
    assert len(planned.plan.warnings) == 1
    assert "main.sales.customers" in planned.plan.warnings[0] and "email" in planned.plan.warnings[0]
    assert "customer_metrics" not in planned.plan.warnings[0]
    with pytest.raises(ConfigError, match="refused by --strict.*full_name") as refused:
        apply(tws, loads(PII_DOC.format(share=share)), strict=True)
    assert refused.value.issues[0].line == 5  # the line of the table in the document
    assert share not in {s.name for s in tws.client.shares.list_shares()}


def test_strict_in_the_cli_and_in_share_magic(tws: Workspace, tmp_path: Path) -> None:
    share = unique("pii")
    config = tmp_path / "shares.yaml"
    config.write_text(PII_DOC.format(share=share))
    command = [sys.executable, "-m", "sharekit", "plan", str(config), "--home", str(tws.home)]
    warned = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert warned.returncode == 2 and "PII warning" in warned.stdout, warned.stderr
    refused = subprocess.run([*command, "--strict"], capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 1 and "refused by --strict" in refused.stderr
    sharing.use_workspace(tws)
    shell = make_shell(short_errors=True)
    try:
        with pytest.raises(UsageError, match="refused by --strict"):
            shell.run_cell_magic("share", "--strict", PII_DOC.format(share=share))
        shown = shell.run_cell_magic("share", "--dry-run", PII_DOC.format(share=share))
        assert "PII warning" in repr(shown) and shown.level == "warning"
        provider = Provider(tws, tmp_path)
        name = provider.recipient(properties={"region": "EU"})
        shell.run_cell_magic("share", "", PII_DOC.format(share=share).replace("customers", "orders"))
        preview = shell.run_line_magic("recipient", f"preview {name} {share} --limit 3")
        assert len(preview["sales.orders"].sample) == 3 and not preview.granted
        with pytest.raises(UsageError, match="limit"):
            shell.run_line_magic("recipient", f"preview {name} {share} --limit -1")
    finally:
        shell.cleanup()
        sharing.use_workspace(None)


def test_tenant_helper_row_filter_picks_partition_spec_or_view(tws: Workspace, tmp_path: Path) -> None:
    tenant = unique("acme")
    result = setup_tenant(tws, tenant, ["main.saas.events"], row_filter={"tenant_id": "tenant"},
                          properties={"tenant": "acme"})
    assert result.ok, result.summary()
    objects = tws.client.shares.get(f"{tenant}_share", include_shared_data=True).objects or []
    assert objects[0].partitions and objects[0].partitions[0].values[0].recipient_property_key == "tenant"
    other = unique("eu")
    result = setup_tenant(tws, other, ["main.sales.customers"], row_filter="region", properties={"region": "EU"})
    assert result.ok, result.summary()
    objects = tws.client.shares.get(f"{other}_share", include_shared_data=True).objects or []
    assert [(o.name, o.data_object_type.value, o.shared_as) for o in objects] == [
        ("main.sales.customers_by_recipient", "VIEW", "sales.customers")]
    again = setup_tenant(tws, other, ["main.sales.customers"], row_filter="region", properties={"region": "EU"})
    assert again.writes == 0
    for name, alias, column, value in ((tenant, "saas.events", "tenant_id", "acme"),
                                       (other, "sales.customers", "region", "EU")):
        profile = Provider(tws, tmp_path).profile(name)
        frame = delta_sharing.load_as_pandas(f"{profile}#{name}_share.{alias}")
        assert len(frame) > 0 and set(frame[column]) == {value}
