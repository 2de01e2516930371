"""The document model and loader: the users' shape, the extended shape, and errors that name the line."""

from __future__ import annotations

import pytest

from sharekit.config.comparable import ObjectState
from sharekit.config.loader import ConfigError, loads
from tests.config.conftest import SAMPLE


def issues_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(text)
    return [str(i) for i in caught.value.issues]


def test_users_existing_document_loads_unchanged() -> None:
    config = loads(SAMPLE).config
    assert [s.name for s in config.shares] == ["partner_analytics_share"]
    assert [t.name for t in config.shares[0].tables] == [
        "main.analytics.customer_metrics", "main.analytics.product_sales", "main.sales.orders"]
    acme = config.recipients[0]
    assert (acme.name, acme.authentication_type, acme.email) == ("acme_corp", "TOKEN", "data-team@acme.com")
    assert acme.all_properties() == {"email": "data-team@acme.com"}  # email is kept as the property 'email'
    assert [g.permissions for g in config.grants] == [["SELECT"], ["SELECT"]]


def test_extended_object_forms() -> None:
    doc = loads("""
shares:
  - name: Partner
    tables:
      - name: main.sales.orders
        shared_as: sales.eu_orders
        comment: EU only
        partitions:
          - {region: {recipient_property: region}}
          - {region: EU, order_date: {like: "2026-%"}}
      - {name: main.inventory.stock_levels, history: {cdf: true}, start_version: 1}
      - {name: main.analytics, type: schema}
recipients:
  - {name: acme, properties: {region: EU, tier: 1}, ip_access_list: [10.0.0.0/8], expires: 2030-01-01}
""").config
    orders, stock, schema = doc.shares[0].tables
    assert doc.shares[0].name == "partner"
    assert orders.alias == "sales.eu_orders"
    state = ObjectState.from_spec(orders)
    assert state.partitions == (
        (("order_date", "LIKE", "2026-%", None), ("region", "EQUAL", "EU", None)),
        (("region", "EQUAL", None, "region"),),
    ) or state.partitions == (
        (("region", "EQUAL", None, "region"),),
        (("order_date", "LIKE", "2026-%", None), ("region", "EQUAL", "EU", None)),
    )
    assert (stock.history, stock.cdf, stock.start_version) == (True, True, 1)
    assert schema.type == "SCHEMA"
    recipient = doc.recipients[0]
    assert recipient.properties == {"region": "EU", "tier": "1"}
    assert recipient.expires == 1893456000000


def test_errors_name_line_field_and_problem() -> None:
    problems = issues_of("""shares:
  - name: s1
    tables:
      - main.sales
      - name: main.sales.orders
        histroy: true
recipients:
  - name: acme
    ip_access_list: [300.1.1.1]
grants:
  - {share: s1, recipient: acme, permissions: [MODIFY]}
""")
    assert problems == [
        "line 4: shares[0].tables[0]: table name 'main.sales' must have 3 parts (catalog.schema.table)",
        "line 6: shares[0].tables[1].histroy: unknown field 'histroy'; did you mean 'history'?",
        "line 9: recipients[0].ip_access_list: '300.1.1.1' is not an IP address or CIDR block",
        "line 11: grants[0].permissions[0]: 'MODIFY' is not allowed here; expected 'SELECT'",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("shares: [1, 2\n", "line 2: YAML syntax error"),
    ("- just\n- a list\n", "the document must be a mapping"),
    ("shares:\n  - name: a\n  - name: A\n", "line 3: shares[1].name: duplicate name 'a'"),
    ("shares:\n  - name: a\n    tables: [main.s.t, main.s.t]\n", "line 3: shares[0].tables[1]: 'main.s.t' is listed twice"),
    ("shares:\n  - name: a\n    tables: [x.s.t, y.s.t]\n", "recipients would see two tables named 's.t'"),
    ("recipients:\n  - name: r\n    email: x@y\n    properties: {email: z@y}\n", "not both"),
    ("recipients:\n  - name: r\n    properties: {databricks.x: a}\n", "reserved"),
    ("recipients:\n  - name: r\n    expires: soon\n", "line 3: recipients[0].expires"),
    ("shares:\n  - name: a\n    tables:\n      - {name: m.s.t, cdf: true}\n", "cdf needs history"),
    ("shares:\n  - name: a\n    tables:\n      - {name: m.s.t, partitions: [{r: {recipient_property: k, like: x}}]}\n",
     "needs either a value or a recipient_property"),
    ("grants:\n  - share: s\n", "line 2: grants[0].recipient: required field is missing"),
    ("views:\n  - {name: main.a.v, sql: 'DROP TABLE main.a.t'}\n", "must be a query"),
    ("views:\n  - {name: main.a.v, sql: 'SELECT 1; SELECT 2'}\n", "single query"),
    ("a: &a [*a]\n", "nested too deeply"),
    ("shares:\n  name: x\n  name: y\n", "line 3: shares.name: duplicate key 'name'"),
])
def test_invalid_documents(text: str, expected: str) -> None:
    assert any(expected in problem for problem in issues_of(text)), issues_of(text)


def test_alias_bomb_is_refused_quickly() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
               for i in range(1, 9)]
    assert any("too large" in p for p in issues_of("\n".join(levels) + "\n"))


def test_empty_sections_are_empty_lists() -> None:
    config = loads("shares:\nrecipients:\ngrants:\n").config
    assert (config.shares, config.recipients, config.grants) == ([], [], [])
