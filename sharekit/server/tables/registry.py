"""Local Delta tables under Unity Catalog names.

Two sources, merged: folders ``home/tables/<catalog>/<schema>/<table>`` that hold a ``_delta_log``
(discovered on every call, so tables written while the server runs show up at once), and registrations
kept in the metastore (``POST /sharekit/admin/tables {"name": "main.x.y", "path": "/abs/folder"}``).
Names are case-insensitive, as in Unity Catalog: they are compared and returned lower-case.

Views: a registration with ``table_type="VIEW"`` has a ``view_definition`` and no Delta folder of its own
(``path`` is the empty path). The registry knows their names and comments; their columns come from the view
engine (``views.evaluation.table_metadata``).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.names import REGISTERED_TABLE_TYPES
from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.home import Home
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import TableRegistration
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.settings import METADATA_CACHE_SIZE
from sharekit.server.tables.catalog import CatalogRegistry
from sharekit.server.tables.columns import columns_of

_LOG_FILE = re.compile(r"^(\d{20})\.(?:json|checkpoint\.parquet|checkpoint\.\d+\.\d+\.parquet)$")


@dataclass(frozen=True)
class TableEntry:
    full_name: str
    catalog: str
    schema: str
    name: str
    path: Path
    table_type: str = "MANAGED"  # MANAGED (under home/tables) | a REGISTERED_TABLE_TYPES folder | VIEW
    view_definition: str | None = None
    comment: str | None = None  # registration comment; the Delta table description is in TableMetadata


@dataclass(frozen=True)
class TableMetadata:
    """What the Delta log says about one version of a table."""

    version: int
    columns: list[dict[str, Any]]
    partition_columns: list[str]
    comment: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    table_id: str | None = None
    created_at: int | None = None


class TableRegistry:
    def __init__(self, home: Home, store: MetastoreStore) -> None:
        self.home = home
        self.store = store
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int], TableMetadata] = {}
        self.catalog = CatalogRegistry(store)  # volumes, models, functions, feature specs

    # -- names ------------------------------------------------------------------------------------
    def entries(self) -> dict[str, TableEntry]:
        """Every known table and view by lower-case full name (discovered folders win over registrations)."""
        found: dict[str, TableEntry] = {}
        for reg in self.store.registered_tables():
            catalog, schema, name = reg.full_name.split(".")
            found[reg.full_name] = TableEntry(reg.full_name, catalog, schema, name, Path(reg.path or ""),
                                              reg.table_type, reg.view_definition, reg.comment)
        for catalog_dir in _subdirs(self.home.tables_dir):
            for schema_dir in _subdirs(catalog_dir):
                for table_dir in _subdirs(schema_dir):
                    parts = [_valid(p.name) for p in (catalog_dir, schema_dir, table_dir)]
                    if None in parts or not (table_dir / "_delta_log").is_dir():
                        continue
                    full_name = ".".join(str(p) for p in parts)
                    found[full_name] = TableEntry(full_name, str(parts[0]), str(parts[1]), str(parts[2]), table_dir)
        return found

    def schema_names(self) -> set[tuple[str, str]]:
        """(catalog, schema) of every table, view and catalog object (a schema may hold only a volume)."""
        return {(e.catalog, e.schema) for e in self.entries().values()} | self.catalog.schemas()

    def list_catalogs(self) -> list[str]:
        return sorted({catalog for catalog, _ in self.schema_names()})

    def list_schemas(self, catalog: str) -> list[str]:
        catalog = catalog.lower()
        schemas = sorted({s for c, s in self.schema_names() if c == catalog})
        if not schemas:
            raise _no_catalog(catalog)
        return schemas

    def list_tables(self, catalog: str, schema: str) -> list[TableEntry]:
        catalog, schema = catalog.lower(), schema.lower()
        entries = self.entries().values()
        tables = sorted((e for e in entries if e.catalog == catalog and e.schema == schema), key=lambda e: e.name)
        if not tables:
            known = self.schema_names()
            if (catalog, schema) in known:
                return []
            if not any(c == catalog for c, _ in known):
                raise _no_catalog(catalog)
            raise NotFound(f"Schema '{catalog}.{schema}' does not exist.", "SCHEMA_DOES_NOT_EXIST")
        return tables

    def get(self, full_name: str) -> TableEntry:
        catalog, schema, name = names.split_full_name(full_name, 3)
        entry = self.entries().get(f"{catalog}.{schema}.{name}")
        if entry is None:
            self.list_tables(catalog, schema)  # raises the catalog/schema error when those are missing
            raise NotFound(f"Table '{catalog}.{schema}.{name}' does not exist.", "TABLE_DOES_NOT_EXIST")
        return entry

    # -- registration -----------------------------------------------------------------------------
    def register(self, full_name: str, path: Path, *, comment: str | None = None,
                 table_type: str = "EXTERNAL") -> TableEntry:
        """Put a Delta folder outside ``home/tables`` under ``catalog.schema.table``; ``table_type`` says what it
        is in Unity Catalog (EXTERNAL, or a MATERIALIZED_VIEW, STREAMING_TABLE or FOREIGN table kept as Delta)."""
        if table_type not in REGISTERED_TABLE_TYPES:
            raise BadRequest(f"table_type must be one of {', '.join(REGISTERED_TABLE_TYPES)}, got '{table_type}'")
        catalog, schema, name = names.split_full_name(full_name, 3)
        full_name = f"{catalog}.{schema}.{name}"
        if not path.is_absolute():
            raise BadRequest(f"path must be absolute, got '{path}'")
        if not (path / "_delta_log").is_dir():
            raise BadRequest(f"'{path}' is not a Delta table folder (no _delta_log)")
        if full_name in self.entries() or self.catalog.find(("VOLUME",), full_name) is not None:
            raise Conflict(f"Table '{full_name}' already exists", "TABLE_ALREADY_EXISTS")
        self.store.register_table(TableRegistration(full_name, str(path), table_type, comment))
        return self.get(full_name)

    def unregister(self, full_name: str) -> None:
        catalog, schema, name = names.split_full_name(full_name, 3)
        self.store.unregister_table(f"{catalog}.{schema}.{name}")

    # -- Delta metadata ---------------------------------------------------------------------------
    def version(self, entry: TableEntry) -> int:
        """The latest committed version, from the log's file names (no Delta load)."""
        try:
            files = os.listdir(entry.path / "_delta_log")
        except OSError as err:
            raise NotFound(f"Table '{entry.full_name}' has no readable Delta log", "TABLE_DOES_NOT_EXIST") from err
        versions = [int(m.group(1)) for f in files if (m := _LOG_FILE.match(f))]
        if not versions:
            raise NotFound(f"Table '{entry.full_name}' has no commits", "TABLE_DOES_NOT_EXIST")
        return max(versions)

    def metadata(self, entry: TableEntry) -> TableMetadata:
        """The Delta metadata of a table's latest version (cached per version). A view has no Delta log: its
        metadata here is its registration's (no columns; the view engine describes those)."""
        if entry.table_type == "VIEW":
            return TableMetadata(version=0, columns=[], partition_columns=[], comment=entry.comment)
        key = (str(entry.path), self.version(entry))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        meta = _read_metadata(entry)
        with self._lock:
            if len(self._cache) > METADATA_CACHE_SIZE:
                self._cache.clear()
            self._cache[(str(entry.path), meta.version)] = meta
        return meta

    def columns(self, entry: TableEntry) -> list[dict[str, Any]]:
        return self.metadata(entry).columns

    def partition_columns(self, entry: TableEntry) -> list[str]:
        return self.metadata(entry).partition_columns


def _read_metadata(entry: TableEntry) -> TableMetadata:
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    try:
        table = DeltaTable(str(entry.path))
        meta = table.metadata()
        schema_json = table.schema().to_json()
    except (DeltaError, OSError) as err:
        raise NotFound(f"Table '{entry.full_name}' cannot be read: {err}", "TABLE_DOES_NOT_EXIST") from err
    partitions = [p.lower() for p in meta.partition_columns]
    return TableMetadata(version=table.version(), columns=columns_of(schema_json, partitions),
                         partition_columns=partitions, comment=meta.description or entry.comment,
                         properties=dict(meta.configuration), table_id=str(meta.id), created_at=meta.created_time)


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    except OSError:
        return []


def _valid(part: str) -> str | None:
    try:
        return names.securable_name(part, "table")
    except BadRequest:
        return None


def _no_catalog(catalog: str) -> NotFound:
    return NotFound(f"Catalog '{catalog}' does not exist.", "CATALOG_DOES_NOT_EXIST")
