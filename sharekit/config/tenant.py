"""The multi-tenant set-up in one idempotent call: a share with tables, a recipient, and the grant.

It builds a small document and runs it through the same plan/apply engine, so calling it again changes
nothing, and calling it with a different table list makes the share hold exactly those tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sharekit.config.apply import ApplyResult, apply
from sharekit.config.loader import validate

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from sharekit.connect import Workspace


def tenant_document(tenant: str, tables: Iterable[str | Mapping[str, Any]], *, email: str | None = None,
                    properties: Mapping[str, str] | None = None, share: str | None = None,
                    recipient: str | None = None, comment: str | None = None) -> dict[str, Any]:
    share_name = share or f"{tenant}_share"
    recipient_name = recipient or tenant
    recipient_entry: dict[str, Any] = {"name": recipient_name, "authentication_type": "TOKEN"}
    if comment is not None:
        recipient_entry["comment"] = comment
    if email is not None:
        recipient_entry["email"] = email
    if properties:
        recipient_entry["properties"] = dict(properties)
    share_entry: dict[str, Any] = {"name": share_name, "tables": [t if isinstance(t, str) else dict(t) for t in tables]}
    if comment is not None:
        share_entry["comment"] = comment
    return {"shares": [share_entry], "recipients": [recipient_entry],
            "grants": [{"share": share_name, "recipient": recipient_name, "permissions": ["SELECT"]}]}


def setup_tenant(target: Workspace | WorkspaceClient, tenant: str, tables: Iterable[str | Mapping[str, Any]], *,
                 email: str | None = None, properties: Mapping[str, str] | None = None, share: str | None = None,
                 recipient: str | None = None, comment: str | None = None,
                 dry_run: bool = False) -> ApplyResult:
    """Share ``tables`` with ``tenant`` (share ``<tenant>_share``, recipient ``<tenant>``, SELECT grant).

    Raises ConfigError for bad names or missing tables (nothing applied). The result carries the activation
    link when the recipient is new."""
    data = tenant_document(tenant, tables, email=email, properties=properties, share=share,
                           recipient=recipient, comment=comment)
    return apply(target, validate(data, source=f"tenant {tenant}"), dry_run=dry_run)
