"""%recipient for every recipient type: OIDC_FEDERATION with its federation policies, DATABRICKS from a sharing
identifier, owners; "not activated" only for recipients that have an activation link; permission-denied objects."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from sharekit import recipients
from sharekit.connect import Workspace
from sharekit.display import recipient_card
from sharekit.recipients import PolicySummary, RecipientSummary

SHARING_ID = "azure:westus:f64dcb39-5046-4d4c-9588-c6ac84f9b38a"  # the DESCRIBE RECIPIENT example of Databricks' docs
ISSUER = "https://login.microsoftonline.com/tenant-1/v2.0"


def test_oidc_recipient_and_its_policies(ip: InteractiveShell, ws: Workspace) -> None:
    card = ip.run_line_magic("recipient", "create partner --type oidc --comment 'via Entra ID' --owner data-team")
    assert card.title == "created recipient partner" and not card.links
    assert ["authentication", "OIDC_FEDERATION"] in card.rows and ["owner", "data-team"] in card.rows
    assert any(row[0] == "policies" and "none" in row[1] for row in card.rows)
    added = ip.run_line_magic("recipient", f"policy add partner nightly-job --issuer {ISSUER} --audience api://share "
                                           "--audience api://other --subject-claim azp --subject app-123 "
                                           "--comment 'M2M app'")
    assert ["policy nightly-job", f"{ISSUER} · aud api://share, api://other · azp = app-123 (M2M app)"] in added.rows
    listed = ip.run_line_magic("recipient", "policy list partner")
    assert listed.rows == [["nightly-job", ISSUER, "api://share, api://other", "azp", "app-123", "M2M app"]]
    policy = ws.client.recipient_federation_policies.get_federation_policy("partner", "nightly-job")
    assert policy.oidc_policy is not None and policy.oidc_policy.subject == "app-123"
    note = ip.run_line_magic("recipient", "activation partner")
    assert note.level == "warning" and "no activation link" in note.title and "identity provider" in note.title
    ip.run_line_magic("recipient", "policy remove partner nightly-job")
    assert ip.run_line_magic("recipient", "policy list partner").rows == []


def test_databricks_recipient_from_a_sharing_identifier(ip: InteractiveShell, ws: Workspace) -> None:
    card = ip.run_line_magic("recipient", f"create globex --type databricks --sharing-id {SHARING_ID} "
                                          "--property tier=gold")
    assert ["sharing identifier", SHARING_ID] in card.rows
    assert ["properties", "tier=gold"] in card.rows, "the workspace's databricks.* properties are not the user's"
    ip.run_line_magic("recipient", "update globex --property region=EU --owner ops")
    info = ws.client.recipients.get("globex")
    assert info.owner == "ops" and info.properties_kvpairs is not None
    props = info.properties_kvpairs.properties
    assert props["tier"] == "gold" and props["region"] == "EU" and props["databricks.metastoreId"]


def test_list_says_not_activated_only_for_token_recipients(ip: InteractiveShell) -> None:
    ip.run_line_magic("recipient", "create acme")
    ip.run_line_magic("recipient", "create partner --type oidc_federation")
    ip.run_line_magic("recipient", f"create globex --type DATABRICKS --sharing-id {SHARING_ID}")
    listing = ip.run_line_magic("recipient", "list")
    rows = {row[0]: dict(zip(listing.columns, row)) for row in listing.rows}
    assert rows["acme"]["activated"] == "no"
    assert rows["partner"]["activated"] == rows["globex"]["activated"] == "n/a"
    assert rows["partner"]["auth"] == "OIDC_FEDERATION" and rows["globex"]["token expires"] == "n/a"
    assert listing.notes == ["not activated yet: acme (%recipient activation NAME shows the link)"]


def test_bad_types_and_policies_are_one_line_errors(ip_short: InteractiveShell, ws: Workspace) -> None:
    for line, text in (("create x --type databricks", "sharing identifier"),
                       (f"create x --type token --sharing-id {SHARING_ID}", "only to DATABRICKS"),
                       ("create x --type carrier-pigeon", "invalid choice"),
                       ("policy add nobody p --issuer https://i --audience a --subject s", "nobody")):
        with pytest.raises(UsageError, match=text):
            ip_short.run_line_magic("recipient", line)
    assert [r.name for r in ws.client.recipients.list()] == [], "nothing half-done"
    ip_short.run_line_magic("recipient", "create partner --type oidc")
    for line, text in (("policy add partner Bad_Name --issuer https://i --audience a --subject s", "lowercase"),
                       ("policy add partner p --issuer https://i --audience a --subject s --subject-claim email",
                        "subject claim"),
                       ("policy add partner p --issuer not-a-url --audience a --subject s", "issuer")):
        with pytest.raises(UsageError, match=text):
            ip_short.run_line_magic("recipient", line)
    assert list(ws.client.recipient_federation_policies.list("partner")) == []


def test_create_with_policies_in_one_call_and_rollback(ws: Workspace) -> None:
    policy = {"name": "m2m", "issuer": ISSUER, "audiences": ["api://share"], "subject": "app-1",
              "subject_claim": "azp"}
    recipients.create_recipient(ws, "partner", authentication_type="OIDC_FEDERATION", policies=[policy])
    assert [p.name for p in recipients.list_federation_policies(ws, "partner")] == ["m2m"]
    with pytest.raises(ValueError, match="only to OIDC_FEDERATION"):
        recipients.create_recipient(ws, "other", policies=[policy])
    with pytest.raises(ValueError, match="lowercase"):
        recipients.create_recipient(ws, "other", authentication_type="OIDC_FEDERATION",
                                    policies=[{**policy, "name": "NO"}])
    assert {r.name for r in ws.client.recipients.list()} == {"partner"}
    shown = recipients.get_recipient(ws, "partner")
    assert shown.policies == (PolicySummary("m2m", ISSUER, ("api://share",), "azp", "app-1"),)
    assert shown.denied == () and not shown.has_activation_link
    assert recipients.sharing_endpoint(ws) == f"{ws.host}/delta-sharing/"


def test_show_warns_about_permission_denied_objects() -> None:
    summary = RecipientSummary("acme", "TOKEN", True, None, None, None, None, shares=("s1",),
                               denied=("s1: main.sales.orders",))
    card = recipient_card(summary)
    assert card.level == "warning"
    assert card.notes == [("permission denied: s1: main.sales.orders (the share's owner lost access; the recipient "
                           "gets nothing of it)")]
