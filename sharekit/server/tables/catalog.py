"""The catalog objects beside tables — volumes, registered models, functions, feature specs — under Unity Catalog
names, and whether each can still be read (the local analogue of the share owner keeping its privilege).

Stored by ``metastore.catalog_objects``; registered through the admin API (``sharekit register-volume``,
``register-model``, ``register-function``). A volume is a local folder of files; a model may have an artifacts
folder; a function (or feature spec) is its definition only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sharekit.server.errors import BadRequest, Conflict
from sharekit.server.metastore import names
from sharekit.server.metastore.catalog_objects import CATALOG_KINDS, CatalogObject, missing
from sharekit.server.metastore.store import MetastoreStore

FUNCTION_FIELDS = ("routine_definition", "data_type", "full_data_type", "routine_body", "external_language",
                   "input_params")


class CatalogRegistry:
    def __init__(self, store: MetastoreStore) -> None:
        self.store = store

    def register(self, kind: str, full_name: str, *, path: str | None = None, comment: str | None = None,
                 details: dict[str, Any] | None = None, taken: frozenset[str] = frozenset()) -> CatalogObject:
        """``taken``: the table names already in use (a volume cannot take a table's name)."""
        if kind not in CATALOG_KINDS:
            raise BadRequest(f"Unknown catalog object kind '{kind}' (one of {', '.join(CATALOG_KINDS)})")
        full_name = ".".join(names.split_full_name(full_name, 3, kind.lower()))
        folder = _folder(kind, path)
        if kind == "VOLUME" and full_name in taken:
            raise Conflict(f"A table named '{full_name}' already exists", "TABLE_ALREADY_EXISTS")
        obj = CatalogObject(full_name, kind, folder, comment, dict(details or {}), self.store.now_ms())
        return self.store.put_catalog_object(obj)

    def unregister(self, kind: str, full_name: str) -> None:
        self.store.drop_catalog_object(kind, ".".join(names.split_full_name(full_name, 3, kind.lower())))

    def get(self, kinds: tuple[str, ...], full_name: str) -> CatalogObject:
        catalog, schema, name = names.split_full_name(full_name, 3, kinds[0].lower())
        wanted = f"{catalog}.{schema}.{name}"
        for obj in self.store.catalog_objects(kinds):
            if obj.full_name == wanted:
                return obj
        raise missing(kinds[0], wanted)

    def find(self, kinds: tuple[str, ...], full_name: str) -> CatalogObject | None:
        wanted = full_name.lower()
        return next((o for o in self.store.catalog_objects(kinds) if o.full_name == wanted), None)

    def listing(self, kinds: tuple[str, ...], catalog: str | None = None, schema: str | None = None) -> list[CatalogObject]:
        found = self.store.catalog_objects(kinds)
        return [o for o in found if (catalog is None or o.parts[0] == catalog.lower())
                and (schema is None or o.parts[1] == schema.lower())]

    def schemas(self) -> set[tuple[str, str]]:
        """(catalog, schema) of every catalog object: such a schema exists although it may hold no table."""
        return {o.parts[:2] for o in self.store.catalog_objects()}


def readable(obj: CatalogObject) -> bool:
    """A volume's (or a model's) folder still exists and can be read; a definition-only object always can."""
    if obj.path is None:
        return True
    return os.path.isdir(obj.path) and os.access(obj.path, os.R_OK | os.X_OK)


def _folder(kind: str, path: str | None) -> str | None:
    if path is None or path == "":
        if kind == "VOLUME":
            raise BadRequest("A volume needs a path: the local folder that holds its files")
        return None
    if kind in ("FUNCTION", "FEATURE_SPEC"):
        raise BadRequest("A function has no path: register its definition instead")
    folder = Path(path)
    if not folder.is_absolute():
        raise BadRequest(f"path must be absolute, got '{path}'")
    if not folder.is_dir():
        raise BadRequest(f"'{path}' is not a folder")
    return str(folder)
