"""ShareForm: the table picker is the workspace's catalog; preview and apply go through the config engine."""

from __future__ import annotations

import shutil
from pathlib import Path

from sharekit.connect import Workspace
from sharekit.widgets import ShareForm
from sharekit.widgets.share_draft import ShareDraft, TableChoice


def test_draft_document_is_the_share_yaml_shape() -> None:
    draft = ShareDraft("partners", "for partners", [
        TableChoice("main.sales.orders", alias="sales.orders_by_region", partition_column="region",
                    partition_mode="recipient property", partition_value="region", partition_columns=("region",)),
        TableChoice("main.analytics.customer_metrics", history=True),
        TableChoice("main.analytics.product_sales")])
    assert draft.problem() is None
    assert draft.to_data() == {"shares": [{"name": "partners", "comment": "for partners", "tables": [
        {"name": "main.sales.orders", "shared_as": "sales.orders_by_region",
         "partitions": [{"region": {"recipient_property": "region"}}]},
        {"name": "main.analytics.customer_metrics", "history": True},
        "main.analytics.product_sales"]}]}
    draft.tables.append(TableChoice("other.analytics.product_sales"))
    assert draft.problem() == "recipients would see two tables named 'analytics.product_sales'; give one an alias"
    draft.tables[-1].partition_mode, draft.tables[-1].partition_columns = "value", ("region",)
    assert draft.problem() == "other.analytics.product_sales: choose the partition column to filter on"


def test_pick_filter_preview_and_apply(ws: Workspace) -> None:
    form = ShareForm(ws)
    assert "main.sales.orders" in form.picker.options and "main.inventory.stock_levels" in form.picker.options
    assert form.apply_button.disabled and form.reason_text == "enter a share name"
    form.search.value = "SALES"
    assert set(form.picker.options) == {"main.sales.orders", "main.sales.customers", "main.analytics.product_sales"}
    form.name.value = "partner analytics"
    assert form.apply_button.disabled and "contains a space" in form.reason_text
    form.name.value = "partner_analytics"
    form.comment.value = "Analytics for partners"
    form.picker.value = ("main.sales.orders", "main.analytics.product_sales")
    form.add_button.click()
    form.wait()
    orders = form.row("main.sales.orders")
    assert orders.choice.partition_columns == ("region",) and orders.column.options == ("region",)
    assert form.row("main.analytics.product_sales").mode.disabled  # not partitioned: nothing to filter on
    orders.mode.value = "recipient property"
    assert form.apply_button.disabled and "enter the recipient property key" in form.reason_text
    orders.value.value = "region"
    orders.alias.value = "sales.orders_eu-x"
    assert "alias 'sales.orders_eu-x' must be schema.table" in form.reason_text
    orders.alias.value = "sales.orders_by_region"
    orders.history.value = True
    assert not form.apply_button.disabled

    form.preview_button.click()
    form.wait()
    assert form.plan is not None and form.plan.has_changes
    assert "+ create share partner_analytics" in form.plan_html.value
    assert "main.sales.orders" in form.plan_html.value and ws.client.shares.list_shares() is not None
    assert [s.name for s in ws.client.shares.list_shares()] == []  # a preview changes nothing

    form.apply_button.click()
    form.wait()
    assert form.result is not None and form.result.ok, form.message
    assert form.message.startswith("applied ") and "[done]" in form.plan_html.value
    assert form.progress.max == len(form.result.plan.steps) == 2  # the bar counted the calls: create, update
    info = ws.client.shares.get("partner_analytics", include_shared_data=True)
    assert info.comment == "Analytics for partners"
    objects = {o.name: o for o in info.objects or []}
    assert set(objects) == {"main.sales.orders", "main.analytics.product_sales"}
    shared = objects["main.sales.orders"]
    assert shared.shared_as == "sales.orders_by_region"
    assert shared.history_data_sharing_status is not None and shared.history_data_sharing_status.value == "ENABLED"
    values = [v for p in shared.partitions or [] for v in p.values or []]
    assert [(v.name, v.recipient_property_key) for v in values] == [("region", "region")]

    form.apply_button.click()  # applying the same form again changes nothing
    form.wait()
    assert form.message.startswith("no changes"), form.message


def test_edit_an_existing_share_and_remove_a_table(ws: Workspace) -> None:
    from databricks.sdk.service.sharing import (
        Partition,
        PartitionValue,
        PartitionValueOp,
        SharedDataObject,
        SharedDataObjectUpdate,
        SharedDataObjectUpdateAction,
    )

    ws.client.shares.create("existing", comment="old comment")
    add = SharedDataObjectUpdateAction.ADD
    ws.client.shares.update("existing", updates=[
        SharedDataObjectUpdate(action=add, data_object=SharedDataObject(
            name="main.sales.orders", partitions=[Partition(values=[
                PartitionValue(name="region", op=PartitionValueOp.EQUAL, value="EU")])])),
        SharedDataObjectUpdate(action=add, data_object=SharedDataObject(name="main.analytics.customer_metrics"))])
    form = ShareForm(ws)
    assert form.existing.options == ("existing",)
    form.existing.value = "existing"
    form.load_button.click()
    form.wait()
    assert form.name.value == "existing" and form.comment.value == "old comment"
    orders = form.row("main.sales.orders")
    assert (orders.mode.value, orders.column.value, orders.value.value) == ("value", "region", "EU")
    form.remove_table(form.row("main.analytics.customer_metrics"))
    orders.value.value = "US"
    form.preview_button.click()
    form.wait()
    assert "remove object existing / main.analytics.customer_metrics" in form.plan_html.value, form.plan_html.value
    form.apply_button.click()
    form.wait()
    info = ws.client.shares.get("existing", include_shared_data=True)
    assert [o.name for o in info.objects or []] == ["main.sales.orders"]
    values = [v.value for p in info.objects[0].partitions or [] for v in p.values or []]
    assert values == ["US"]


def test_a_workspace_refusal_is_shown_in_the_form(ws: Workspace) -> None:
    form = ShareForm(ws)
    form.name.value = "bad_partition"
    form.all_tables.append("main.sales.nope")
    form.add_tables(["main.sales.nope"])  # a table that does not exist: the workspace says so, in the form
    outcome = form.wait()
    assert form.message_level == "error" and "does not exist" in form.message.lower(), form.message
    assert isinstance(outcome, Exception) and form.rows == []


def test_the_picker_lists_every_catalog_type_and_a_volume_is_chosen(ws: Workspace, tmp_path: Path) -> None:
    from sharekit import registration

    mv = tmp_path / "mv"
    shutil.copytree(ws.home / "tables" / "main" / "sales" / "orders", mv)  # type: ignore[operator]
    registration.register_table(ws, "main.objects.orders_mv", mv, table_type="MATERIALIZED_VIEW")
    registration.register_volume(ws, "main.objects.landing", tmp_path)
    registration.register_model(ws, "main.objects.churn")
    registration.register_function(ws, "main.objects.double_it", definition="x * 2", returns="INT")
    registration.register_function(ws, "main.objects.features", feature_spec=True)
    form = ShareForm(ws)
    form.search.value = "objects"
    assert set(form.picker.options) == {
        "main.objects.orders_mv (materialized view)", "main.objects.landing (volume)", "main.objects.churn (model)",
        "main.objects.double_it (function)", "main.objects.features (feature spec)"}
    form.name.value = "files_for_partners"
    form.picker.value = ("main.objects.landing (volume)", "main.objects.orders_mv (materialized view)")
    form.add_button.click()
    form.wait()
    volume = form.row("main.objects.landing")
    assert volume.choice.type == "VOLUME" and "volume" in volume.label.value
    assert volume.mode.disabled and volume.history.disabled, "a volume has no partition filter and no history"
    assert not form.row("main.objects.orders_mv").history.disabled
    volume.alias.value = "files.landing"
    assert form.reason_text == ""
    assert form.draft().to_data() == {"shares": [{"name": "files_for_partners", "tables": [
        {"name": "main.objects.landing", "type": "VOLUME", "shared_as": "files.landing"},
        {"name": "main.objects.orders_mv", "type": "MATERIALIZED_VIEW"}]}]}
    volume.history.value = True  # the checkbox is disabled in the page; the draft refuses it all the same
    assert form.reason_text == "main.objects.landing: a volume is shared without history"


def test_a_permission_denied_object_is_a_warning_when_loaded() -> None:
    draft = ShareDraft("s", tables=[TableChoice("main.sales.orders"),
                                    TableChoice("main.objects.gone", type="VOLUME", status="PERMISSION_DENIED")])
    assert draft.denied == ["main.objects.gone"] and draft.problem() is None
