"""What an open recipient (the unmodified ``delta-sharing`` client) reads of each shared object type, and of an object
whose status is ``PERMISSION_DENIED``.

Databricks' documentation: open sharing shares tabular data (tables, views, materialized views and streaming tables,
whose data is materialised for open recipients: docs.databricks.com "OpenSharing materialization history"); volumes,
notebooks and models are Databricks-to-Databricks only (databrickslabs partner-architecture "Delta Sharing"). An
object whose owner lost access stays in the share as PERMISSION_DENIED and recipients get nothing from it
(docs.databricks.com delta-sharing/create-share: "If you lose it, the recipient cannot access the table").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import delta_sharing
import pytest
from databricks.sdk.service import sharing as S

from sharekit import registration
from tests.protocol.conftest import Provider, unique

T = S.SharedDataObjectDataObjectType


def _register_all(provider: Provider, folder: Path) -> str:
    """A materialized view (a Delta copy of orders), a volume, a model and a function in a fresh schema."""
    schema = unique("objs")
    mv = folder / "mv"
    shutil.copytree(provider.tables_dir / "main" / "sales" / "orders", mv)
    registration.register_table(provider.ws, f"main.{schema}.orders_mv", mv, table_type="MATERIALIZED_VIEW")
    files = folder / "files"
    files.mkdir()
    (files / "a.csv").write_text("id\n1\n")
    registration.register_volume(provider.ws, f"main.{schema}.files", files)
    registration.register_model(provider.ws, f"main.{schema}.model")
    registration.register_function(provider.ws, f"main.{schema}.fn", definition="1", returns="INT")
    return schema


def test_open_recipients_read_table_like_objects_only(provider: Provider, tmp_path: Path) -> None:
    schema = _register_all(provider, tmp_path)
    shared = provider.setup(
        {"name": "main.sales.orders"},
        {"name": f"main.{schema}.orders_mv", "kind": "MATERIALIZED_VIEW", "shared_as": "mv.orders"},
        {"name": f"main.{schema}.files", "kind": "VOLUME"},
        {"name": f"main.{schema}.model", "kind": "MODEL"},
        {"name": f"main.{schema}.fn", "kind": "FUNCTION"})
    client = delta_sharing.SharingClient(str(shared.profile))
    seen = sorted(f"{t.schema}.{t.name}" for t in client.list_all_tables())
    assert seen == ["mv.orders", "sales.orders"]
    frame = delta_sharing.load_as_pandas(shared.url("mv.orders"))
    assert len(frame) == len(delta_sharing.load_as_pandas(shared.url("sales.orders")))
    with pytest.raises(Exception, match="does not exist"):
        delta_sharing.load_as_pandas(shared.url(f"{schema}.files"))


def test_permission_denied_object_shows_as_such_and_serves_nothing(provider: Provider, tmp_path: Path) -> None:
    schema = _register_all(provider, tmp_path)
    mv, volume = f"main.{schema}.orders_mv", f"main.{schema}.files"
    shared = provider.setup({"name": "main.sales.orders"}, {"name": mv, "kind": "MATERIALIZED_VIEW"},
                            {"name": volume, "kind": "VOLUME"})
    w = provider.ws.client

    def statuses() -> dict[str, S.SharedDataObjectStatus | None]:
        return {o.name: o.status for o in w.shares.get(shared.share, include_shared_data=True).objects or []}

    client = delta_sharing.SharingClient(str(shared.profile))
    assert {t.name for t in client.list_all_tables()} == {"orders", "orders_mv"}
    # the local analogue of the share owner losing SELECT / READ VOLUME: the catalog entries are unregistered
    registration.unregister(provider.ws, "TABLE", mv)
    shutil.rmtree(tmp_path / "files")
    assert statuses() == {"main.sales.orders": S.SharedDataObjectStatus.ACTIVE,
                          mv: S.SharedDataObjectStatus.PERMISSION_DENIED,
                          volume: S.SharedDataObjectStatus.PERMISSION_DENIED}
    assert {t.name for t in client.list_all_tables()} == {"orders"}, "recipients get nothing from it"
    with pytest.raises(Exception, match="does not exist"):
        delta_sharing.load_as_pandas(shared.url(f"{schema}.orders_mv"))
    # registering it again makes it ACTIVE: the status is computed on every read
    registration.register_table(provider.ws, mv, tmp_path / "mv", table_type="MATERIALIZED_VIEW")
    assert statuses()[mv] == S.SharedDataObjectStatus.ACTIVE
    assert {t.name for t in client.list_all_tables()} == {"orders", "orders_mv"}
    # a PERMISSION_DENIED object can still be removed from the share
    w.shares.update(shared.share, updates=[S.SharedDataObjectUpdate(
        action=S.SharedDataObjectUpdateAction.REMOVE, data_object=S.SharedDataObject(name=volume))])
    assert volume not in statuses()


def test_a_table_whose_files_are_gone_is_permission_denied(provider: Provider) -> None:
    name = provider.copy_table("sales.orders")
    shared = provider.setup({"name": name})
    log = Path(provider.table_path(name)) / "_delta_log"
    log.rename(log.with_name("_moved_log"))  # the files can no longer be read as that table

    def status() -> list[S.SharedDataObjectStatus | None]:
        return [o.status for o in provider.ws.client.shares.get(shared.share, include_shared_data=True).objects or []]

    assert status() == [S.SharedDataObjectStatus.PERMISSION_DENIED]
    assert list(delta_sharing.SharingClient(str(shared.profile)).list_all_tables()) == []
    log.with_name("_moved_log").rename(log)
    assert status() == [S.SharedDataObjectStatus.ACTIVE]
