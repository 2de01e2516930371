"""The config engine against a replay of what a real Databricks workspace answers (tests/config/replay.py: the
SDK's wire model and the Terraform provider's recorded fixtures), through the real databricks-sdk over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

from sharekit.config.apply import apply, apply_plan
from sharekit.config.export import export
from sharekit.config.loader import ConfigError, loads
from sharekit.config.plan import Plan, make_plan
from tests.config.replay import Replay, serve


@pytest.fixture
def replay() -> Iterator[tuple[Replay, WorkspaceClient]]:
    state = Replay()
    server = serve(state)
    host = f"http://127.0.0.1:{server.server_address[1]}"
    client = WorkspaceClient(config=Config(host=host, token="dapi-replay", retry_timeout_seconds=5))
    try:
        yield state, client
    finally:
        server.shutdown()
        server.server_close()


def plan_of(client: WorkspaceClient, text: str, **kwargs: Any) -> Plan:
    return make_plan(client, loads(text), check_tables=False, **kwargs)


def ops(plan: Plan) -> list[tuple[str, str, str, str]]:
    return [(a.op, a.kind, a.target, a.item) for a in plan.actions]


def test_export_load_plan_is_no_change_for_every_type(replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    text = export(client)
    document = loads(text)  # every object type and recipient type loads
    kinds = {obj.type for share in document.config.shares for obj in share.tables}
    assert kinds == {"TABLE", "MODEL", "VOLUME", "SCHEMA", "NOTEBOOK_FILE", "MATERIALIZED_VIEW", "FUNCTION"}
    assert {r.authentication_type for r in document.config.recipients} == {"TOKEN", "DATABRICKS", "OIDC_FEDERATION"}
    oidc = next(r for r in document.config.recipients if r.name == "oidc_partner")
    assert [(p.name, p.subject_claim, p.audiences) for p in oidc.federation_policies] == [
        ("nightly-job", "azp", ["api://delta-sharing"])]
    assert "databricks." not in text  # reserved properties are never exported
    assert "agent1" not in text.split("\n# sharekit")[0].split("shares:")[-1]  # the unknown kind is left out ...
    assert "left out: share future_share object catalog.schema.agent1" in text  # ... and says so
    for prune in (False, True):
        plan = plan_of(client, text, prune=prune)
        assert not plan.has_changes, [str(a) for a in plan.actions]
    assert state.writes == []


def test_history_and_cdf_do_not_churn_and_writes_never_send_both(replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    document = """
shares:
  - name: history_share
    tables:
      - name: main.sales.orders
        shared_as: sales.orders
        partitions: [{region: {recipient_property: region}}]
        history: {cdf: true}
      - {name: main.sales.refunds, shared_as: sales.refunds}
grants:
  - {share: history_share, recipient: partner_ws}
"""
    assert not plan_of(client, document).has_changes  # ENABLED + cdf_enabled: true reads back as the document
    assert not plan_of(client, document.replace("history: {cdf: true}", "history: true")).has_changes
    changed = document.replace("history: {cdf: true}", "history: true\n        comment: orders with history")
    result = apply_plan(client, plan_of(client, changed))
    assert result.ok, result.summary()  # the replay refuses history + cdf_enabled together, as the API does
    [body] = state.writes_to("/shares/history_share")
    [update] = body["updates"]
    assert update["action"] == "UPDATE"
    assert update["data_object"]["history_data_sharing_status"] == "ENABLED"
    assert "cdf_enabled" not in update["data_object"]
    assert "shared_as" not in update["data_object"]  # an UPDATE never carries the alias (pluginfw diff())
    assert not plan_of(client, changed).has_changes


def test_permission_denied_objects_are_a_warning_in_plans_and_in_export(
        replay: tuple[Replay, WorkspaceClient]) -> None:
    _, client = replay
    plan = plan_of(client, "shares:\n  - name: history_share\n    objects_mode: merge\n")
    assert not plan.has_changes
    [notice] = [n for n in plan.notices if "PERMISSION_DENIED" in n]
    assert "main.sales.refunds" in notice and "WARNING: " + notice in plan.text()
    header = [line for line in export(client).splitlines() if line.startswith("#")]
    assert any("PERMISSION_DENIED" in line and "main.sales.refunds" in line for line in header)


MERGE = """
shares:
  - name: test_share
    objects_mode: {mode}
    tables:
      - {{name: catalog.schema.table1, shared_as: schema.table1}}
"""


def test_merge_mode_removes_nothing_the_document_does_not_name(replay: tuple[Replay, WorkspaceClient]) -> None:
    _, client = replay
    plan = plan_of(client, MERGE.format(mode="merge"))
    assert not plan.has_changes, [str(a) for a in plan.actions]
    added = MERGE.format(mode="merge") + "      - {name: catalog.schema.new_volume, type: VOLUME}\n"
    assert ops(plan_of(client, added)) == [("add", "object", "test_share", "catalog.schema.new_volume")]


def test_authoritative_mode_lists_each_removal_with_its_type(replay: tuple[Replay, WorkspaceClient]) -> None:
    _, client = replay
    plan = plan_of(client, MERGE.format(mode="authoritative"))
    removed = {a.item: a.detail for a in plan.actions if a.op == "remove"}
    assert removed == {"catalog.schema.model1": "MODEL — not a table", "catalog.schema.volume1": "VOLUME — not a table",
                       "catalog.schema1": "SCHEMA — not a table",
                       "catalog.schema.notebook1": "NOTEBOOK_FILE — not a table",
                       "catalog.schema.daily_mv": "MATERIALIZED_VIEW — not a table",
                       "catalog.schema.tax_fn": "FUNCTION — not a table"}
    assert sum("not a table" in n for n in plan.notices) == 6
    [step] = [s for s in plan.steps if "updates" in s.kwargs]
    sent = {(u.data_object.name, u.data_object.data_object_type.value) for u in step.kwargs["updates"]}
    assert ("catalog.schema.volume1", "VOLUME") in sent and all(u.action.value == "REMOVE"
                                                                for u in step.kwargs["updates"])


def test_unknown_kinds_are_never_removed_or_pruned(replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    only_table = ("shares:\n  - name: future_share\n    tables: [{name: catalog.schema.table2, shared_as: schema.table2}]\n"
                  "grants: [{share: future_share, recipient: a}]\n")
    plan = plan_of(client, only_table)
    assert not plan.has_changes and any("cannot name" in n for n in plan.notices)
    pruned = plan_of(client, "recipients: []\n", prune=True)
    deleted = {(a.kind, a.target) for a in pruned.actions if a.op == "delete"}
    assert ("recipient", "future_kind") not in deleted  # an authentication type the SDK could not identify
    assert ("share", "future_share") not in deleted  # it holds an object of an unknown kind
    assert {("share", "test_share"), ("share", "history_share"), ("recipient", "a")} <= deleted
    assert any("future_kind" in n for n in pruned.notices)
    assert state.writes == []


def test_oidc_recipients_grants_and_policies(replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    exported = export(client)
    kept = apply(client, loads(exported), prune=True, check_tables=False, pii=False)
    assert kept.ok and kept.writes == 0  # prune keeps the OIDC recipient the document names, and its grant
    # a grant to an existing OIDC recipient the document does not define is fine without prune
    grant = "grants:\n  - {share: history_share, recipient: oidc_partner}\n"
    assert ops(plan_of(client, grant)) == [("grant", "permission", "history_share", "oidc_partner")]
    policy = """
recipients:
  - name: oidc_partner
    authentication_type: OIDC_FEDERATION
    federation_policies:
      - {name: nightly-job, issuer: "https://login.microsoftonline.com/tenant/v2.0", audiences: [api://other],
         subject_claim: azp, subject: 0000-client-id, comment: nightly sync}
      - {name: analysts, issuer: "https://idp.example.com", audiences: [sharing], subject_claim: groups,
         subject: analysts}
"""
    plan = plan_of(client, policy)
    assert ops(plan) == [("replace", "policy", "oidc_partner", "nightly-job"),
                         ("create", "policy", "oidc_partner", "analysts"),
                         ("replace", "policy", "oidc_partner", "nightly-job")]
    assert apply_plan(client, plan).ok
    assert not plan_of(client, policy).has_changes
    created = state.writes_to("/federation-policies")
    assert {"name": "analysts", "oidc_policy": {"issuer": "https://idp.example.com", "audiences": ["sharing"],
                                                "subject_claim": "groups", "subject": "analysts"}} in created


def test_reserved_properties_are_kept_on_update_and_owner_round_trips(
        replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    document = """
recipients:
  - name: partner_ws
    authentication_type: DATABRICKS
    sharing_id: aws:us-west-2:0c1f5d4e-4b1a-4f5e-9b3c-2d7a8e9f0a1b
    owner: data-team
    properties: {region: US}
"""
    assert not plan_of(client, document.replace("US", "EU").replace("    owner: data-team\n", "")).has_changes
    result = apply(client, loads(document), check_tables=False, pii=False)
    assert result.ok, result.summary()
    properties, owner = state.writes_to("/recipients/partner_ws")
    # never sent: the client cannot set them and the workspace keeps them (the replay refuses them, as B's server)
    assert properties["properties_kvpairs"]["properties"] == {"region": "US"}
    assert owner == {"owner": "data-team"}  # in a call of its own, after the other changes
    kept = client.recipients.get("partner_ws").properties_kvpairs.properties
    assert kept == {"databricks.accountId": "a1b2", "databricks.metastoreId": "0c1f5d4e", "databricks.name": "partner",
                    "region": "US"}
    assert "owner: data-team" in export(client)
    assert not plan_of(client, document).has_changes


def test_aliases_go_in_the_field_of_their_type_and_a_changed_alias_is_remove_then_add(
        replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    document = export(client).replace("shared_as: ml.volume1", "shared_as: ml.renamed")
    plan = plan_of(client, document)
    assert ops(plan) == [("replace", "object", "test_share", "catalog.schema.volume1")]
    assert apply_plan(client, plan).ok
    [body] = state.writes_to("/shares/test_share")
    assert [(u["action"], u["data_object"].get("string_shared_as")) for u in body["updates"]] == [
        ("REMOVE", None), ("ADD", "ml.renamed")]
    assert "shared_as" not in body["updates"][1]["data_object"]
    assert not plan_of(client, document).has_changes


def test_rules_the_api_enforces_are_refused_before_any_write_naming_the_line(
        replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    cases = {
        "      - {name: c.s.v, type: VOLUME, partitions: [{region: EU}]}\n": "takes no partitions",
        "      - {name: c.s.m, type: MODEL, history: true}\n": "shared without history",
        "      - {name: c.s.t, string_shared_as: s.t}\n": "aliased with shared_as",
        "      - {name: c.s, type: SCHEMA, shared_as: s.t}\n": "takes no shared_as",
        "      - {name: c.s.t, content_file: nb.py}\n": "only for NOTEBOOK_FILE",
    }
    for line, message in cases.items():
        with pytest.raises(ConfigError) as err:
            loads("shares:\n  - name: s\n    tables:\n" + line)
        assert message in str(err.value) and "line 4" in str(err.value), str(err.value)
    with pytest.raises(ConfigError) as err:  # a notebook the share lacks cannot be added without its content
        plan_of(client, "shares:\n  - name: test_share\n    objects_mode: merge\n    tables:\n"
                        "      - {name: c.s.new_notebook, type: NOTEBOOK_FILE}\n")
    assert "line 5" in str(err.value) and "content_file" in str(err.value)
    assert state.writes == []


def test_a_notebook_is_added_with_its_file_content_base64(replay: tuple[Replay, WorkspaceClient],
                                                         tmp_path: Any) -> None:
    import base64

    from sharekit.config.loader import load

    state, client = replay
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "report.py").write_bytes(b"# Databricks notebook source\nprint('hello')\n")
    document = tmp_path / "share.yaml"
    document.write_text("shares:\n  - name: test_share\n    objects_mode: merge\n    tables:\n"
                        "      - {name: catalog.schema.report, type: NOTEBOOK_FILE, shared_as: report.py,\n"
                        "         content_file: notebooks/report.py}\n")
    plan = make_plan(client, load(document), check_tables=False)
    assert ops(plan) == [("add", "object", "test_share", "catalog.schema.report")]
    assert apply_plan(client, plan).ok
    [body] = state.writes_to("/shares/test_share")
    sent = body["updates"][0]["data_object"]
    assert base64.b64decode(sent["content"]) == b"# Databricks notebook source\nprint('hello')\n"
    assert sent["string_shared_as"] == "report.py" and "shared_as" not in sent
    assert not make_plan(client, load(document), check_tables=False).has_changes
    (tmp_path / "notebooks" / "report.py").write_bytes(b"print('changed')\n")
    changed = make_plan(client, load(document), check_tables=False)
    assert [(a.op, a.detail) for a in changed.actions] == [("update", "changes content; NOTEBOOK_FILE; as report.py")]
    assert changed.steps[0].kwargs["updates"][0].data_object.content == base64.b64encode(b"print('changed')\n").decode()
    (tmp_path / "notebooks" / "report.py").unlink()
    with pytest.raises(ConfigError) as err:
        load(document)
    assert "line 6" in str(err.value) and "cannot read notebooks/report.py" in str(err.value)


def test_share_owner_is_changed_last_in_a_call_of_its_own_and_exported(
        replay: tuple[Replay, WorkspaceClient]) -> None:
    state, client = replay
    document = export(client).replace("comment: every kind\n    owner: admin@example.com",
                                      "comment: every kind, owned by a group\n    owner: sharing-admins")
    assert document.count("sharing-admins") == 1
    plan = plan_of(client, document)
    assert [(a.op, a.target, a.detail) for a in plan.actions] == [
        ("update", "test_share", "comment 'every kind, owned by a group'"),
        ("update", "test_share", "owner sharing-admins")]
    assert apply_plan(client, plan).ok
    assert state.writes_to("/shares/test_share") == [{"comment": "every kind, owned by a group"},
                                                     {"owner": "sharing-admins"}]
    assert "owner: sharing-admins" in export(client)
    assert not plan_of(client, document).has_changes
