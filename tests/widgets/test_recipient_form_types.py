"""RecipientForm for every recipient type, driven like a user would, against the real embedded server."""

from __future__ import annotations

from sharekit.connect import Workspace
from sharekit.widgets import RecipientForm

SHARING_ID = "aws:us-west-2:19a85dee-54bc-43a2-87ab-023d0ec16013"
ISSUER = "https://login.microsoftonline.com/tenant-1/v2.0"


def test_type_shows_only_the_fields_it_needs(ws: Workspace) -> None:
    form = RecipientForm(ws)
    assert form.sharing_id.layout.display == "none" and form.policy_box.layout.display == "none"
    form.kind.value = "DATABRICKS"
    assert form.sharing_id.layout.display == "flex" and form.expires_days.layout.display == "none"
    assert form.name.layout.display != "none", "hiding one field hides no other"
    form.kind.value = "OIDC_FEDERATION"
    assert form.policy_box.layout.display == "flex" and form.sharing_id.layout.display == "none"


def test_create_a_databricks_recipient_from_its_sharing_identifier(ws: Workspace) -> None:
    form = RecipientForm(ws)
    form.name.value = "globex"
    form.kind.value = "DATABRICKS"
    assert form.create_button.disabled and "sharing identifier" in form.reason_text
    form.sharing_id.value = "aws:us-west-2"
    assert form.create_button.disabled
    form.sharing_id.value = SHARING_ID
    assert not form.create_button.disabled
    form.create_button.click()
    form.wait()
    assert "No activation link" in form.message and form.link.value == ""
    info = ws.client.recipients.get("globex")
    assert info.data_recipient_global_metastore_id == SHARING_ID and info.activated


def test_create_an_oidc_recipient_with_a_policy(ws: Workspace) -> None:
    form = RecipientForm(ws)
    form.name.value = "partner"
    form.kind.value = "OIDC_FEDERATION"
    assert not form.create_button.disabled, "a policy can be added later"
    form.policy_name.value = "M2M"
    assert form.create_button.disabled and "lowercase" in form.reason_text
    form.policy_name.value = "m2m"
    assert "issuer" in form.reason_text
    form.issuer.value = ISSUER
    assert "audience" in form.reason_text
    form.audiences.value = "api://share, api://other"
    form.subject_claim.value = "azp"
    assert "subject" in form.reason_text
    form.subject.value = "app-123"
    assert not form.create_button.disabled
    form.create_button.click()
    form.wait()
    assert "identity provider" in form.message
    policy = ws.client.recipient_federation_policies.get_federation_policy("partner", "m2m")
    assert policy.oidc_policy is not None
    assert (policy.oidc_policy.issuer, policy.oidc_policy.audiences, policy.oidc_policy.subject_claim,
            policy.oidc_policy.subject) == (ISSUER, ["api://share", "api://other"], "azp", "app-123")
    assert form.existing.value == "partner"
