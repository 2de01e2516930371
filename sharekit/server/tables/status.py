"""Whether each object of a share can still be served: ``ACTIVE``, or ``PERMISSION_DENIED``.

On Databricks an object turns ``PERMISSION_DENIED`` when the share owner loses its privilege on it (SELECT on a
table, READ VOLUME on a volume, …): it stays in the share, and recipients get nothing from it. The local analogue:
the object's catalog entry was unregistered (or its folder deleted), or its files can no longer be read. Computed on
every read (every protocol request asks), so restoring the entry or the files makes it ``ACTIVE`` again; it costs
one SQLite read and one ``access`` call per object, with a folder scan only for shares that hold a schema.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sharekit.server.metastore.catalog_objects import CatalogObject
from sharekit.server.metastore.changes import TableRegistration
from sharekit.server.metastore.records import Share, SharedObject
from sharekit.server.tables.catalog import readable
from sharekit.server.tables.registry import TableRegistry

ACTIVE, DENIED = "ACTIVE", "PERMISSION_DENIED"
NOTEBOOKS_DIR = "shared_notebooks"  # under the server home: the content of shared notebook files


def share_statuses(tables: TableRegistry, share: Share,
                   objects: Sequence[SharedObject] | None = None) -> dict[str, str]:
    """Each object's status by name: of every object of ``share``, or only of ``objects`` (a query names one)."""
    asked = share.objects if objects is None else objects
    registered = {r.full_name: r for r in tables.store.registered_tables()}
    found = tables.catalog.store.catalog_objects() if any(
        not o.is_table_like and o.data_object_type not in ("SCHEMA", "NOTEBOOK_FILE") for o in asked) else []
    catalog = {(o.kind, o.full_name): o for o in found}
    schemas = ({f"{c}.{s}" for c, s in tables.schema_names()}
               if any(o.data_object_type == "SCHEMA" for o in asked) else set())
    return {obj.name: ACTIVE if _servable(tables, obj, registered, catalog, schemas) else DENIED for obj in asked}


def _servable(tables: TableRegistry, obj: SharedObject, registered: dict[str, TableRegistration],
              catalog: dict[tuple[str, str], CatalogObject], schemas: set[str]) -> bool:
    kind = obj.data_object_type
    if kind == "SCHEMA":
        return obj.name in schemas
    if obj.is_table_like:
        return _table_readable(tables, obj.name, registered.get(obj.name))
    if kind == "NOTEBOOK_FILE":
        return obj.content_file is not None and os.access(tables.home.root / obj.content_file, os.R_OK)
    entry = catalog.get((kind, obj.name))
    return entry is not None and readable(entry)


def _table_readable(tables: TableRegistry, full_name: str, registration: TableRegistration | None) -> bool:
    """A view while it is registered; a table while its Delta log can be listed, in ``home/tables`` or in its
    registered folder (the registry's two sources)."""
    if registration is not None and registration.table_type == "VIEW":
        return True
    parts = full_name.split(".")
    folders = [tables.home.table_path(*parts)] if len(parts) == 3 else []
    if registration is not None and registration.path:
        folders.append(Path(registration.path))
    if any(os.access(folder / "_delta_log", os.R_OK | os.X_OK) for folder in folders):
        return True
    entry = tables.entries().get(full_name)  # the slow path: a folder whose name is not in lower case
    return entry is not None and os.access(entry.path / "_delta_log", os.R_OK | os.X_OK)
