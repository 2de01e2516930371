"""The one place a shared view's rows are chosen for a recipient (the protocol's table routes and the admin
preview both ask here)."""

from __future__ import annotations

from sharekit.server.metastore.records import Recipient
from sharekit.server.sharing.access import VisibleTable
from sharekit.server.tables.registry import TableRegistry
from sharekit.server.tables.snapshots import Snapshot
from sharekit.server.views.materialisation import MaterialisedViews


def served_view(tables: TableRegistry, views: MaterialisedViews, table: VisibleTable,
                recipient: Recipient) -> Snapshot | None:
    """The view behind ``table`` materialised for ``recipient``, or None when ``table`` is a Delta table."""
    source = tables.get(table.full_name)
    if source.table_type != "VIEW":
        return None
    return views.materialise(tables, source, recipient.properties, recipient.name)
