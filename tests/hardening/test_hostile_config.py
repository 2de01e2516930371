"""Hypothesis-generated configurations through plan/apply: hostile names and values (unicode, huge, empty,
reserved words, path characters) are either refused before any write (ConfigError, the workspace unchanged)
or applied completely and converge; never half-applied. Random YAML never raises anything but ConfigError.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sharekit.config.apply import apply
from sharekit.config.loader import ConfigError, loads
from sharekit.config.plan import make_plan
from tests.hardening.conftest import ServerProcess, stress

pytestmark = pytest.mark.hostile

RESERVED = ["null", "~", "true", "False", "yes", "NO", "on", "0", "-1", "1e9", ".nan", "SELECT", "DROP TABLE shares",
            "system", "main", "information_schema", "default", "__proto__", "constructor", "admin", "delta-sharing",
            "<script>alert(1)</script>", "' OR '1'='1", "Robert'); DROP TABLE recipients;--", "%s%n", "{name}"]
PATHS = ["..", ".", "../../etc/passwd", "a/b", "a\\b", "/abs", "a?b", "a#b", "%2e%2e%2f", "a\x00b", "C:\\x", "~root",
         "a b", "a\tb", "a\nb", "tables/../catalog.db", "_delta_log"]
VALID = ["h_share", "h-share", "hs_1", "x" * 255]
TABLES = ["main.sales.orders", "main.analytics.customer_metrics", "main.analytics.product_sales"]

hostile_names = st.one_of(st.sampled_from(RESERVED + PATHS + VALID + [""]), st.text(max_size=40),
                  st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=300),
                  st.text(min_size=256, max_size=2000), st.sampled_from(["ünïcödé", "表格", "🙂share", "ǅ", "İ", "ß"]))
valid_names = st.from_regex(r"\A[a-z0-9_][a-z0-9_-]{0,30}\Z")
names = st.one_of(valid_names, valid_names, valid_names, hostile_names)  # mostly valid: one bad field refuses all
texts = st.one_of(st.none(), st.text(max_size=200), st.sampled_from(RESERVED + PATHS),
                  st.integers(min_value=200_000, max_value=1_500_000).map(lambda n: "c" * n))
scalars = st.one_of(texts, st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(st.text(max_size=5),
                                                                                               max_size=2))


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    share, recipient = draw(names), draw(names)
    table: Any = draw(st.one_of(st.sampled_from(TABLES), st.sampled_from(TABLES),
                                hostile_names.map(lambda n: f"main.sales.{n}")))
    if draw(st.booleans()):
        table = {"name": table, "comment": draw(texts), "shared_as": draw(st.one_of(st.none(), names))}
    recipient_entry: dict[str, Any] = {"name": recipient, "comment": draw(texts)}
    if draw(st.booleans()):
        recipient_entry["properties"] = {draw(names): draw(scalars)}
    return {"shares": [{"name": share, "comment": draw(texts), "tables": [table]}],
            "recipients": [recipient_entry],
            "grants": [{"share": draw(st.one_of(st.just(share), st.just(share), hostile_names)),
                        "recipient": draw(st.one_of(st.just(recipient), st.just(recipient), hostile_names))}]}


def snapshot(client: Any) -> tuple[Any, ...]:
    shares = sorted((s.name, s.comment, tuple(sorted(o.name for o in s.objects or [])))
                    for s in (client.shares.get(x.name, include_shared_data=True) for x in client.shares.list_shares()))
    recipients = sorted((r.name, r.comment, tuple(sorted(((r.properties_kvpairs or None) and
                                                          r.properties_kvpairs.properties or {}).items())))
                        for r in client.recipients.list())
    return tuple(shares), tuple(recipients)


def test_hostile_documents_are_refused_whole_or_applied_whole(module_server: ServerProcess) -> None:
    client = module_server.client()
    outcomes: dict[str, int] = {"refused": 0, "applied": 0}

    @settings(max_examples=stress(40, 300), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(documents())
    @example({"shares": [{"name": "big_comment", "comment": "c" * 1_200_000, "tables": ["main.sales.orders"]}],
              "recipients": [], "grants": []})
    @example({"shares": [{"name": "late_refusal", "tables": ["main.sales.orders"]}],
              "recipients": [{"name": "late_refusal_r", "comment": "c" * 1_200_000}], "grants": []})
    def check(doc: dict[str, Any]) -> None:
        text = yaml.safe_dump(doc, allow_unicode=True)
        before = snapshot(client)
        try:
            document = loads(text)
            plan = make_plan(client, document)
        except ConfigError:
            outcomes["refused"] += 1
            assert snapshot(client) == before  # refused before any write
            return
        result = apply(client, document, progress=False)
        if not result.ok and result.count("done") == 0:  # the workspace refused the first write: nothing changed
            outcomes["refused"] += 1
            assert snapshot(client) == before
            return
        assert result.ok, f"half-applied: {result.summary()}"
        assert not make_plan(client, document).has_changes, f"did not converge: {plan.summary()}"
        outcomes["applied"] += 1

    check()
    print(f"\nhostile configs: {sum(outcomes.values())} documents: {outcomes}")
    assert outcomes["refused"] > 0


@settings(max_examples=stress(300, 3000), deadline=None, database=None)
@given(st.one_of(st.text(max_size=400),
                 st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                              lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                              max_leaves=30).map(lambda v: yaml.safe_dump(v, allow_unicode=True))))
@example("a: &a [*a]")
@example("x: &x\n  - *x\n" * 3)
@example("shares: [" * 200)
@example("- !!python/object:os.system ['echo pwned']")
@example("\ufeffshares: []\n")
def test_random_yaml_raises_only_config_error(text: str) -> None:
    try:
        loads(text)
    except ConfigError as err:
        assert str(err)
