"""Register local objects on the embedded server under Unity Catalog names, from a notebook or the CLI: Delta
folders as tables (or materialized views, streaming tables, foreign tables), folders as volumes, registered models,
functions and feature specs. Each call goes through the server's admin API; afterwards the object lists through the
SDK's catalog APIs (``w.tables``, ``w.volumes``, ``w.registered_models``, ``w.functions``) and can be shared.

    from sharekit.registration import register_volume
    register_volume(workspace, "main.raw.landing", "/data/landing")

Databricks workspaces have their own ways of creating these objects: these calls work on the embedded server only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sharekit.connect import WorkspaceLike, client_of
from sharekit.names import REGISTERED_TABLE_TYPES

TABLE_TYPES = REGISTERED_TABLE_TYPES
ADMIN = "/sharekit/admin"


def _post(workspace: WorkspaceLike, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client_of(workspace).api_client.do("POST", ADMIN + path, body={k: v for k, v in body.items()
                                                                           if v is not None})
    return dict(answer) if isinstance(answer, dict) else {}


def _folder(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def register_table(workspace: WorkspaceLike, name: str, path: str | Path, *, table_type: str = "EXTERNAL",
                   comment: str | None = None) -> dict[str, Any]:
    """A Delta folder as ``catalog.schema.table``; ``table_type`` one of ``TABLE_TYPES`` (a materialized view or
    streaming table is shared as its Delta data, as Databricks shares their materialisation)."""
    return _post(workspace, "/tables", {"name": name, "path": _folder(path), "table_type": table_type.upper(),
                                        "comment": comment})


def register_volume(workspace: WorkspaceLike, name: str, path: str | Path, *,
                    comment: str | None = None) -> dict[str, Any]:
    """A folder of files as the volume ``catalog.schema.volume``."""
    return _post(workspace, "/catalog-objects", {"kind": "VOLUME", "name": name, "path": _folder(path),
                                                 "comment": comment})


def register_model(workspace: WorkspaceLike, name: str, path: str | Path | None = None, *,
                   comment: str | None = None) -> dict[str, Any]:
    """A registered model ``catalog.schema.model`` (``path``: its artifacts folder, optional)."""
    return _post(workspace, "/catalog-objects", {"kind": "MODEL", "name": name, "comment": comment,
                                                 "path": _folder(path) if path is not None else None})


def register_function(workspace: WorkspaceLike, name: str, *, definition: str | None = None,
                      returns: str | None = None, params: list[tuple[str, str]] | None = None,
                      language: str | None = None, feature_spec: bool = False,
                      comment: str | None = None) -> dict[str, Any]:
    """A function ``catalog.schema.fn`` (SQL ``definition`` returning ``returns``, ``params`` as (name, type)
    pairs; ``language`` for a Python UDF), or with ``feature_spec`` a feature spec (catalogued as a function)."""
    body: dict[str, Any] = {
        "kind": "FEATURE_SPEC" if feature_spec else "FUNCTION", "name": name, "comment": comment,
        "routine_definition": definition, "data_type": returns.upper() if returns else None,
        "full_data_type": returns, "input_params": [{"name": n, "type_text": t} for n, t in params or []],
    }
    if language:
        body.update(routine_body="EXTERNAL", external_language=language.upper())
    return _post(workspace, "/catalog-objects", body)


def unregister(workspace: WorkspaceLike, kind: str, name: str) -> None:
    """Remove a registration (``kind``: TABLE, VOLUME, MODEL, FUNCTION or FEATURE_SPEC). The files stay; a share
    that holds the object reports it as PERMISSION_DENIED until it is registered again."""
    api = client_of(workspace).api_client
    if kind.upper() == "TABLE":
        api.do("DELETE", f"{ADMIN}/tables/{name}")
    else:
        api.do("DELETE", f"{ADMIN}/catalog-objects/{kind.upper()}/{name}")
