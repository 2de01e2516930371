"""RecipientForm driven like a user would (set values, click), against the real embedded server."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import NotFound

from sharekit.connect import Workspace
from sharekit.widgets import RecipientForm


def test_validation_disables_create_with_the_reason(ws: Workspace) -> None:
    form = RecipientForm(ws)
    assert form.create_button.disabled and "enter a recipient name" in form.reason_text
    form.name.value = "acme corp"
    assert form.create_button.disabled and "contains a space" in form.reason_text
    form.name.value = "acme_corp"
    assert not form.create_button.disabled and form.reason_text == ""
    first, second = form.add_property("region", "EU"), form.add_property("region", "US")
    assert form.create_button.disabled and "duplicate property key 'region'" in form.reason_text
    second.key.value = "tier"
    assert not form.create_button.disabled
    form.ip_list.value = "10.0.0.0/8, 10.1.2.300"
    assert form.create_button.disabled and "'10.1.2.300' is not an IP address" in form.reason_text
    form.ip_list.value = "10.0.0.0/8, 10.1.2.3"
    assert not form.create_button.disabled
    form.remove_property(first)
    assert [row.key.value for row in form.rows] == ["tier"]
    form.name.value = "bad name"
    assert form.create() is None and form.message_level == "error"  # a direct call still refuses bad input
    assert [r.name for r in ws.client.recipients.list()] == []


def test_create_shows_the_activation_link_and_the_workspace_has_the_recipient(ws: Workspace) -> None:
    form = RecipientForm(ws)
    form.name.value = "acme_corp"
    form.comment.value = "ACME, EU office"
    form.add_property("region", "EU")
    form.ip_list.value = "10.0.0.0/8\n192.168.1.10"
    form.expires_days.value = 30
    form.create_button.click()
    form.wait()
    assert form.message_level == "info" and "Recipient acme_corp created" in form.message
    info = ws.client.recipients.get("acme_corp")
    assert info.comment == "ACME, EU office"
    assert info.properties_kvpairs is not None and info.properties_kvpairs.properties["region"] == "EU"
    assert info.ip_access_list is not None
    assert info.ip_access_list.allowed_ip_addresses == ["10.0.0.0/8", "192.168.1.10"]
    assert info.expiration_time and info.expiration_time > info.created_at
    assert form.activation_url and form.activation_url in form.link.value
    assert "sharekit-copy" in form.link.value and "navigator.clipboard.writeText" in form.link.value
    assert form.existing.value == "acme_corp"
    # the link is the workspace's: it activates exactly once through the real SDK
    token = form.activation_url.rsplit("?", 1)[-1]
    profile = ws.client.recipient_activation.retrieve_token(token)
    assert profile.bearer_token


def test_a_workspace_error_is_shown_in_the_form_not_raised(ws: Workspace) -> None:
    from databricks.sdk.service.sharing import AuthenticationType

    ws.client.recipients.create("acme", authentication_type=AuthenticationType.TOKEN)
    form = RecipientForm(ws)
    form.name.value = "acme"
    form.create_button.click()
    outcome = form.wait()
    assert form.message_level == "error" and "already exists" in form.message.lower()
    assert "Traceback" not in form.message and isinstance(outcome, Exception)
    assert not form.create_button.disabled  # the user can fix the name and try again


def test_rotate_and_delete_ask_first(ws: Workspace) -> None:
    from databricks.sdk.service.sharing import AuthenticationType

    created = ws.client.recipients.create("globex", authentication_type=AuthenticationType.TOKEN)
    old_link = created.tokens[0].activation_url if created.tokens else created.activation_url
    form = RecipientForm(ws)
    assert form.existing.options == ("globex",) and form.existing.value == "globex"
    form.expire_existing.value = 3600
    form.rotate_button.click()
    assert form.confirm_box.layout.display == "flex" and "Rotate the token of globex" in form.confirm_prompt.value
    form.cancel_button.click()
    assert form.confirm_box.layout.display == "none" and form.message == "cancelled"
    assert len(ws.client.recipients.get("globex").tokens or []) == 1
    form.rotate_button.click()
    form.confirm_button.click()
    form.wait()
    assert "Token of globex rotated" in form.message
    tokens = ws.client.recipients.get("globex").tokens or []
    assert len(tokens) == 2
    assert form.activation_url and form.activation_url != old_link
    form.delete_button.click()
    assert "Delete recipient globex?" in form.confirm_prompt.value
    form.confirm_button.click()
    form.wait()
    assert form.message == "Recipient globex deleted." and form.existing.options == ()
    with pytest.raises(NotFound):
        ws.client.recipients.get("globex")
    assert form.rotate_button.disabled and form.delete_button.disabled
