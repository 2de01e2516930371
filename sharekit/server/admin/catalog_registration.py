"""Registering catalog objects beside tables: ``POST /sharekit/admin/catalog-objects``
``{"kind": "VOLUME" | "MODEL" | "FUNCTION" | "FEATURE_SPEC", "name": "main.x.y", "path": "/abs/folder", "comment": …,
"routine_definition": …, "data_type": …, "input_params": [{"name", "type_text"}]}``, listing and unregistering them.

A volume is a local folder of files (``path`` required); a model may name its artifacts folder; a function or feature
spec is its definition. Unregistering one that is shared makes it ``PERMISSION_DENIED`` in its shares.
"""

from __future__ import annotations

from typing import Any

from sharekit.server.body import opt_list, opt_str, req_str
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest
from sharekit.server.metastore.catalog_objects import CATALOG_KINDS
from sharekit.server.tables.catalog import FUNCTION_FIELDS
from sharekit.types import JSONObject

REGISTER_FIELDS = {"kind", "name", "path", "comment", *FUNCTION_FIELDS}


def _kind(value: str) -> str:
    kind = value.upper()
    if kind not in CATALOG_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(CATALOG_KINDS)}, got '{value}'")
    return kind


def _definition(body: JSONObject, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key in FUNCTION_FIELDS:
        if key == "input_params" or body.get(key) is None:
            continue
        if kind not in ("FUNCTION", "FEATURE_SPEC"):
            raise BadRequest(f"'{key}' applies only to functions and feature specs")
        details[key] = opt_str(body, key)
    params = opt_list(body, "input_params") or []
    if params and kind not in ("FUNCTION", "FEATURE_SPEC"):
        raise BadRequest("'input_params' applies only to functions and feature specs")
    details["input_params"] = [_param(p, i) for i, p in enumerate(params)]
    if kind == "FEATURE_SPEC":
        details.setdefault("routine_body", "EXTERNAL")
    return details if kind in ("FUNCTION", "FEATURE_SPEC") else {}


def _param(raw: Any, index: int) -> dict[str, str]:
    where = f"input_params[{index}]"
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object with name and type_text")
    return {"name": req_str(raw, "name", where), "type_text": req_str(raw, "type_text", where),
            "type_name": (opt_str(raw, "type_name", where) or req_str(raw, "type_text", where)).upper()}


def register(call: Call[str]) -> JSONObject:
    kind = _kind(req_str(call.body, "kind"))
    tables = call.state.tables
    obj = tables.catalog.register(kind, req_str(call.body, "name"), path=opt_str(call.body, "path"),
                                  comment=opt_str(call.body, "comment"), details=_definition(call.body, kind),
                                  taken=frozenset(tables.entries()))
    return {"kind": obj.kind, "full_name": obj.full_name, "path": obj.path, "comment": obj.comment}


def listing(call: Call[str]) -> JSONObject:
    return {"objects": [{"kind": o.kind, "full_name": o.full_name, "path": o.path}
                        for o in call.state.tables.catalog.listing(CATALOG_KINDS)]}


def unregister(call: Call[str]) -> JSONObject:
    call.state.tables.catalog.unregister(_kind(call.path("kind")), call.path("full_name"))
    return {}
