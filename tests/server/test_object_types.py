"""Every shared data object type on the embedded server, through the real databricks-sdk: catalog objects registered
(``sharekit.registration``), listed by the SDK's catalog APIs, added to a share, answered with Databricks' shapes,
refused with Databricks' error codes.

Sources of the expected behaviour: databricks-sdk ``sharing.SharedDataObject`` docstrings (which alias field goes with
which type, ``content`` for notebook files), the Terraform provider's ``suppressCDFEnabledDiff`` (history answered
with ``cdf_enabled: true``; "API does not accept both fields to be set"), its ``diff`` (an UPDATE never carries
``shared_as``: an alias does not change in place).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotFound, ResourceConflict
from databricks.sdk.service import catalog, sharing

from sharekit import registration
from sharekit.connect import Workspace
from tests.conftest import running_workspace

A = sharing.SharedDataObjectUpdateAction
T = sharing.SharedDataObjectDataObjectType
ENABLED = sharing.SharedDataObjectHistoryDataSharingStatus.ENABLED
NOTEBOOK = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# shared"]}], "metadata": {},
            "nbformat": 4, "nbformat_minor": 5}


def delta_folder(path: Path) -> Path:
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(str(path), pa.table({"id": [1, 2, 3], "amount": [9.5, 3.0, 7.25]}),
                    configuration={"delta.enableChangeDataFeed": "true"})
    return path


@pytest.fixture(scope="module")
def ows(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    """A server with one object of every catalog type registered in ``main.objects`` (and a view over orders)."""
    base = tmp_path_factory.mktemp("objects")
    with running_workspace(base, demo_tables_template) as workspace:
        for kind in ("MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN"):
            registration.register_table(workspace, f"main.objects.{kind.lower()}", delta_folder(base / kind),
                                        table_type=kind, comment=f"a {kind.lower()}")
        volume = base / "landing"
        volume.mkdir()
        (volume / "readme.txt").write_text("files of the landing volume")
        registration.register_volume(workspace, "main.objects.landing", volume, comment="raw files")
        registration.register_model(workspace, "main.objects.churn", comment="churn model")
        registration.register_function(workspace, "main.objects.double_it", definition="x * 2", returns="INT",
                                       params=[("x", "INT")])
        registration.register_function(workspace, "main.objects.churn_features", feature_spec=True)
        workspace.client.statement_execution.execute_statement(
            statement="CREATE VIEW main.objects.eu_orders AS SELECT * FROM main.sales.orders WHERE region = 'EU'",
            warehouse_id=str(workspace.warehouse_id), wait_timeout="30s")
        yield workspace


def add(obj: sharing.SharedDataObject) -> sharing.SharedDataObjectUpdate:
    return sharing.SharedDataObjectUpdate(action=A.ADD, data_object=obj)


def every_type(notebook_content: str) -> list[sharing.SharedDataObject]:
    O = sharing.SharedDataObject
    return [
        O(name="main.sales.orders", data_object_type=T.TABLE),
        O(name="main.objects.eu_orders", data_object_type=T.VIEW),
        O(name="main.objects.materialized_view", data_object_type=T.MATERIALIZED_VIEW),
        O(name="main.objects.streaming_table", data_object_type=T.STREAMING_TABLE, history_data_sharing_status=ENABLED),
        O(name="main.objects.foreign", data_object_type=T.FOREIGN_TABLE, shared_as="partner.foreign_orders"),
        O(name="main.analytics", data_object_type=T.SCHEMA),
        O(name="main.objects.landing", data_object_type=T.VOLUME, string_shared_as="files.landing"),
        O(name="main.objects.churn", data_object_type=T.MODEL),
        O(name="main.objects.double_it", data_object_type=T.FUNCTION),
        O(name="onboarding", data_object_type=T.NOTEBOOK_FILE, content=notebook_content,
          string_shared_as="onboarding.ipynb"),
        O(name="main.objects.churn_features", data_object_type=T.FEATURE_SPEC),
    ]


def test_every_type_is_added_listed_and_removed(ows: Workspace, unique: str) -> None:
    w = ows.client
    w.shares.create(unique, storage_root="file:///notebooks")
    content = base64.b64encode(json.dumps(NOTEBOOK).encode()).decode()
    info = w.shares.update(unique, updates=[add(o) for o in every_type(content)])
    objects = {o.name: o for o in info.objects or []}
    assert {o.data_object_type for o in objects.values()} == set(T)
    assert all(o.status == sharing.SharedDataObjectStatus.ACTIVE and o.added_by and o.added_at
               for o in objects.values())
    for table_like in ("main.sales.orders", "main.objects.materialized_view"):
        assert objects[table_like].shared_as is not None and objects[table_like].string_shared_as is None
    assert objects["main.objects.foreign"].shared_as == "partner.foreign_orders"
    assert objects["main.objects.landing"].string_shared_as == "files.landing"
    assert objects["main.objects.landing"].shared_as is None
    assert objects["main.objects.churn"].string_shared_as == "objects.churn", "generated, as shared_as is"
    assert objects["onboarding"].string_shared_as == "onboarding.ipynb"
    assert objects["onboarding"].content == content, "the content is answered (a client compares it)"
    assert objects["main.objects.churn_features"].string_shared_as is None
    assert objects["main.analytics"].shared_as is None
    streaming = objects["main.objects.streaming_table"]
    assert streaming.history_data_sharing_status == ENABLED and streaming.cdf_enabled, "history answers cdf true"
    got = w.shares.get(unique, include_shared_data=True)
    assert got.storage_root == "file:///notebooks" and got.owner == "admin@sharekit.local"
    assert {o.name: o for o in got.objects or []} == objects, "get answers what update answered"
    removed = w.shares.update(unique, updates=[sharing.SharedDataObjectUpdate(
        action=A.REMOVE, data_object=sharing.SharedDataObject(name=name)) for name in objects])
    assert removed.objects == []


def test_notebook_content_is_kept_under_the_home(ows: Workspace, unique: str) -> None:
    w = ows.client
    raw = json.dumps(NOTEBOOK).encode()
    w.shares.create(unique)
    nb = sharing.SharedDataObject(name="guide", data_object_type=T.NOTEBOOK_FILE,
                                  content=base64.b64encode(raw).decode())
    with pytest.raises(InvalidParameterValue, match="storage_root"):
        w.shares.update(unique, updates=[add(nb)])
    w.shares.update(unique, storage_root="file:///nb")
    w.shares.update(unique, updates=[add(nb)])
    assert ows.home is not None
    assert raw in [p.read_bytes() for p in (ows.home / "shared_notebooks").iterdir()]
    with pytest.raises(InvalidParameterValue, match="storage_root cannot change"):
        w.shares.update(unique, storage_root="file:///elsewhere")


WRONG = [
    # (object, the words of the refusal)
    ({"name": "main.objects.landing", "data_object_type": T.VOLUME, "shared_as": "objects.landing"}, "string_shared_as"),
    ({"name": "main.sales.orders", "data_object_type": T.TABLE, "string_shared_as": "sales.orders"}, "use shared_as"),
    ({"name": "main.objects.churn_features", "data_object_type": T.FEATURE_SPEC, "string_shared_as": "a.b"}, "feature spec"),
    ({"name": "main.analytics", "data_object_type": T.SCHEMA, "string_shared_as": "a.b"}, "schema"),
    ({"name": "main.objects.churn", "data_object_type": T.MODEL, "content": "e30="}, "content applies only"),
    ({"name": "main.objects.materialized_view", "data_object_type": T.MATERIALIZED_VIEW,
          "partitions": [sharing.Partition(values=[sharing.PartitionValue(name="id", op=sharing.PartitionValueOp.EQUAL,
                                                                       value="1")])]}, "partitions"),
    ({"name": "main.objects.eu_orders", "data_object_type": T.VIEW, "history_data_sharing_status": ENABLED}, "history"),
    ({"name": "main.objects.foreign", "data_object_type": T.FOREIGN_TABLE, "start_version": 0}, "start version"),
    ({"name": "main.objects.landing", "data_object_type": T.VOLUME, "cdf_enabled": True}, "change data feed"),
    ({"name": "main.objects.landing", "data_object_type": T.VOLUME, "string_shared_as": "a.b.c"}, "<schema>.<name>"),
    ({"name": "guide", "data_object_type": T.NOTEBOOK_FILE, "string_shared_as": "x.ipynb"}, "needs its content"),
    ({"name": "main.inventory.stock_levels", "data_object_type": T.TABLE, "history_data_sharing_status": ENABLED,
          "cdf_enabled": True}, "cannot both be set"),
    ({"name": "main.objects.materialized_view", "data_object_type": T.TABLE}, "add it as data_object_type"),
    ({"name": "main.objects.double_it", "data_object_type": T.FEATURE_SPEC}, "does not exist"),
]


@pytest.mark.parametrize(("fields", "words"), WRONG, ids=[w for _, w in WRONG])
def test_fields_that_do_not_belong_to_the_type_are_refused(ows: Workspace, unique: str, fields: dict[str, object],
                                                           words: str) -> None:
    w = ows.client
    w.shares.create(unique, storage_root="file:///nb")
    with pytest.raises((InvalidParameterValue, BadRequest, NotFound)) as err:
        w.shares.update(unique, updates=[add(sharing.SharedDataObject(**fields))])  # type: ignore[arg-type]
    assert words in str(err.value)
    if isinstance(err.value, InvalidParameterValue):
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert w.shares.get(unique, include_shared_data=True).objects == [], "nothing half-done"


def test_an_alias_does_not_change_in_place(ows: Workspace, unique: str) -> None:
    w = ows.client
    w.shares.create(unique)
    w.shares.update(unique, updates=[
        add(sharing.SharedDataObject(name="main.sales.orders", data_object_type=T.TABLE, shared_as="s.o")),
        add(sharing.SharedDataObject(name="main.objects.landing", data_object_type=T.VOLUME))])

    def update(**fields: object) -> sharing.ShareInfo:
        return w.shares.update(unique, updates=[sharing.SharedDataObjectUpdate(
            action=A.UPDATE, data_object=sharing.SharedDataObject(**fields))])  # type: ignore[arg-type]

    for fields, words in (({"name": "main.sales.orders", "shared_as": "s.renamed"}, "REMOVE"),
                          ({"name": "main.objects.landing", "data_object_type": T.VOLUME, "string_shared_as": "f.renamed"},
                           "REMOVE"),
                          ({"name": "main.sales.orders", "data_object_type": T.VIEW}, "data_object_type")):
        with pytest.raises(InvalidParameterValue, match=words) as err:
            update(**fields)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    same = update(name="main.sales.orders", shared_as="s.o", comment="kept alias")  # the same alias: accepted
    assert {o.name: o.comment for o in same.objects or []}["main.sales.orders"] == "kept alias"
    history = update(name="main.sales.orders", history_data_sharing_status=ENABLED)
    orders = {o.name: o for o in history.objects or []}["main.sales.orders"]
    assert orders.cdf_enabled and orders.shared_as == "s.o"
    # string_shared_as is unique among objects of the same type (SDK docstring): a model may take a volume's alias
    w.shares.update(unique, updates=[add(sharing.SharedDataObject(
        name="main.objects.churn", data_object_type=T.MODEL, string_shared_as="objects.landing"))])
    with pytest.raises(ResourceConflict) as taken:
        w.shares.update(unique, updates=[add(sharing.SharedDataObject(
            name="main.objects.materialized_view", data_object_type=T.MATERIALIZED_VIEW, shared_as="s.o"))])
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS" and "already used" in str(taken.value)


def test_share_owner_round_trips(ows: Workspace, unique: str) -> None:
    w = ows.client
    w.shares.create(unique)
    assert w.shares.update(unique, owner="data-team").owner == "data-team"
    assert w.shares.get(unique).owner == "data-team"
    assert next(s for s in w.shares.list_shares() if s.name == unique).owner == "data-team"
    with pytest.raises(InvalidParameterValue):
        w.shares.update(unique, owner="")


def test_the_sdk_catalog_apis_list_every_registered_object(ows: Workspace) -> None:
    w = ows.client
    types = {t.name: t.table_type for t in w.tables.list("main", "objects")}
    assert types == {"materialized_view": catalog.TableType.MATERIALIZED_VIEW, "foreign": catalog.TableType.FOREIGN,
                     "streaming_table": catalog.TableType.STREAMING_TABLE, "eu_orders": catalog.TableType.VIEW}
    assert w.tables.get("main.objects.materialized_view").data_source_format == catalog.DataSourceFormat.DELTA
    (volume,) = w.volumes.list("main", "objects")
    assert volume.full_name == "main.objects.landing" and volume.volume_type == catalog.VolumeType.EXTERNAL
    assert volume.storage_location and volume.storage_location.startswith("file://") and volume.comment == "raw files"
    assert w.volumes.read("main.objects.landing") == volume
    (model,) = w.registered_models.list(catalog_name="main", schema_name="objects")
    assert model.full_name == "main.objects.churn" and model.comment == "churn model" and model.owner
    assert w.registered_models.get("main.objects.churn").full_name == "main.objects.churn"
    assert [m.full_name for m in w.registered_models.list()] == ["main.objects.churn"]
    functions = {f.name: f for f in w.functions.list("main", "objects")}
    assert set(functions) == {"double_it", "churn_features"}
    double = w.functions.get("main.objects.double_it")
    assert double.routine_definition == "x * 2" and double.data_type == catalog.ColumnTypeName.INT
    assert double.input_params and [p.name for p in double.input_params.parameters or []] == ["x"]
    assert json.loads(str(functions["churn_features"].properties)) == {"sharekit.object_type": "FEATURE_SPEC"}
    assert "objects" in [s.name for s in w.schemas.list("main")]
    with pytest.raises(NotFound) as missing:
        w.volumes.read("main.objects.nope")
    assert missing.value.error_code == "VOLUME_DOES_NOT_EXIST"
    with pytest.raises(ResourceConflict):
        registration.register_volume(ows, "main.objects.landing", "/tmp")


def test_a_volume_alone_makes_its_schema_exist(ows: Workspace, tmp_path: Path) -> None:
    registration.register_volume(ows, "main.files_only.drop", tmp_path)
    assert "files_only" in [s.name for s in ows.client.schemas.list("main")]
    assert list(ows.client.tables.list("main", "files_only")) == []
    registration.unregister(ows, "VOLUME", "main.files_only.drop")
    with pytest.raises(NotFound):
        list(ows.client.volumes.list("main", "files_only"))


def test_schema_with_history_and_a_notebook_without_alias(ows: Workspace, unique: str) -> None:
    w = ows.client
    w.shares.create(unique, storage_root="file:///nb")
    info = w.shares.update(unique, updates=[
        add(sharing.SharedDataObject(name="main.inventory", data_object_type=T.SCHEMA,
                                     history_data_sharing_status=ENABLED)),
        add(sharing.SharedDataObject(name="Guide", data_object_type=T.NOTEBOOK_FILE, content="e30="))])
    objects = {o.name: o for o in info.objects or []}
    assert objects["main.inventory"].history_data_sharing_status == ENABLED  # ADD SCHEMA … WITH HISTORY
    assert objects["Guide"].string_shared_as is None, "no alias is made up for a notebook file"
    assert objects["Guide"].history_data_sharing_status is None and objects["Guide"].cdf_enabled is None
    w.shares.update(unique, updates=[sharing.SharedDataObjectUpdate(
        action=A.REMOVE, data_object=sharing.SharedDataObject(name="Guide"))])
    assert [o.name for o in w.shares.get(unique, include_shared_data=True).objects or []] == ["main.inventory"]


def test_the_share_view_warns_of_a_permission_denied_object(ows: Workspace, unique: str, tmp_path: Path) -> None:
    from sharekit.shares import show_share

    registration.register_volume(ows, f"main.objects.{unique}", tmp_path)
    ows.client.shares.create(unique)
    ows.client.shares.update(unique, updates=[
        add(sharing.SharedDataObject(name="main.sales.orders", data_object_type=T.TABLE)),
        add(sharing.SharedDataObject(name=f"main.objects.{unique}", data_object_type=T.VOLUME))])
    view = show_share(ows, unique)
    assert view.level == "info" and [row[4] for row in view.rows] == ["active", "active"]
    registration.unregister(ows, "VOLUME", f"main.objects.{unique}")  # the owner's access is gone
    view = show_share(ows, unique)
    assert view.level == "warning" and "1 PERMISSION_DENIED" in view.title
    volume = next(row for row in view.rows if row[1] == "VOLUME")
    assert volume[4] == "permission denied" and volume[2] == f"objects.{unique}"
    assert any("recipients get nothing from main.objects." + unique in note for note in view.notes)
    page = view._repr_html_()
    assert "permission denied" in page and "#8a5a00" in page  # the warning colour
    assert "PERMISSION_DENIED: recipients get nothing" in repr(view)
