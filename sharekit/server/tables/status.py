"""Whether each object of a share can still be served: ``ACTIVE``, or ``PERMISSION_DENIED``.

On Databricks an object turns ``PERMISSION_DENIED`` when the share owner loses its privilege on it (SELECT on a
table, READ VOLUME on a volume, …): it stays in the share, and recipients get nothing from it. The local analogue:
the object's catalog entry was unregistered (or its folder deleted), or its files can no longer be read. Computed on
every read, so restoring the entry (or the file permissions) makes it ``ACTIVE`` again.
"""

from __future__ import annotations

import os

from sharekit.server.errors import NotFound
from sharekit.server.metastore.catalog_objects import CatalogObject
from sharekit.server.metastore.records import Share, SharedObject
from sharekit.server.tables.catalog import readable
from sharekit.server.tables.registry import TableEntry, TableRegistry

ACTIVE, DENIED = "ACTIVE", "PERMISSION_DENIED"
NOTEBOOKS_DIR = "shared_notebooks"  # under the server home: the content of shared notebook files


def share_statuses(tables: TableRegistry, share: Share) -> dict[str, str]:
    """Each object's status by name, reading the catalog once for the whole share."""
    entries = tables.entries()
    catalog = {(o.kind, o.full_name): o for o in tables.catalog.store.catalog_objects()}
    schemas = {f"{c}.{s}" for c, s in tables.schema_names()}
    out = {}
    for obj in share.objects:
        out[obj.name] = ACTIVE if _servable(tables, obj, entries, catalog, schemas) else DENIED
    return out


def _servable(tables: TableRegistry, obj: SharedObject, entries: dict[str, TableEntry],
              catalog: dict[tuple[str, str], CatalogObject], schemas: set[str]) -> bool:
    kind = obj.data_object_type
    if kind == "SCHEMA":
        return obj.name in schemas
    if obj.is_table_like:
        entry = entries.get(obj.name)
        return entry is not None and _table_readable(tables, entry)
    if kind == "NOTEBOOK_FILE":
        return obj.content_file is not None and os.access(tables.home.root / obj.content_file, os.R_OK)
    found = catalog.get((kind, obj.name))
    return found is not None and readable(found)


def _table_readable(tables: TableRegistry, entry: TableEntry) -> bool:
    if entry.table_type == "VIEW":
        return True
    try:
        tables.version(entry)
    except NotFound:
        return False
    return os.access(entry.path / "_delta_log", os.R_OK | os.X_OK)
