"""``sharekit.sharing`` forwards the share view and the registration calls, on the notebook's current workspace
like the rest of the facade."""

from __future__ import annotations

from pathlib import Path

from databricks.sdk.service import sharing as sdk

from sharekit import sharing
from sharekit.connect import Workspace


def test_register_share_show_and_unregister_on_the_current_workspace(ws: Workspace, tmp_path: Path) -> None:
    sharing.use_workspace(ws)
    (tmp_path / "readme.txt").write_text("files")
    sharing.register_volume(None, "main.raw.landing", tmp_path)
    sharing.register_model(None, "main.raw.churn")
    sharing.register_function(None, "main.raw.double_it", definition="x * 2", returns="INT", params=[("x", "INT")])
    assert [v.full_name for v in ws.client.volumes.list("main", "raw")] == ["main.raw.landing"]
    ws.client.shares.create("files")
    ws.client.shares.update("files", updates=[sdk.SharedDataObjectUpdate(
        action=sdk.SharedDataObjectUpdateAction.ADD,
        data_object=sdk.SharedDataObject(name="main.raw.landing", data_object_type=sdk.SharedDataObjectDataObjectType.VOLUME))])
    card = sharing.show_share(None, "files")
    assert [row[:2] for row in card.rows] == [["main.raw.landing", "VOLUME"]] and not card.notes
    sharing.unregister(ws, "VOLUME", "main.raw.landing")
    card = sharing.show_share(ws, "files")
    assert card.rows[0][4] == "permission denied" and "PERMISSION_DENIED" in card.notes[0]
    assert {"show_share", "register_table", "register_volume", "register_model", "register_function",
            "unregister"} <= set(sharing.__all__)
