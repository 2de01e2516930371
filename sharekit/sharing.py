"""The public names users type as ``sharekit.sharing.X``: forwarding only.

Every operation takes a ``Workspace`` (from ``sharekit.connect``), a bare ``WorkspaceClient`` or ``None``:
the notebook's current workspace (``current_workspace()``, shared with the magics and the forms). The code
lives in ``sharekit.recipients`` (recipient operations), ``sharekit.session`` (the current workspace),
``sharekit.activation``, ``sharekit.preview``, ``sharekit.pii``, ``sharekit.config.tenant``, ``sharekit.shares``
(the share view) and ``sharekit.registration`` (registering local objects on the embedded server).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sharekit import activation, pii, preview, recipients, registration, shares
from sharekit.config import expiry, tenant
from sharekit.connect import WorkspaceLike
from sharekit.connect import client_of as _client_of
from sharekit.recipients import RecipientSummary
from sharekit.session import current_workspace, resolve, use_workspace

__all__ = ["RecipientSummary", "WorkspaceLike", "activate", "activation_link", "add_federation_policy", "client_of",
           "create_recipient", "current_workspace", "delete_recipient", "get_recipient", "grant",
           "list_federation_policies", "list_recipients", "parse_expires", "pii_report", "preview_as",
           "recipient_shares", "register_function", "register_model", "register_table", "register_volume",
           "remove_federation_policy", "revoke", "rotate_token", "setup_tenant", "setup_tenant_share",
           "sharing_endpoint", "show_share", "unregister", "update_recipient", "use_workspace"]

P = ParamSpec("P")
R = TypeVar("R")


def _on_current(operation: Callable[Concatenate[WorkspaceLike, P], R]
                ) -> Callable[Concatenate[WorkspaceLike | None, P], R]:
    """``operation`` with its first argument, ``target``, optional: None (or leaving it out) means the
    notebook's current workspace. ``target`` may be given by position or by keyword, as before."""

    def run(*args: Any, **kwargs: Any) -> R:
        if "target" in kwargs:
            kwargs["target"] = resolve(kwargs["target"])
        else:
            args = (resolve(args[0] if args else None), *args[1:])
        return operation(*args, **kwargs)

    functools.update_wrapper(run, operation)
    return cast("Callable[Concatenate[WorkspaceLike | None, P], R]", run)


activate = activation.activate
parse_expires = expiry.parse_expires

client_of = _on_current(_client_of)
list_recipients = _on_current(recipients.list_recipients)
get_recipient = _on_current(recipients.get_recipient)
recipient_shares = _on_current(recipients.recipient_shares)
create_recipient = _on_current(recipients.create_recipient)
update_recipient = _on_current(recipients.update_recipient)
rotate_token = _on_current(recipients.rotate_token)
activation_link = _on_current(recipients.activation_link)
grant = _on_current(recipients.grant)
revoke = _on_current(recipients.revoke)
delete_recipient = _on_current(recipients.delete_recipient)
add_federation_policy = _on_current(recipients.add_federation_policy)
list_federation_policies = _on_current(recipients.list_federation_policies)
remove_federation_policy = _on_current(recipients.remove_federation_policy)
sharing_endpoint = _on_current(recipients.sharing_endpoint)

setup_tenant = _on_current(tenant.setup_tenant)
setup_tenant_share = setup_tenant  # the playbook's MultiTenantSharingManager.setup_tenant_share name
preview_as = _on_current(preview.preview_as)
pii_report = _on_current(pii.pii_report)

show_share = _on_current(shares.show_share)
register_table = _on_current(registration.register_table)
register_volume = _on_current(registration.register_volume)
register_model = _on_current(registration.register_model)
register_function = _on_current(registration.register_function)
unregister = _on_current(registration.unregister)
