"""Catalog objects other than tables: volumes, registered models, functions and feature specs, registered under
Unity Catalog names (``catalog.schema.name``) in the metastore's ``catalog_objects`` table.

A function and a feature spec share one namespace (a feature spec is catalogued as a function in Unity Catalog:
Catalog Explorer lists feature specs and feature views under a schema's Functions), as do a volume and a table on
Databricks; the registry (``tables.catalog``) checks that, this module holds the SQL.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sharekit.server.errors import Conflict, NotFound
from sharekit.server.metastore.schema import Database

CATALOG_KINDS = ("VOLUME", "MODEL", "FUNCTION", "FEATURE_SPEC")
_SAME_NAMESPACE = {"VOLUME": ("VOLUME",), "MODEL": ("MODEL",), "FUNCTION": ("FUNCTION", "FEATURE_SPEC"),
                   "FEATURE_SPEC": ("FUNCTION", "FEATURE_SPEC")}
_ALREADY = {"VOLUME": "VOLUME_ALREADY_EXISTS", "MODEL": "REGISTERED_MODEL_ALREADY_EXISTS",
            "FUNCTION": "ROUTINE_ALREADY_EXISTS", "FEATURE_SPEC": "ROUTINE_ALREADY_EXISTS"}
_MISSING = {"VOLUME": "VOLUME_DOES_NOT_EXIST", "MODEL": "RESOURCE_DOES_NOT_EXIST",
            "FUNCTION": "ROUTINE_DOES_NOT_EXIST", "FEATURE_SPEC": "ROUTINE_DOES_NOT_EXIST"}
_LABEL = {"VOLUME": "Volume", "MODEL": "Registered model", "FUNCTION": "Function", "FEATURE_SPEC": "Feature spec"}


@dataclass(frozen=True)
class CatalogObject:
    """``path``: a volume's folder (a model's artifacts, optional); ``details``: a function's definition fields."""

    full_name: str
    kind: str  # VOLUME | MODEL | FUNCTION | FEATURE_SPEC
    path: str | None = None
    comment: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    created_at: int = 0

    @property
    def parts(self) -> tuple[str, str, str]:
        catalog, schema, name = self.full_name.split(".")
        return catalog, schema, name


def missing(kind: str, full_name: str) -> NotFound:
    return NotFound(f"{_LABEL[kind]} '{full_name}' does not exist.", _MISSING[kind])


class CatalogObjectStore(Database):
    def put_catalog_object(self, obj: CatalogObject) -> CatalogObject:
        kinds = _SAME_NAMESPACE[obj.kind]
        with self._tx(True) as conn:
            marks = ", ".join("?" for _ in kinds)
            known = conn.execute(f"SELECT kind FROM catalog_objects WHERE full_name = ? AND kind IN ({marks})",
                                 (obj.full_name, *kinds)).fetchone()
            if known is not None:
                raise Conflict(f"{_LABEL[known['kind']]} '{obj.full_name}' already exists", _ALREADY[obj.kind])
            conn.execute("""INSERT INTO catalog_objects (full_name, kind, path, comment, details, created_at)
                            VALUES (?, ?, ?, ?, ?, ?)""",
                         (obj.full_name, obj.kind, obj.path, obj.comment, json.dumps(obj.details, sort_keys=True),
                          obj.created_at))
        return obj

    def drop_catalog_object(self, kind: str, full_name: str) -> None:
        with self._tx(True) as conn:
            if conn.execute("DELETE FROM catalog_objects WHERE kind = ? AND full_name = ?",
                            (kind, full_name)).rowcount == 0:
                raise missing(kind, full_name)

    def catalog_objects(self, kinds: tuple[str, ...] = CATALOG_KINDS) -> list[CatalogObject]:
        marks = ", ".join("?" for _ in kinds)
        rows = self._conn().execute(f"SELECT * FROM catalog_objects WHERE kind IN ({marks}) ORDER BY full_name",
                                    kinds).fetchall()
        return [_from_row(row) for row in rows]


def _from_row(row: sqlite3.Row) -> CatalogObject:
    return CatalogObject(full_name=row["full_name"], kind=row["kind"], path=row["path"], comment=row["comment"],
                         details=json.loads(row["details"]), created_at=row["created_at"])
