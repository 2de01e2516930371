"""Catalog browsing over the local tables: catalogs, schemas, tables, table summaries."""

from __future__ import annotations

from sharekit.names import like_pattern
from sharekit.server.body import drop_none
from sharekit.server.endpoint import Call
from sharekit.server.errors import NotFound
from sharekit.server.metastore import names
from sharekit.server.metastore.paging import paginate
from sharekit.server.settings import METASTORE_ID
from sharekit.server.tables.registry import TableEntry, TableRegistry
from sharekit.server.views.evaluation import table_metadata
from sharekit.types import JSONObject


def catalog_json(name: str, owner: str) -> JSONObject:
    return {"name": name, "full_name": name, "catalog_type": "MANAGED_CATALOG", "owner": owner,
            "metastore_id": METASTORE_ID, "isolation_mode": "OPEN"}


def schema_json(catalog: str, schema: str, owner: str) -> JSONObject:
    return {"name": schema, "catalog_name": catalog, "full_name": f"{catalog}.{schema}", "owner": owner,
            "catalog_type": "MANAGED_CATALOG", "metastore_id": METASTORE_ID}


def table_json(entry: TableEntry, tables: TableRegistry, owner: str, *, columns: bool = True,
               properties: bool = True) -> JSONObject:
    meta = table_metadata(tables, entry)
    is_view = entry.table_type == "VIEW"
    payload = drop_none({
        "name": entry.name, "catalog_name": entry.catalog, "schema_name": entry.schema, "full_name": entry.full_name,
        "table_type": entry.table_type, "data_source_format": None if is_view else "DELTA",
        "storage_location": None if is_view else entry.path.as_uri(), "comment": meta.comment or entry.comment,
        "owner": owner, "table_id": meta.table_id, "created_at": meta.created_at, "created_by": owner,
        "view_definition": entry.view_definition, "metastore_id": METASTORE_ID,
    })
    if columns:
        payload["columns"] = meta.columns
    if properties and meta.properties:
        payload["properties"] = dict(meta.properties)
    return payload


def list_catalogs(call: Call[str]) -> JSONObject:
    keys, token = paginate(call.state.tables.list_catalogs(), call.query_int("max_results"),
                           call.query_str("page_token"))
    return drop_none({"catalogs": [catalog_json(k, call.who) for k in keys], "next_page_token": token})


def get_catalog(call: Call[str]) -> JSONObject:
    name = call.path("name").lower()
    if name not in call.state.tables.list_catalogs():
        raise NotFound(f"Catalog '{name}' does not exist.", "CATALOG_DOES_NOT_EXIST")
    return catalog_json(name, call.who)


def list_schemas(call: Call[str]) -> JSONObject:
    catalog = str(call.query_str("catalog_name", required=True)).lower()
    keys, token = paginate(call.state.tables.list_schemas(catalog), call.query_int("max_results"),
                           call.query_str("page_token"))
    return drop_none({"schemas": [schema_json(catalog, k, call.who) for k in keys], "next_page_token": token})


def get_schema(call: Call[str]) -> JSONObject:
    catalog, schema = names.split_full_name(call.path("full_name"), 2, "schema")
    if schema not in call.state.tables.list_schemas(catalog):
        raise NotFound(f"Schema '{catalog}.{schema}' does not exist.", "SCHEMA_DOES_NOT_EXIST")
    return schema_json(catalog, schema, call.who)


def list_tables(call: Call[str]) -> JSONObject:
    catalog = str(call.query_str("catalog_name", required=True))
    schema = str(call.query_str("schema_name", required=True))
    entries = {e.name: e for e in call.state.tables.list_tables(catalog, schema)}
    keys, token = paginate(sorted(entries), call.query_int("max_results"), call.query_str("page_token"))
    tables = [table_json(entries[k], call.state.tables, call.who, columns=not call.query_bool("omit_columns"),
                         properties=not call.query_bool("omit_properties")) for k in keys]
    return drop_none({"tables": tables, "next_page_token": token})


def get_table(call: Call[str]) -> JSONObject:
    entry = call.state.tables.get(call.path("full_name"))
    return table_json(entry, call.state.tables, call.who)


def table_exists(call: Call[str]) -> JSONObject:
    try:
        call.state.tables.get(call.path("full_name"))
    except NotFound:
        return {"table_exists": False}
    return {"table_exists": True}


def table_summaries(call: Call[str]) -> JSONObject:
    catalog = str(call.query_str("catalog_name", required=True)).lower()
    schema_pattern = like_pattern(call.query_str("schema_name_pattern") or "%")
    table_pattern = like_pattern(call.query_str("table_name_pattern") or "%")
    tables = call.state.tables
    if catalog not in tables.list_catalogs():
        raise NotFound(f"Catalog '{catalog}' does not exist.", "CATALOG_DOES_NOT_EXIST")
    entries = {e.full_name: e for e in tables.entries().values()
               if e.catalog == catalog and schema_pattern.match(e.schema) and table_pattern.match(e.name)}
    keys, token = paginate(sorted(entries), call.query_int("max_results"), call.query_str("page_token"))
    return drop_none({"tables": [{"full_name": k, "table_type": entries[k].table_type} for k in keys],
                      "next_page_token": token})
