"""AccessForm: the grid shows the workspace's grants; ticks are pending until applied; revokes need a confirm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk.service.sharing import AuthenticationType, PermissionsChange

from sharekit.config.calls import count_calls
from sharekit.connect import Workspace
from sharekit.widgets import AccessForm
from sharekit.widgets.access_form import PENDING_BACKGROUND


def grants(ws: Workspace, share: str) -> set[str]:
    response = ws.client.shares.share_permissions(share)
    return {a.principal for a in response.privilege_assignments or [] if a.principal}


@pytest.fixture
def arranged(ws: Workspace) -> Iterator[Workspace]:
    for share in ("s_one", "s_two"):
        ws.client.shares.create(share)
    for recipient in ("acme", "globex"):
        ws.client.recipients.create(recipient, authentication_type=AuthenticationType.TOKEN)
    ws.client.shares.update_permissions("s_one", changes=[PermissionsChange(principal="acme", add=["SELECT"])])
    yield ws


def test_grid_shows_current_grants_and_applies_one_call_per_share(arranged: Workspace) -> None:
    ws = arranged
    form = AccessForm(ws)
    assert set(form.cells) == {(s, r) for s in ("s_one", "s_two") for r in ("acme", "globex")}
    assert form.cells[("s_one", "acme")].value and not form.cells[("s_one", "globex")].value
    assert form.apply_button.disabled and "1 grant(s) on 2 share(s)" in form.message
    form.tick("s_one", "globex")
    form.tick("s_two", "acme")
    form.tick("s_two", "globex")
    assert form.cells[("s_one", "globex")].style.background == PENDING_BACKGROUND
    assert form.cells[("s_one", "acme")].style.background == ""
    assert "grant s_two → globex" in form.pending_html.value and not form.apply_button.disabled
    with count_calls(ws.client) as calls:
        form.apply_button.click()
        form.wait()
    writes = [(method, path) for method, path, _ in calls.log if method != "GET"]
    assert writes == [("PATCH", "/api/2.1/unity-catalog/shares/s_one/permissions"),
                      ("PATCH", "/api/2.1/unity-catalog/shares/s_two/permissions")]
    assert grants(ws, "s_one") == {"acme", "globex"} and grants(ws, "s_two") == {"acme", "globex"}
    assert form.message == "updated 2 share(s): s_one, s_two" and form.message_level == "info"
    assert not form.grid.has_changes and form.apply_button.disabled and form.pending_html.value == ""
    assert all(cell.value and cell.style.background == "" for cell in form.cells.values())


def test_revoke_asks_for_confirmation(arranged: Workspace) -> None:
    ws = arranged
    form = AccessForm(ws)
    form.tick("s_one", "acme", False)
    assert "revoke s_one → acme" in form.pending_html.value
    form.apply_button.click()
    assert form.confirm_box.layout.display == "flex" and "Revoke 1 grant(s): acme from s_one" in form.confirm_prompt.value
    assert grants(ws, "s_one") == {"acme"}  # nothing happens before the confirmation
    form.cancel_button.click()
    assert form.confirm_box.layout.display == "none" and grants(ws, "s_one") == {"acme"}
    form.apply_button.click()
    form.confirm_button.click()
    form.wait()
    assert grants(ws, "s_one") == set() and not form.cells[("s_one", "acme")].value


def test_discard_and_refresh_follow_the_workspace(arranged: Workspace) -> None:
    ws = arranged
    form = AccessForm(ws)
    form.tick("s_two", "globex")
    form.reset_button.click()
    assert not form.grid.has_changes and not form.cells[("s_two", "globex")].value
    ws.client.shares.update_permissions("s_two", changes=[PermissionsChange(principal="globex", add=["SELECT"])])
    ws.client.shares.create("s_three")
    form.refresh_button.click()
    form.wait()
    assert form.cells[("s_two", "globex")].value and ("s_three", "acme") in form.cells


def test_a_failed_call_is_reported_in_the_form(arranged: Workspace) -> None:
    ws = arranged
    form = AccessForm(ws)
    form.tick("s_one", "globex")
    form.tick("s_two", "globex")
    ws.client.recipients.delete("globex")  # someone else removed it meanwhile
    form.apply_button.click()
    form.wait()
    assert form.message_level == "error" and form.last_report is not None
    assert form.last_report.failed is not None and form.last_report.failed[0] == "s_one"
    assert "failed on s_one" in form.message and "not tried: s_two" in form.message
    assert "globex" not in {r for _, r in form.cells}  # the grid shows the workspace as it now is
