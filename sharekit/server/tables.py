"""Local Delta tables under Unity Catalog names.

Two sources, merged: folders ``home/tables/<catalog>/<schema>/<table>`` that hold a ``_delta_log``
(discovered on every call, so tables written while the server runs show up at once), and registrations
kept in the catalog store (``POST /sharekit/admin/tables {"name": "main.x.y", "path": "/abs/folder"}``).
Names are case-insensitive, as in Unity Catalog: they are compared and returned lower-case.

Views: a registration with ``table_type="VIEW"`` has a ``view_definition`` and no Delta folder of its own
(``path`` is the empty path). Their columns come from ``TableRegistry.view_columns``, a hook the view engine
sets; until then a view has no columns.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.home import Home
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import TableRegistration
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.settings import METADATA_CACHE_SIZE

_LOG_FILE = re.compile(r"^(\d{20})\.(?:json|checkpoint\.parquet|checkpoint\.\d+\.\d+\.parquet)$")
_PRIMITIVES = {
    "string": ("STRING", "string"), "long": ("LONG", "bigint"), "integer": ("INT", "int"),
    "short": ("SHORT", "smallint"), "byte": ("BYTE", "tinyint"), "float": ("FLOAT", "float"),
    "double": ("DOUBLE", "double"), "boolean": ("BOOLEAN", "boolean"), "binary": ("BINARY", "binary"),
    "date": ("DATE", "date"), "timestamp": ("TIMESTAMP", "timestamp"),
    "timestamp_ntz": ("TIMESTAMP_NTZ", "timestamp_ntz"),
    "variant": ("VARIANT", "variant"), "void": ("NULL", "void"),
}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class TableEntry:
    full_name: str
    catalog: str
    schema: str
    name: str
    path: Path
    table_type: str = "MANAGED"  # MANAGED (under home/tables) | EXTERNAL (registered folder) | VIEW
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
    def __init__(self, home: Home, store: MetastoreStore | None = None) -> None:
        self.home = home
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int], TableMetadata] = {}
        self.view_columns: Callable[[TableEntry], list[dict[str, Any]]] | None = None

    @property
    def store(self) -> MetastoreStore:
        with self._lock:
            if self._store is None:
                self._store = MetastoreStore(self.home.metastore_db)
            return self._store

    # -- names ------------------------------------------------------------------------------------
    def entries(self) -> dict[str, TableEntry]:
        """Every known table and view by lower-case full name (discovered folders win over registrations)."""
        found: dict[str, TableEntry] = {}
        for reg in self.store.registered_tables():
            catalog, schema, name = reg.full_name.split(".")
            table_type = reg.table_type
            found[reg.full_name] = TableEntry(reg.full_name, catalog, schema, name, Path(reg.path or ""), table_type,
                                              reg.view_definition, reg.comment)
        for catalog_dir in _subdirs(self.home.tables_dir):
            for schema_dir in _subdirs(catalog_dir):
                for table_dir in _subdirs(schema_dir):
                    parts = [_valid(p.name) for p in (catalog_dir, schema_dir, table_dir)]
                    if None in parts or not (table_dir / "_delta_log").is_dir():
                        continue
                    full_name = ".".join(str(p) for p in parts)
                    found[full_name] = TableEntry(full_name, str(parts[0]), str(parts[1]), str(parts[2]), table_dir)
        return found

    def list_catalogs(self) -> list[str]:
        return sorted({entry.catalog for entry in self.entries().values()})

    def list_schemas(self, catalog: str) -> list[str]:
        catalog = catalog.lower()
        schemas = sorted({e.schema for e in self.entries().values() if e.catalog == catalog})
        if not schemas:
            raise _no_catalog(catalog)
        return schemas

    def list_tables(self, catalog: str, schema: str) -> list[TableEntry]:
        catalog, schema = catalog.lower(), schema.lower()
        entries = self.entries().values()
        tables = sorted((e for e in entries if e.catalog == catalog and e.schema == schema), key=lambda e: e.name)
        if not tables:
            if not any(e.catalog == catalog for e in entries):
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
    def register(self, full_name: str, path: Path, *, comment: str | None = None) -> TableEntry:
        """Put a Delta folder outside ``home/tables`` under ``catalog.schema.table``."""
        catalog, schema, name = names.split_full_name(full_name, 3)
        full_name = f"{catalog}.{schema}.{name}"
        if not path.is_absolute():
            raise BadRequest(f"path must be absolute, got '{path}'")
        if not (path / "_delta_log").is_dir():
            raise BadRequest(f"'{path}' is not a Delta table folder (no _delta_log)")
        if full_name in self.entries():
            raise Conflict(f"Table '{full_name}' already exists", "TABLE_ALREADY_EXISTS")
        self.store.register_table(TableRegistration(full_name, str(path), "EXTERNAL", comment))
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
        if entry.table_type == "VIEW":
            columns = self.view_columns(entry) if self.view_columns else []
            return TableMetadata(version=0, columns=columns, partition_columns=[], comment=entry.comment)
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
        schema = json.loads(table.schema().to_json())
    except (DeltaError, OSError) as err:
        raise NotFound(f"Table '{entry.full_name}' cannot be read: {err}", "TABLE_DOES_NOT_EXIST") from err
    partitions = [p.lower() for p in meta.partition_columns]
    columns = [column_info(f, i, partitions) for i, f in enumerate(schema["fields"])]
    return TableMetadata(version=table.version(), columns=columns, partition_columns=partitions,
                         comment=meta.description or entry.comment, properties=dict(meta.configuration),
                         table_id=str(meta.id), created_at=meta.created_time)


def column_info(struct_field: dict[str, Any], position: int, partition_columns: list[str]) -> dict[str, Any]:
    """A Delta schema field as a Unity Catalog ``ColumnInfo``."""
    type_name, type_text = _type(struct_field["type"])
    info: dict[str, Any] = {
        "name": struct_field["name"],
        "type_name": type_name,
        "type_text": type_text,
        "type_json": json.dumps(struct_field, separators=(",", ":")),
        "position": position,
        "nullable": bool(struct_field.get("nullable", True)),
    }
    decimal = _DECIMAL.match(struct_field["type"]) if isinstance(struct_field["type"], str) else None
    if decimal:
        info["type_precision"], info["type_scale"] = int(decimal.group(1)), int(decimal.group(2))
    comment = (struct_field.get("metadata") or {}).get("comment")
    if comment:
        info["comment"] = comment
    if struct_field["name"].lower() in partition_columns:
        info["partition_index"] = partition_columns.index(struct_field["name"].lower())
    return info


def _type(delta_type: Any) -> tuple[str, str]:
    if isinstance(delta_type, str):
        if delta_type in _PRIMITIVES:
            return _PRIMITIVES[delta_type]
        if _DECIMAL.match(delta_type):
            return "DECIMAL", delta_type.replace(" ", "")
        return "USER_DEFINED_TYPE", delta_type
    kind = delta_type.get("type")
    if kind == "array":
        return "ARRAY", f"array<{_type(delta_type['elementType'])[1]}>"
    if kind == "map":
        return "MAP", f"map<{_type(delta_type['keyType'])[1]},{_type(delta_type['valueType'])[1]}>"
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{_type(f['type'])[1]}" for f in delta_type["fields"])
        return "STRUCT", f"struct<{inner}>"
    return "USER_DEFINED_TYPE", json.dumps(delta_type)


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
