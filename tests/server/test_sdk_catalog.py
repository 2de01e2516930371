"""Catalog browsing through the real databricks-sdk; restart keeps state; concurrent clients lose nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service import catalog, sharing

from sharekit.connect import Workspace, connect_local


def test_catalogs_schemas_tables(mws: Workspace) -> None:
    w = mws.client
    assert [c.name for c in w.catalogs.list()] == ["main"]
    assert w.catalogs.get("main").catalog_type == catalog.CatalogType.MANAGED_CATALOG
    assert [s.name for s in w.schemas.list("main")] == ["analytics", "inventory", "sales"]
    assert [s.full_name for s in w.schemas.list("main", max_results=1)] == ["main.analytics", "main.inventory", "main.sales"]
    assert w.schemas.get("main.sales").catalog_name == "main"
    tables = list(w.tables.list("main", "sales"))
    assert [t.full_name for t in tables] == ["main.sales.customers", "main.sales.orders"]
    orders = w.tables.get("main.sales.orders")
    assert orders.table_type == catalog.TableType.MANAGED and orders.data_source_format == catalog.DataSourceFormat.DELTA
    assert orders.storage_location and orders.storage_location.startswith("file://")
    columns = {c.name: c for c in orders.columns or []}
    assert columns["region"].partition_index == 0 and columns["amount"].type_name == catalog.ColumnTypeName.DOUBLE
    assert columns["order_id"].type_text == "bigint" and orders.comment
    stock = w.tables.get("main.inventory.stock_levels")
    assert stock.properties and stock.properties["delta.enableChangeDataFeed"] == "true"
    assert not next(iter(w.tables.list("main", "sales", omit_columns=True))).columns
    assert w.tables.exists("main.sales.orders").table_exists is True
    assert w.tables.exists("main.sales.nothing").table_exists is False
    summaries = [t.full_name for t in w.tables.list_summaries("main", schema_name_pattern="s%", table_name_pattern="%o%")]
    assert summaries == ["main.sales.customers", "main.sales.orders"]


@pytest.mark.parametrize(("call", "code"), [
    (lambda w: w.tables.get("main.sales.nope"), "TABLE_DOES_NOT_EXIST"),
    (lambda w: w.tables.get("main.nope.x"), "SCHEMA_DOES_NOT_EXIST"),
    (lambda w: w.catalogs.get("nope"), "CATALOG_DOES_NOT_EXIST"),
    (lambda w: w.schemas.get("main.nope"), "SCHEMA_DOES_NOT_EXIST"),
    (lambda w: list(w.schemas.list("nope")), "CATALOG_DOES_NOT_EXIST"),
    (lambda w: list(w.tables.list("main", "nope")), "SCHEMA_DOES_NOT_EXIST"),
])
def test_missing_things_are_not_found(mws: Workspace, call: object, code: str) -> None:
    with pytest.raises(NotFound) as err:
        call(mws.client)  # type: ignore[operator]
    assert err.value.error_code == code


def test_restart_keeps_state_and_tokens_still_work(home: Path) -> None:
    with connect_local(home) as first:
        w = first.client
        w.shares.create("kept", comment="survives")
        w.shares.update("kept", updates=[sharing.SharedDataObjectUpdate(
            action=sharing.SharedDataObjectUpdateAction.ADD,
            data_object=sharing.SharedDataObject(name="main.sales.orders", shared_as="s.o"))])
        created = w.recipients.create("keeper", sharing.AuthenticationType.TOKEN)
        w.shares.update_permissions("kept", changes=[sharing.PermissionsChange(principal="keeper", add=["SELECT"])])
        rotated = w.recipients.rotate_token("keeper", 3600)
    with connect_local(home) as second:
        assert second.started_server, "a new server process"
        w = second.client
        share = w.shares.get("kept", include_shared_data=True)
        assert share.comment == "survives" and [o.shared_as for o in share.objects or []] == ["s.o"]
        again = w.recipients.get("keeper")
        assert [t.id for t in again.tokens or []] == [t.id for t in rotated.tokens or []]
        assert again.id == created.id
        assert [p.principal for p in w.shares.share_permissions("kept").privilege_assignments or []] == ["keeper"]
        link = (again.activation_url or "").split("?")[-1]
        assert w.recipient_activation.retrieve_token(link).bearer_token, "activation links survive a restart"


def test_concurrent_clients_lose_nothing(mws: Workspace, unique: str) -> None:
    from sharekit.connect import local_client
    from sharekit.server.home import Home

    assert mws.home is not None
    token = Home(mws.home).admin_token()
    mws.client.shares.create(unique)
    errors: list[BaseException] = []
    tables = ["main.sales.orders", "main.sales.customers", "main.analytics.customer_metrics",
              "main.analytics.product_sales", "main.inventory.stock_levels"]

    def worker(n: int) -> None:
        client = local_client(mws.host, token)
        try:
            for i in range(5):
                client.recipients.create(f"{unique}_{n}_{i}", sharing.AuthenticationType.TOKEN)
                client.shares.update_permissions(unique, changes=[
                    sharing.PermissionsChange(principal=f"{unique}_{n}_{i}", add=["SELECT"])])
            client.shares.update(unique, updates=[sharing.SharedDataObjectUpdate(
                action=sharing.SharedDataObjectUpdateAction.ADD,
                data_object=sharing.SharedDataObject(name=tables[n], shared_as=f"t.n{n}"))])
        except BaseException as err:  # noqa: BLE001 - re-raised by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    grants = mws.client.shares.share_permissions(unique).privilege_assignments or []
    assert len(grants) == 25
    objects = mws.client.shares.get(unique, include_shared_data=True).objects or []
    assert sorted(o.name for o in objects) == sorted(tables)
