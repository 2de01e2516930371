"""The share view: one share's objects with their type, the name recipients see, history and status. An object
whose status is PERMISSION_DENIED (the share owner lost access to it, so recipients silently get nothing) is a
warning: the view's level, its status cell, and a note saying what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sharekit.display.table import ResultTable, when

if TYPE_CHECKING:
    from databricks.sdk.service.sharing import SharedDataObject, ShareInfo

DENIED = "PERMISSION_DENIED"


def _value(enum: object) -> str:
    return str(getattr(enum, "value", enum) or "")


def _alias(obj: SharedDataObject) -> str:
    return obj.shared_as or obj.string_shared_as or ""


def share_card(info: ShareInfo) -> ResultTable:
    objects = sorted(info.objects or [], key=lambda o: (_value(o.data_object_type), o.name or ""))
    rows = [[o.name, _value(o.data_object_type) or "TABLE", _alias(o),
             "yes" if _value(o.history_data_sharing_status) == "ENABLED" else "",
             "permission denied" if _value(o.status) == DENIED else _value(o.status).lower(), when(o.added_at, "")]
            for o in objects]
    denied = [o.name or "" for o in objects if _value(o.status) == DENIED]
    notes = [f"PERMISSION_DENIED: recipients get nothing from {name} — the share owner ({info.owner}) lost access "
             "to it (grant the privilege back, or remove it from the share)" for name in denied]
    title = f"share {info.name}: {len(objects)} object(s)" + (f", {len(denied)} PERMISSION_DENIED" if denied else "")
    if info.owner:
        title += f" (owner {info.owner})"
    return ResultTable(title, ["name", "type", "shared as", "history", "status", "added"], rows, notes=notes,
                       level="warning" if denied else "info")
