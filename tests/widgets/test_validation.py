"""The checks behind "validate as the user types", and the plain state objects, without widgets or a server."""

from __future__ import annotations

import pytest

from sharekit.widgets import validation as v
from sharekit.widgets.access_grid import AccessGrid
from sharekit.widgets.recipient_draft import DAY_MS, RecipientDraft


@pytest.mark.parametrize("name, fragment", [
    ("", "is required"), ("acme corp", "a space"), ("acme.corp", "a period"), ("a/b", "a slash"),
    ("a?b", "'?'"), ("a\tb", "control or blank"), ("-acme", "may only contain"), ("x" * 256, "longer than 255"),
])
def test_bad_names_are_named(name: str, fragment: str) -> None:
    problem = v.check_name(name, "recipient name")
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("name", ["acme", "ACME_corp", "acme-2", "_x", "x" * 255])
def test_good_names_pass(name: str) -> None:
    assert v.check_name(name) is None


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "300.1.1.1", "abc", "10.0.0.0/8/1", "::g"])
def test_bad_cidrs(entry: str) -> None:
    assert v.check_ip_list([entry]) == f"{entry!r} is not an IP address or CIDR block"


def test_good_cidrs_and_list_parsing() -> None:
    assert v.parse_ip_list(" 10.0.0.0/8,192.168.1.10\n2001:db8::/32 ;") == ["10.0.0.0/8", "192.168.1.10", "2001:db8::/32"]
    assert v.check_ip_list(v.parse_ip_list("10.0.0.0/8, 192.168.1.10, 2001:db8::/32")) is None
    assert v.check_ip_list(["10.0.0.0/8", "10.0.0.0/8"]) == "the IP allow list repeats '10.0.0.0/8'"
    assert "at most 100" in (v.check_ip_list([f"10.0.{i // 256}.{i % 256}" for i in range(101)]) or "")


def test_property_keys() -> None:
    assert v.check_properties([("region", "EU"), ("tier", "gold")]) is None
    assert v.check_properties([("region", "EU"), ("region", "US")]) == "duplicate property key 'region'"
    assert v.check_properties([("", "x")]) == "a property key is empty"
    assert "reserved" in (v.check_properties([("databricks.accountId", "x")]) or "")
    assert "may only contain" in (v.check_properties([("a b", "x")]) or "")


def test_aliases_tables_and_expiry() -> None:
    assert v.check_alias("") is None and v.check_alias("sales.orders_eu") is None
    assert v.check_alias("orders") is not None and v.check_alias("a.b.c") is not None and v.check_alias("a-b.c")
    assert v.check_table_name("main.sales.orders") is None and v.check_table_name("sales.orders")
    assert v.check_expiry_days(None) is None and v.check_expiry_days(0) is None and v.check_expiry_days(30) is None
    assert v.check_expiry_days(-1) and v.check_expiry_days(4000)


def test_recipient_draft_builds_the_create_call() -> None:
    draft = RecipientDraft(name=" acme ", comment="ACME", properties=[("region", "EU")],
                           ip_text="10.0.0.0/8\n192.168.1.10", expires_in_days=2)
    assert draft.create_args(now_ms=1_000) == {
        "name": "acme", "comment": "ACME", "properties": {"region": "EU"},
        "ip_access_list": ["10.0.0.0/8", "192.168.1.10"], "expires": 1_000 + 2 * DAY_MS}
    assert RecipientDraft(name="b").create_args() == {"name": "b", "comment": None, "properties": {},
                                                      "ip_access_list": [], "expires": None}
    with pytest.raises(ValueError, match="duplicate property key"):
        RecipientDraft(name="c", properties=[("k", "1"), ("k", "2")]).create_args()


def test_access_grid_pending_changes_and_one_body_per_share() -> None:
    grid = AccessGrid.of(["s1", "s2"], ["acme", "globex"], {("s1", "acme")})
    assert not grid.has_changes
    grid.set("s1", "globex", True)
    grid.set("s2", "acme", True)
    grid.set("s1", "acme", False)
    assert grid.is_pending("s1", "globex") and grid.is_pending("s1", "acme") and not grid.is_pending("s2", "globex")
    assert grid.additions == [("s1", "globex"), ("s2", "acme")] and grid.removals == [("s1", "acme")]
    bodies = {share: [c.as_dict() for c in changes] for share, changes in grid.changes_by_share().items()}
    assert bodies == {"s1": [{"principal": "globex", "add": ["SELECT"]}, {"principal": "acme", "remove": ["SELECT"]}],
                      "s2": [{"principal": "acme", "add": ["SELECT"]}]}
    grid.set("s1", "acme", True)  # ticking back cancels the pending revoke
    assert grid.removals == []
    grid.reset()
    assert not grid.has_changes
    with pytest.raises(LookupError):
        grid.set("nope", "acme", True)
