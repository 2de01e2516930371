"""The parallel apply against the real embedded server, through a small proxy in front of it (bench/proxy.py):
dependencies hold under concurrency, the exact summary after a failure the proxy injects, convergence on
re-run, and 429 answers retried after ``Retry-After`` (bounded)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.proxy import Answer, Proxy, Rule, Seen
from sharekit.config import calls as calls_module
from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.connect import LOCAL_WAREHOUSE_ID, Home, Workspace, local_client

API = "/api/2.1/unity-catalog"

DOC = """
views:
  - name: main.analytics.eu_metrics
    sql: SELECT * FROM main.analytics.customer_metrics WHERE region = 'EU'
shares:
  - name: p_a
    tables:
      - {name: main.analytics.eu_metrics, type: VIEW}
      - main.sales.orders
  - name: p_b
    tables: [main.analytics.product_sales]
  - name: p_c
    tables: [main.inventory.stock_levels]
recipients:
  - name: r1
  - name: r2
grants:
  - {share: p_a, recipient: r1}
  - {share: p_b, recipient: r2}
  - {share: p_c, recipient: r1}
  - {share: p_c, recipient: r2}
"""


@contextmanager
def proxied(ws: Workspace, delay_s: float = 0.05, rule: Rule | None = None,
            retry_timeout_s: int | None = None) -> Iterator[tuple[Workspace, Proxy]]:
    """A workspace whose client goes through a proxy in front of ``ws``'s server."""
    assert ws.home is not None
    with Proxy(ws.host, delay_s, rule) as proxy:
        client = local_client(proxy.url, Home(ws.home).admin_token())
        if retry_timeout_s is not None:
            client.api_client._api_client._retry_timeout_seconds = retry_timeout_s
        yield Workspace(client, "local", proxy.url, home=ws.home, warehouse_id=LOCAL_WAREHOUSE_ID), proxy


def writes(proxy: Proxy) -> list[Seen]:
    return [s for s in proxy.seen if s.method not in ("GET", "HEAD")]


def most_at_once(seen: list[Seen]) -> int:
    """The largest number of calls in flight at one instant."""
    events = sorted([(s.started, 1) for s in seen] + [(s.ended, -1) for s in seen])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def first(seen: list[Seen], method: str, path: str) -> Seen:
    return next(s for s in seen if s.method == method and s.path == path and s.status < 400)


def test_dependencies_hold_under_concurrency_and_calls_overlap(ws: Workspace) -> None:
    with proxied(ws) as (target, proxy):
        result = apply(target, loads(DOC), parallel=4)
    assert result.ok, result.summary()
    seen = writes(proxy)
    view = first(seen, "POST", "/api/2.0/sql/statements")
    for share in ("p_a", "p_b", "p_c"):
        created = next(s for s in seen if s.path == f"{API}/shares" and json.loads(s.body)["name"] == share)
        updated = first(seen, "PATCH", f"{API}/shares/{share}")
        granted = first(seen, "PATCH", f"{API}/shares/{share}/permissions")
        assert created.ended <= updated.started and updated.ended <= granted.started  # share before objects
        for change in json.loads(granted.body)["changes"]:
            recipient = next(s for s in seen if s.path == f"{API}/recipients"
                             and json.loads(s.body)["name"] == change["principal"])
            assert recipient.ended <= granted.started  # recipient before its grants
    assert view.ended <= first(seen, "PATCH", f"{API}/shares/p_a").started  # view before the share using it
    assert 1 < most_at_once(seen) <= 4  # calls really ran concurrently, never more than ``parallel`` at once
    again = apply(ws, loads(DOC))
    assert again.writes == 0 and not again.plan.has_changes


def test_injected_failure_stops_new_calls_and_the_summary_is_exact(ws: Workspace) -> None:
    def fail_p_b(method: str, path: str, body: bytes) -> Answer | None:
        if method == "PATCH" and path == f"{API}/shares/p_b":
            return 500, {"Content-Type": "application/json"}, json.dumps(
                {"error_code": "INTERNAL_ERROR", "message": "injected failure"}).encode()
        return None

    with proxied(ws, rule=fail_p_b) as (target, proxy):
        result = apply(target, loads(DOC), parallel=2)
    assert not result.ok
    by_call = {(o.step.call, o.step.kwargs.get("name")): o.status for o in result.outcomes}
    assert by_call[("shares.update", "p_b")] == "failed"
    assert result.failure is not None and result.failure.message == "injected failure"
    assert by_call[("shares.update_permissions", "p_b")] == "not tried"  # depends on the failed call
    # the proxy saw exactly the calls done and the failed one: nothing "not tried" was sent
    statuses = [o.status for o in result.outcomes]
    sent = writes(proxy)
    assert len(sent) == statuses.count("done") + 1 == result.writes
    assert [s.status for s in sent].count(500) == 1 and "not tried" in statuses
    done, not_tried = result.count("done"), result.count("not tried")
    assert done + 1 + not_tried == len(result.plan.actions)  # p_b's update carries one action
    assert result.summary() == (
        f"apply stopped: shares.update p_b failed: injected failure — {done} change(s) done, 1 failed, "
        f"{not_tried} not tried; fix the cause and apply again to converge")
    again = apply(ws, loads(DOC))  # re-running converges: only what was missing
    assert again.ok, again.summary()
    left = [a for o in result.outcomes if o.status != "done" for a in o.step.actions]
    assert sorted(map(str, again.plan.actions)) == sorted(map(str, left))  # exactly what was not done
    assert apply(ws, loads(DOC)).writes == 0


def test_429_is_retried_after_retry_after_and_counted(ws: Workspace) -> None:
    answered: list[str] = []

    def throttle_once(method: str, path: str, body: bytes) -> Answer | None:
        if method == "POST" and path == f"{API}/recipients" and not answered:
            answered.append(path)
            return 429, {"Retry-After": "1", "Content-Type": "application/json"}, json.dumps(
                {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}).encode()
        return None

    with proxied(ws, delay_s=0.0, rule=throttle_once) as (target, proxy):
        started = time.perf_counter()
        result = apply(target, loads(DOC))
        elapsed = time.perf_counter() - started
    assert result.ok, result.summary()
    assert result.throttled == 1 and answered
    throttled = next(s for s in proxy.seen if s.status == 429)
    retry = next(s for s in proxy.seen if s.path == throttled.path and s.body == throttled.body and s.status < 400)
    assert retry.started - throttled.ended >= 1.0 and elapsed >= 1.0  # waited as Retry-After said


def test_throttling_waits_are_bounded(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A huge Retry-After is capped; a call throttled for ever fails once the SDK's retry timeout runs out."""
    monkeypatch.setattr(calls_module, "MAX_RETRY_AFTER_S", 1)

    def always(method: str, path: str, body: bytes) -> Answer | None:
        if method == "PATCH" and path == f"{API}/shares/p_c":
            return 429, {"Retry-After": "3600"}, b'{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "busy"}'
        return None

    with proxied(ws, delay_s=0.0, rule=always, retry_timeout_s=3) as (target, _):
        started = time.perf_counter()
        result = apply(target, loads(DOC))
        elapsed = time.perf_counter() - started
    assert elapsed < 15
    assert result.failure is not None and result.failure.step.kwargs["name"] == "p_c"
    assert "Timed out" in result.failure.message and result.throttled >= 2
    assert apply(ws, loads(DOC)).ok


def test_parallel_is_validated() -> None:
    with pytest.raises(ValueError, match="parallel"):
        calls_module.check_parallel(0)
    with pytest.raises(ValueError, match="parallel"):
        calls_module.check_parallel(calls_module.MAX_PARALLEL + 1)


def test_parallel_in_share_magic_and_config(ws: Workspace) -> None:
    from IPython.core.error import UsageError

    from sharekit import sharing
    from tests.magics.conftest import make_shell

    sharing.use_workspace(ws)
    shell = make_shell(short_errors=True)
    try:
        with pytest.raises(UsageError, match="parallel must be"):
            shell.run_cell_magic("share", "--parallel 0", DOC)
        magics = next(c for c in shell.configurables if hasattr(c, "parallel"))
        magics.parallel = 1  # what %config ShareMagics.parallel = 1 sets
        shown = shell.run_cell_magic("share", "", DOC)
        assert shown.result.ok
        assert shell.run_cell_magic("share", "--parallel 3", DOC).result.writes == 0
    finally:
        shell.cleanup()
        sharing.use_workspace(None)



def test_activation_links_come_in_the_plans_order(ws: Workspace) -> None:
    """The first recipient's create is held back, so it finishes last; its link is still listed first."""
    doc = "recipients:\n" + "".join(f"  - name: order_{i}\n" for i in range(4))

    def hold_first(method: str, path: str, body: bytes) -> None:  # no answer of its own: the proxy forwards
        if method == "POST" and path.endswith("/recipients") and b'"order_0"' in body:
            time.sleep(0.5)

    with proxied(ws, delay_s=0.0, rule=hold_first) as (target, proxy):
        result = apply(target, loads(doc), parallel=4)
    assert result.ok, result.summary()
    finished = [json.loads(s.body)["name"] for s in sorted(writes(proxy), key=lambda s: s.ended)]
    assert finished[-1] == "order_0"  # the hold worked: the calls did finish out of order
    assert list(result.activation_links) == [f"order_{i}" for i in range(4)]

def test_schedule_is_generic_over_calls() -> None:
    """Removals before re-adds (calls on one share keep their order), a recipient before the policies and grants
    naming it, views before the shares using them; a call with nothing to key on is a barrier."""
    from databricks.sdk.service import sharing

    from sharekit.config.plan import Action, Step
    from sharekit.config.schedule import dependencies

    def update(share: str, *names: str) -> Step:
        return Step("shares", "update", {"name": share, "updates": [
            sharing.SharedDataObjectUpdate(data_object=sharing.SharedDataObject(name=n)) for n in names]}, [])

    steps = [
        Step("sql", "execute", {"statement": "CREATE VIEW"}, [Action("create", "view", "c.s.v")]),  # 0
        update("a", "c.s.t"),  # 1: removals
        update("a", "c.s.t"),  # 2: re-adds
        update("b", "c.s.v"),  # 3: uses the view
        Step("recipients", "create", {"name": "r"}, []),  # 4
        Step("recipient_federation_policies", "create", {"recipient_name": "r", "policy": None}, []),  # 5
        Step("shares", "update_permissions", {"name": "b", "changes": [
            sharing.PermissionsChange(principal="r", add=["SELECT"])]}, []),  # 6
        Step("metastores", "update", {"id": "m"}, []),  # 7: nothing to key on
        update("a", "c.s.u"),  # 8
    ]
    waits = dependencies(steps)
    assert waits[1] == set() and waits[2] == {1} and waits[3] == {0}
    assert waits[5] == {4} and waits[6] == {3, 4}  # policies and grants of one recipient run side by side
    assert waits[7] == set(range(7)) and waits[8] == {7}



def test_a_changed_policy_is_deleted_before_it_is_created_again() -> None:
    """A changed federation policy is a delete (``name``) then a create (the name inside ``policy``): same key."""
    from databricks.sdk.service import sharing

    from sharekit.config.plan import Step
    from sharekit.config.schedule import dependencies

    policy = sharing.FederationPolicy(name="nightly")
    steps = [
        Step("recipient_federation_policies", "delete", {"recipient_name": "r", "name": "nightly"}, []),  # 0
        Step("recipient_federation_policies", "create", {"recipient_name": "r", "policy": policy}, []),  # 1
        Step("recipient_federation_policies", "create", {"recipient_name": "s", "policy": policy}, []),  # 2
    ]
    assert dependencies(steps) == [set(), {0}, set()]  # another recipient's policy of that name is independent

def test_one_default_for_calls_in_flight() -> None:
    """The magic's setting and the CLI's help repeat the engine's default (they must not import the engine)."""
    from sharekit.cli.parser import build_parser
    from sharekit.magics.extension import ShareMagics

    assert ShareMagics.class_traits()["parallel"].default_value == calls_module.DEFAULT_PARALLEL
    help_text = build_parser().format_help() + "".join(
        action.format_help() for action in build_parser()._subparsers._group_actions[0].choices.values())
    assert f"default {calls_module.DEFAULT_PARALLEL})" in help_text
    assert f"1-{calls_module.MAX_PARALLEL};" in help_text
