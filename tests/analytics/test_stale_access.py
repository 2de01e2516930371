"""Stale access against a real server: real grants, a real activation and real reads in the real audit log."""

from __future__ import annotations

import time
from pathlib import Path

import delta_sharing
from databricks.sdk.service import sharing as S

from sharekit.activation import activate
from sharekit.analytics import SharingAnalytics
from sharekit.connect import Workspace


def _share(ws: Workspace, name: str, table: str) -> None:
    ws.client.shares.create(name)
    ws.client.shares.update(name, updates=[S.SharedDataObjectUpdate(
        action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(name=table))])


def _recipient(ws: Workspace, name: str, shares: list[str], expiration_time: int | None = None) -> None:
    ws.client.recipients.create(name, authentication_type=S.AuthenticationType.TOKEN, expiration_time=expiration_time)
    for share in shares:
        ws.client.shares.update_permissions(share, changes=[S.PermissionsChange(principal=name, add=["SELECT"])])


def test_stale_access_finds_unused_grants_unactivated_recipients_and_expiring_tokens(ws: Workspace,
                                                                                   tmp_path: Path) -> None:
    _share(ws, "orders_share", "main.sales.orders")
    _share(ws, "metrics_share", "main.analytics.customer_metrics")
    in_three_days = int((time.time() + 3 * 86_400) * 1000)
    _recipient(ws, "active", ["orders_share", "metrics_share"])
    _recipient(ws, "dormant", ["orders_share"])
    _recipient(ws, "expiring", [], expiration_time=in_three_days)
    profile = activate(ws, "active", tmp_path / "active.share")
    activate(ws, "expiring", tmp_path / "expiring.share")
    assert len(delta_sharing.load_as_pandas(f"{profile}#orders_share.sales.orders")) == 2000

    result = SharingAnalytics(ws).stale_access(days=30, expiring_within_days=14)
    found = {(row.kind, row.recipient, row.share if isinstance(row.share, str) else None)
             for row in result.df.itertuples()}
    assert found == {
        ("never_activated", "dormant", None),
        ("unused_grant", "active", "metrics_share"),  # granted, never read
        ("unused_grant", "dormant", "orders_share"),
        ("token_expiring", "expiring", None),
    }
    assert "system.access.audit" in result.to_sql()


def test_no_stale_access_gives_an_empty_result_with_a_note(ws: Workspace, tmp_path: Path) -> None:
    _share(ws, "orders_share", "main.sales.orders")
    _recipient(ws, "reader", ["orders_share"])
    profile = activate(ws, "reader", tmp_path / "reader.share")
    delta_sharing.load_as_pandas(f"{profile}#orders_share.sales.orders", limit=5)
    result = SharingAnalytics(ws).stale_access(days=7)
    assert result.df.empty and result.note and "no stale access" in result.note
