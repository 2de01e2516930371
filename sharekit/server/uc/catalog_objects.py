"""Volumes, registered models and functions (feature specs among them) as Unity Catalog lists and describes them:
``/api/2.1/unity-catalog/volumes``, ``/models``, ``/functions``, with the shapes of databricks-sdk
``catalog.VolumeInfo``, ``RegisteredModelInfo`` and ``FunctionInfo``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sharekit.server.body import drop_none
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest
from sharekit.server.metastore.catalog_objects import CatalogObject
from sharekit.server.metastore.paging import paginate
from sharekit.server.settings import METASTORE_ID
from sharekit.types import JSONObject

FEATURE_SPEC_PROPERTY = "sharekit.object_type"  # in FunctionInfo.properties (a JSON string) of a feature spec


def _common(obj: CatalogObject, owner: str) -> JSONObject:
    catalog, schema, name = obj.parts
    return drop_none({"name": name, "catalog_name": catalog, "schema_name": schema, "full_name": obj.full_name,
                      "comment": obj.comment, "owner": owner, "created_at": obj.created_at, "created_by": owner,
                      "updated_at": obj.created_at, "updated_by": owner, "metastore_id": METASTORE_ID})


def _object_id(obj: CatalogObject) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sharekit:{obj.kind}:{obj.full_name}"))


def volume_json(obj: CatalogObject, owner: str) -> JSONObject:
    return {**_common(obj, owner), "volume_type": "EXTERNAL", "volume_id": _object_id(obj),
            "storage_location": Path(str(obj.path)).as_uri()}


def model_json(obj: CatalogObject, owner: str) -> JSONObject:
    payload = {**_common(obj, owner), "aliases": []}
    if obj.path:
        payload["storage_location"] = Path(obj.path).as_uri()
    return payload


def function_json(obj: CatalogObject, owner: str) -> JSONObject:
    details = obj.details
    catalog, schema, name = obj.parts
    params = [{"name": p["name"], "type_text": p["type_text"], "type_name": p.get("type_name", "STRING"),
               "position": i} for i, p in enumerate(details.get("input_params") or [])]
    payload = {**_common(obj, owner), **drop_none({
        "function_id": _object_id(obj), "specific_name": name, "routine_body": details.get("routine_body", "SQL"),
        "routine_definition": details.get("routine_definition"), "data_type": details.get("data_type"),
        "full_data_type": details.get("full_data_type"), "external_language": details.get("external_language"),
        "security_type": "DEFINER", "sql_data_access": "CONTAINS_SQL", "parameter_style": "S",
        "is_deterministic": True, "is_null_call": False, "sql_path": f"{catalog}.{schema}",
    })}
    payload["input_params"] = {"parameters": params}
    if obj.kind == "FEATURE_SPEC":
        payload["properties"] = json.dumps({FEATURE_SPEC_PROPERTY: "FEATURE_SPEC"})
    return payload


def _listing(call: Call[str], kinds: tuple[str, ...], key: str, *, need_schema: bool) -> JSONObject:
    catalog, schema = call.query_str("catalog_name"), call.query_str("schema_name")
    if need_schema and (catalog is None or schema is None):
        raise BadRequest("catalog_name and schema_name are required")
    if (catalog is None) != (schema is None):
        raise BadRequest("catalog_name and schema_name must be given together")
    tables = call.state.tables
    if catalog is not None and schema is not None:
        tables.list_tables(catalog, schema)  # CATALOG_DOES_NOT_EXIST / SCHEMA_DOES_NOT_EXIST
    found = {o.full_name: o for o in tables.catalog.listing(kinds, catalog, schema)}
    keys, token = paginate(sorted(found), call.query_int("max_results"), call.query_str("page_token"))
    render = {"volumes": volume_json, "registered_models": model_json, "functions": function_json}[key]
    return drop_none({key: [render(found[k], call.who) for k in keys], "next_page_token": token})


def list_volumes(call: Call[str]) -> JSONObject:
    return _listing(call, ("VOLUME",), "volumes", need_schema=True)


def read_volume(call: Call[str]) -> JSONObject:
    return volume_json(call.state.tables.catalog.get(("VOLUME",), call.path("name")), call.who)


def list_models(call: Call[str]) -> JSONObject:
    return _listing(call, ("MODEL",), "registered_models", need_schema=False)


def get_model(call: Call[str]) -> JSONObject:
    return model_json(call.state.tables.catalog.get(("MODEL",), call.path("full_name")), call.who)


def list_functions(call: Call[str]) -> JSONObject:
    return _listing(call, ("FUNCTION", "FEATURE_SPEC"), "functions", need_schema=True)


def get_function(call: Call[str]) -> JSONObject:
    return function_json(call.state.tables.catalog.get(("FUNCTION", "FEATURE_SPEC"), call.path("name")), call.who)
