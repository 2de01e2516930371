"""One share holding all eleven SharedDataObjectDataObjectType values on the embedded server (created through the
real SDK, not through sharekit): export → load → plan is "no changes" with and without prune; an object whose
catalog entry is unregistered answers ``status: PERMISSION_DENIED``, a warning in the plan and a comment in the
export, never a change; a document naming only some of the objects in ``objects_mode: merge`` removes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk.service import sharing

from sharekit import registration
from sharekit.config.export import export
from sharekit.config.loader import loads
from sharekit.config.plan import make_plan
from sharekit.connect import Workspace
from tests.config.conftest import CATALOG_OBJECTS

T = sharing.SharedDataObjectDataObjectType
ENABLED = sharing.SharedDataObjectHistoryDataSharingStatus.ENABLED
NOTEBOOK = base64.b64encode(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode())
SHARE = "every_type"


def every_type() -> list[sharing.SharedDataObject]:
    O = sharing.SharedDataObject
    c = CATALOG_OBJECTS
    return [
        O(name="main.sales.orders", data_object_type=T.TABLE, shared_as="sales.orders_eu", history_data_sharing_status=ENABLED,
          partitions=[sharing.Partition(values=[sharing.PartitionValue(
              name="region", op=sharing.PartitionValueOp.EQUAL, recipient_property_key="region")])]),
        O(name=c["VIEW"], data_object_type=T.VIEW, comment="EU orders"),
        O(name=c["MATERIALIZED_VIEW"], data_object_type=T.MATERIALIZED_VIEW, history_data_sharing_status=ENABLED),
        O(name=c["STREAMING_TABLE"], data_object_type=T.STREAMING_TABLE, start_version=0,
          history_data_sharing_status=ENABLED),
        O(name=c["FOREIGN_TABLE"], data_object_type=T.FOREIGN_TABLE, shared_as="partner.foreign_orders"),
        O(name="main.analytics", data_object_type=T.SCHEMA),
        O(name=c["VOLUME"], data_object_type=T.VOLUME, string_shared_as="files.landing"),
        O(name=c["MODEL"], data_object_type=T.MODEL, comment="churn model"),
        O(name=c["FUNCTION"], data_object_type=T.FUNCTION),
        O(name="onboarding", data_object_type=T.NOTEBOOK_FILE, content=NOTEBOOK.decode(),
          string_shared_as="onboarding.ipynb"),
        O(name=c["FEATURE_SPEC"], data_object_type=T.FEATURE_SPEC),
    ]


@pytest.fixture
def share(every_kind_ws: Workspace) -> Iterator[Workspace]:
    w = every_kind_ws.client
    w.shares.create(SHARE, storage_root="file:///notebooks")
    w.shares.update(SHARE, updates=[sharing.SharedDataObjectUpdate(action=sharing.SharedDataObjectUpdateAction.ADD,
                                                                   data_object=o) for o in every_type()])
    w.recipients.create("partner", sharing.AuthenticationType.TOKEN)
    w.shares.update_permissions(SHARE, changes=[sharing.PermissionsChange(principal="partner", add=["SELECT"])])
    try:
        yield every_kind_ws
    finally:
        w.shares.delete(SHARE)
        w.recipients.delete("partner")


def test_every_type_exports_and_replans_as_no_change(share: Workspace) -> None:
    live = share.client.shares.get(SHARE, include_shared_data=True)
    assert {o.data_object_type for o in live.objects or []} == set(T), "all eleven types are on the share"
    text = export(share)
    document = loads(text)
    assert {o.type for o in document.config.shares[0].tables} == {t.value for t in T}
    for prune in (False, True):
        plan = make_plan(share.client, document, prune=prune)
        assert not plan.has_changes, (prune, text, [str(a) for a in plan.actions])
        assert not [n for n in plan.notices if "PERMISSION_DENIED" in n]


def test_an_unregistered_object_is_a_warning_not_a_change(share: Workspace, tmp_path: Path) -> None:
    document = loads(export(share))
    registration.unregister(share, "VOLUME", CATALOG_OBJECTS["VOLUME"])
    try:
        status = {o.name: o.status for o in share.client.shares.get(SHARE, include_shared_data=True).objects or []}
        assert status[CATALOG_OBJECTS["VOLUME"]] == sharing.SharedDataObjectStatus.PERMISSION_DENIED
        assert status["main.sales.orders"] == sharing.SharedDataObjectStatus.ACTIVE
        for prune in (False, True):
            plan = make_plan(share.client, document, prune=prune)
            assert not plan.has_changes, [str(a) for a in plan.actions]
            [notice] = [n for n in plan.notices if "PERMISSION_DENIED" in n]
            assert CATALOG_OBJECTS["VOLUME"] in notice and "VOLUME" in notice
            assert "WARNING: " + notice in plan.text()
        comments = [line for line in export(share).splitlines() if line.startswith("#")]
        assert any("WARNING" in line and "PERMISSION_DENIED" in line and CATALOG_OBJECTS["VOLUME"] in line
                   for line in comments)
    finally:
        volume = tmp_path / "landing"
        volume.mkdir()
        registration.register_volume(share, CATALOG_OBJECTS["VOLUME"], volume)


def test_merge_mode_naming_some_objects_plans_no_removal(share: Workspace) -> None:
    some = (f"shares:\n  - name: {SHARE}\n    storage_root: file:///notebooks\n    objects_mode: MODE\n"
            "    tables:\n"
            "      - {name: main.sales.orders, shared_as: sales.orders_eu, history: true,"
            " partitions: [{region: {recipient_property: region}}]}\n"
            f"      - {{name: {CATALOG_OBJECTS['VOLUME']}, type: VOLUME, shared_as: files.landing}}\n"
            "recipients: [{name: partner}]\ngrants: [{share: every_type, recipient: partner}]\n")
    for prune in (False, True):
        plan = make_plan(share.client, loads(some.replace("MODE", "merge")), prune=prune)
        assert not [a for a in plan.actions if a.kind == "object"], [str(a) for a in plan.actions]
        assert not [a for a in plan.actions if a.target == SHARE or a.op in ("remove", "revoke")]
    authoritative = make_plan(share.client, loads(some.replace("MODE", "authoritative")))
    removed = {a.item for a in authoritative.actions if a.op == "remove" and a.kind == "object"}
    assert len(removed) == 9 and "main.sales.orders" not in removed, "the same document, authoritative, removes"
