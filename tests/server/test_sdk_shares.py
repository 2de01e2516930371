"""Shares and share permissions through the real databricks-sdk against the real server process."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotFound, ResourceConflict
from databricks.sdk.service import sharing

from sharekit.connect import Workspace

A = sharing.SharedDataObjectUpdateAction


def table(name: str, **kw: object) -> sharing.SharedDataObject:
    return sharing.SharedDataObject(name=name, data_object_type=sharing.SharedDataObjectDataObjectType.TABLE, **kw)  # type: ignore[arg-type]


def upd(action: sharing.SharedDataObjectUpdateAction, obj: sharing.SharedDataObject) -> sharing.SharedDataObjectUpdate:
    return sharing.SharedDataObjectUpdate(action=action, data_object=obj)


def test_share_lifecycle(mws: Workspace, unique: str) -> None:
    w = mws.client
    created = w.shares.create(unique.upper(), comment="partners")
    assert created.name == unique and created.comment == "partners"
    assert created.owner == created.created_by == "admin@sharekit.local" and created.created_at and created.created_at > 1e12
    region = sharing.PartitionValue(name="region", op=sharing.PartitionValueOp.EQUAL, recipient_property_key="region")
    us = sharing.PartitionValue(name="region", op=sharing.PartitionValueOp.EQUAL, value="US")
    info = w.shares.update(unique, updates=[
        upd(A.ADD, table("main.sales.orders", shared_as="sales.orders_by_region",
                         partitions=[sharing.Partition(values=[region]), sharing.Partition(values=[us])],
                         history_data_sharing_status=sharing.SharedDataObjectHistoryDataSharingStatus.ENABLED)),
        upd(A.ADD, table("main.inventory.stock_levels", cdf_enabled=True, start_version=1, comment="stock")),
        upd(A.ADD, sharing.SharedDataObject(name="main.analytics", data_object_type=sharing.SharedDataObjectDataObjectType.SCHEMA)),
    ])
    orders, stock, schema = info.objects or []
    assert orders.shared_as == "sales.orders_by_region" and orders.status == sharing.SharedDataObjectStatus.ACTIVE
    assert orders.history_data_sharing_status == sharing.SharedDataObjectHistoryDataSharingStatus.ENABLED
    assert orders.partitions and orders.partitions[0].values[0].recipient_property_key == "region"
    assert orders.partitions[1].values[0].value == "US" and orders.added_by == "admin@sharekit.local"
    assert stock.shared_as == "inventory.stock_levels" and stock.cdf_enabled and stock.start_version == 1
    assert schema.data_object_type == sharing.SharedDataObjectDataObjectType.SCHEMA and schema.shared_as is None
    assert w.shares.get(unique).objects == [], "objects only with include_shared_data"
    assert [o.name for o in w.shares.get(unique, include_shared_data=True).objects or []] == [
        "main.sales.orders", "main.inventory.stock_levels", "main.analytics"]

    changed = w.shares.update(unique, comment="new", updates=[
        upd(A.UPDATE, table("main.inventory.stock_levels", comment="stock v2")),
        upd(A.REMOVE, sharing.SharedDataObject(name="main.analytics")),
    ])
    assert changed.comment == "new" and [o.comment for o in changed.objects or []] == [None, "stock v2"]
    assert (changed.objects or [])[1].cdf_enabled, "UPDATE keeps the fields it does not send"
    assert changed.updated_at and changed.created_at and changed.updated_at >= changed.created_at

    renamed = w.shares.update(unique, new_name=unique + "_v2")
    assert renamed.name == unique + "_v2"
    with pytest.raises(NotFound):
        w.shares.get(unique)
    w.shares.delete(unique + "_v2")
    with pytest.raises(NotFound) as err:
        w.shares.get(unique + "_v2")
    assert err.value.error_code == "SHARE_DOES_NOT_EXIST"


def test_share_errors_map_to_sdk_exceptions(mws: Workspace, unique: str) -> None:
    w = mws.client
    w.shares.create(unique)
    with pytest.raises(ResourceConflict) as conflict:
        w.shares.create(unique)
    assert conflict.value.error_code == "SHARE_ALREADY_EXISTS"
    w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.orders"))])
    with pytest.raises(ResourceConflict) as twice:
        w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.orders"))])
    assert twice.value.error_code == "RESOURCE_ALREADY_EXISTS" and "Shared Table 'main.sales.orders' already exists" in str(twice.value)
    with pytest.raises(NotFound) as missing:
        w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.nope"))])
    assert missing.value.error_code == "TABLE_DOES_NOT_EXIST"
    with pytest.raises(InvalidParameterValue):
        w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.customers", shared_as="bad.alias.x"))])
    with pytest.raises(ResourceConflict):
        w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.customers", shared_as="sales.orders"))])
    part = sharing.Partition(values=[sharing.PartitionValue(name="status", op=sharing.PartitionValueOp.EQUAL, value="x")])
    with pytest.raises(InvalidParameterValue, match="not a partition column"):
        w.shares.update(unique, updates=[upd(A.ADD, table("main.sales.customers", partitions=[part]))])
    too_many = [upd(A.ADD, table(f"main.sales.t{i}")) for i in range(101)]
    with pytest.raises(BadRequest):
        w.shares.update(unique, updates=too_many)
    with pytest.raises(InvalidParameterValue):
        w.shares.create("bad name")
    with pytest.raises(NotFound):
        w.shares.delete(unique + "_missing")
    assert [o.name for o in w.shares.get(unique, include_shared_data=True).objects or []] == ["main.sales.orders"]


def test_share_permissions(mws: Workspace, unique: str) -> None:
    w = mws.client
    w.shares.create(unique)
    for name in ("a", "b"):
        w.recipients.create(f"{unique}_{name}", sharing.AuthenticationType.TOKEN)
    response = w.shares.update_permissions(unique, changes=[
        sharing.PermissionsChange(principal=f"{unique}_a", add=["SELECT"]),
        sharing.PermissionsChange(principal=f"{unique}_b", add=[sharing.Privilege.SELECT]),  # enums work too
    ])
    assert [(p.principal, p.privileges) for p in response.privilege_assignments or []] == [
        (f"{unique}_a", [sharing.Privilege.SELECT]), (f"{unique}_b", [sharing.Privilege.SELECT])]
    w.shares.update_permissions(unique, changes=[sharing.PermissionsChange(principal=f"{unique}_a", remove=["SELECT"])])
    got = w.shares.share_permissions(unique)
    assert [p.principal for p in got.privilege_assignments or []] == [f"{unique}_b"]
    perms = w.recipients.share_permissions(f"{unique}_b")
    assert [p.share_name for p in perms.permissions_out or []] == [unique]
    with pytest.raises(NotFound) as err:
        w.shares.update_permissions(unique, changes=[sharing.PermissionsChange(principal="ghost", add=["SELECT"])])
    assert err.value.error_code == "RECIPIENT_DOES_NOT_EXIST"
    with pytest.raises(InvalidParameterValue):
        w.shares.update_permissions(unique, changes=[sharing.PermissionsChange(principal=f"{unique}_a", add=["MODIFY"])])
    with pytest.raises(NotFound):
        w.shares.share_permissions(unique + "_missing")
    empty = w.shares.update_permissions(unique, changes=[], omit_permissions_list=True)
    assert not empty.privilege_assignments


def test_pagination_is_followed_by_the_sdk(mws: Workspace, unique: str) -> None:
    w = mws.client
    names = [f"{unique}_{i:03d}" for i in range(7)]
    for name in names:
        w.shares.create(name)
        w.recipients.create(name, sharing.AuthenticationType.TOKEN)
    listed = [s.name for s in w.shares.list_shares(max_results=2) if (s.name or "").startswith(unique)]
    assert listed == names
    recipients = [r.name for r in w.recipients.list(max_results=3) if (r.name or "").startswith(unique)]
    assert recipients == names
    everything = [s.name for s in w.shares.list_shares()]
    assert len(everything) == len(set(everything)) and set(names) <= set(everything)
    with pytest.raises(InvalidParameterValue):
        list(w.shares.list_shares(max_results=-1))
