"""The plan's PII check costs no extra call by default: column names come from the schema listings the plan
reads anyway; values are sampled only where names leave doubt (or when asked), for a bounded number of tables."""

from __future__ import annotations

import pytest

from sharekit import pii
from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.connect import Workspace
from sharekit.pii.check import in_doubt
from tests.config.conftest import HttpLog, attach_log
from tests.protocol.conftest import unique

DOC = """
shares:
  - name: {share}
    tables:
      - main.sales.customers
      - main.analytics.customer_metrics
      - main.sales.orders
"""
PREVIEW = "/sharekit/admin/preview"


def reads(log: HttpLog, part: str) -> int:
    return sum(1 for method, path, _ in log.calls if method == "GET" and part in path)


@pytest.fixture
def log(tws: Workspace) -> HttpLog:
    return attach_log(tws)


def test_no_extra_calls_and_the_same_findings(tws: Workspace, log: HttpLog) -> None:
    planned = apply(tws, loads(DOC.format(share=unique("pii"))), dry_run=True, pii_sample="none")
    without = apply(tws, loads(DOC.format(share=unique("pii"))), dry_run=True, pii=False)
    assert planned.reads == without.reads  # the check read nothing of its own
    assert reads(log, PREVIEW) == 0 and reads(log, "/tables/main.") == 0  # no tables.get, no sample
    assert len(planned.plan.warnings) == 1 and "main.sales.customers" in planned.plan.warnings[0]
    for column in ("full_name", "email", "phone"):
        assert column in planned.plan.warnings[0]


def test_doubtful_names_are_sampled_within_the_bound(tws: Workspace, log: HttpLog) -> None:
    view = f"main.sales.{unique('contacts')}"
    tws.client.statement_execution.execute_statement(
        statement=f"CREATE VIEW {view} AS SELECT email AS contact, region FROM main.sales.customers",
        warehouse_id=tws.warehouse_id, wait_timeout="30s")
    doc = DOC.format(share=unique("pii")) + f"      - {{name: {view}, type: VIEW}}\n"
    sampled = apply(tws, loads(doc), dry_run=True)
    assert reads(log, PREVIEW) == 1  # only the view whose "contact" column leaves doubt
    assert any(view in w and "contact: e-mail address" in w and "sampled values" in w
               for w in sampled.plan.warnings), sampled.plan.warnings
    log.calls.clear()
    bounded = apply(tws, loads(doc), dry_run=True, pii_max_samples=0)
    assert reads(log, PREVIEW) == 0 and not any(view in w for w in bounded.plan.warnings)
    assert bounded.plan.pii_notes and view in bounded.plan.pii_notes[0] and "bound of 0" in bounded.plan.pii_notes[0]
    log.calls.clear()
    everything = apply(tws, loads(doc), dry_run=True, pii_sample="all", pii_max_samples=2)
    assert reads(log, PREVIEW) == 2 and "beyond the bound of 2" in everything.plan.pii_notes[0]


def test_doubt_rule() -> None:
    assert in_doubt([("contact", "STRING")]) and in_doubt([("owner_info", "VARCHAR(20)")])
    assert not in_doubt([("contact", "BIGINT")])  # not text
    assert not in_doubt([("email", "STRING")])  # the name rule flags it already
    assert not in_doubt([("region", "STRING"), ("amount", "DOUBLE"), ("customer_id", "BIGINT")])
    assert pii.kind_from_name("contact") is None
