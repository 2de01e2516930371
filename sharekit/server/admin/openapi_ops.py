"""Hand-written OpenAPI descriptions of every route: operation id, security, query parameters, request body.

``openapi.py`` walks the app's route table and looks each (method, path) up here; a route missing from this
table still appears in the document (marked ``x-undocumented``) and ``tests/hardening`` fails on it.
Paths are written as Starlette declares them (``{rest:path}``); the generator turns them into OpenAPI form.
"""

from __future__ import annotations

from typing import Any

from sharekit.names import MAX_IP_ADDRESSES, OBJECT_TYPES, REGISTERED_TABLE_TYPES
from sharekit.server import paths
from sharekit.server.metastore.catalog_objects import CATALOG_KINDS
from sharekit.server.settings import MAX_UPDATES, PREVIEW_MAX_ROWS

UC = paths.UC_API
SQL = paths.SQL_API
DS = paths.PROTOCOL
TABLE = paths.PROTOCOL_TABLE

ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]
RECIPIENT: list[dict[str, list[str]]] = [{"recipientToken": []}]
PUBLIC: list[dict[str, list[str]]] = []

S = {"type": "string"}
I64 = {"type": "integer", "format": "int64"}
BOOL = {"type": "boolean"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _q(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


PAGING = [_q("max_results", {"type": "integer", "minimum": 0}), _q("page_token", S)]
DS_PAGING = [_q("maxResults", {"type": "integer", "minimum": 0}), _q("pageToken", S)]
CAPABILITIES = {"name": "delta-sharing-capabilities", "in": "header", "required": False, "schema": S}

PARTITION = _obj({"values": {"type": "array", "items": _obj({
    "name": S, "op": {"type": "string", "enum": ["EQUAL", "LIKE"]}, "value": S, "recipient_property_key": S})}})
DATA_OBJECT = _obj({
    "name": S, "data_object_type": {"type": "string", "enum": list(OBJECT_TYPES)}, "comment": S,
    "shared_as": S, "string_shared_as": S, "content": S, "history_data_sharing_status": {"type": "string", "enum": ["ENABLED", "DISABLED"]},
    "cdf_enabled": BOOL, "start_version": I64, "partitions": {"type": "array", "items": PARTITION},
}, ("name",))
SHARE_UPDATE = _obj({
    "comment": S, "new_name": S, "owner": S, "storage_root": S,
    "updates": {"type": "array", "maxItems": MAX_UPDATES, "items": _obj({
        "action": {"type": "string", "enum": ["ADD", "REMOVE", "UPDATE"]}, "data_object": DATA_OBJECT},
        ("action", "data_object"))},
})
PERMISSIONS_UPDATE = _obj({
    "changes": {"type": "array", "items": _obj({"principal": S, "add": {"type": "array", "items": S},
                                                "remove": {"type": "array", "items": S}}, ("principal",))},
    "omit_permissions_list": BOOL,
})
PROPERTIES = _obj({"properties": {"type": "object", "additionalProperties": S}})
IP_LIST = _obj({"allowed_ip_addresses": {"type": "array", "items": S, "maxItems": MAX_IP_ADDRESSES}})
RECIPIENT_CREATE = _obj({
    "name": S, "authentication_type": {"type": "string", "enum": ["TOKEN", "DATABRICKS", "OIDC_FEDERATION"]},
    "comment": S, "owner": S, "expiration_time": I64, "ip_access_list": IP_LIST, "properties_kvpairs": PROPERTIES,
    "data_recipient_global_metastore_id": S, "sharing_code": S,
}, ("name", "authentication_type"))
FEDERATION_POLICY = _obj({"name": S, "comment": S, "oidc_policy": _obj({
    "issuer": S, "audiences": {"type": "array", "items": S, "minItems": 1}, "subject": S,
    "subject_claim": {"type": "string", "enum": ["oid", "azp", "groups", "sub"]}},
    ("issuer", "audiences", "subject_claim", "subject"))}, ("name", "oidc_policy"))
POLICIES = paths.DATA_SHARING_API + "/recipients/{recipient}/federation-policies"
RECIPIENT_UPDATE = _obj({"comment": S, "new_name": S, "owner": S, "expiration_time": I64, "ip_access_list": IP_LIST,
                         "properties_kvpairs": PROPERTIES})
STATEMENT = _obj({
    "statement": S, "warehouse_id": S, "wait_timeout": S, "row_limit": {"type": "integer", "minimum": 1},
    "byte_limit": {"type": "integer", "minimum": 1}, "on_wait_timeout": {"type": "string", "enum": ["CONTINUE",
                                                                                                     "CANCEL"]},
    "disposition": {"type": "string", "enum": ["INLINE"]}, "format": {"type": "string", "enum": ["JSON_ARRAY"]},
    "parameters": {"type": "array", "items": _obj({"name": S, "value": S, "type": S}, ("name",))},
}, ("statement", "warehouse_id"))
QUERY = {"type": "object", "properties": {
    "predicateHints": {"type": "array", "items": S}, "jsonPredicateHints": S, "limitHint": I64, "version": I64,
    "timestamp": S, "startingVersion": I64, "endingVersion": I64, "maxFiles": {"type": "integer", "minimum": 1},
    "pageToken": S, "includeRefreshToken": {"type": "boolean"}, "refreshToken": S}}


def _op(op_id: str, security: list[dict[str, list[str]]], *, params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, media: str = "application/json", summary: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": op_id, "security": security, "summary": summary or op_id}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {media: {"schema": body}}}
    return operation


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    # housekeeping
    ("GET", paths.HEALTH): _op("health", PUBLIC, summary="Liveness, pid and home of the server"),
    ("GET", paths.OPENAPI): _op("openapi", PUBLIC, summary="This document"),
    ("GET", paths.DATABRICKS_CONFIG): _op("databricksConfig", PUBLIC),
    ("GET", paths.SCIM_ME): _op("currentUser", ADMIN),
    ("POST", paths.ADMIN + "/demo"): _op("createDemoTables", ADMIN),
    ("POST", paths.ADMIN + "/tables"): _op("registerTable", ADMIN, body=_obj({
        "name": S, "path": S, "comment": S, "table_type": {"type": "string", "enum": list(REGISTERED_TABLE_TYPES)}},
        ("name", "path"))),
    ("POST", paths.ADMIN + "/catalog-objects"): _op("registerCatalogObject", ADMIN, body=_obj({
        "kind": {"type": "string", "enum": list(CATALOG_KINDS)}, "name": S, "path": S, "comment": S,
        "routine_definition": S, "data_type": S, "full_data_type": S, "routine_body": S, "external_language": S,
        "input_params": {"type": "array", "items": _obj({"name": S, "type_text": S, "type_name": S},
                                                        ("name", "type_text"))}}, ("kind", "name"))),
    ("GET", paths.ADMIN + "/catalog-objects"): _op("listCatalogObjects", ADMIN),
    ("DELETE", paths.ADMIN + "/catalog-objects/{kind}/{full_name}"): _op("unregisterCatalogObject", ADMIN),
    ("GET", paths.ADMIN + "/tables"): _op("listRegisteredTables", ADMIN),
    ("DELETE", paths.ADMIN + "/tables/{full_name}"): _op("unregisterTable", ADMIN),
    ("GET", paths.ADMIN + "/preview"): _op("previewAsRecipient", ADMIN, params=[
        _q("recipient", S), _q("share", S), _q("table", S), _q("limit", {"type": "integer", "minimum": 0,
                                                                          "maximum": PREVIEW_MAX_ROWS})],
        summary="What a recipient would receive from a share (or, with table, the provider's own sample)"),
    # Unity Catalog: shares
    ("POST", UC + "/shares"): _op("createShare", ADMIN, body=_obj({"name": S, "comment": S, "storage_root": S},
                                                                    ("name",))),
    ("GET", UC + "/shares"): _op("listShares", ADMIN, params=PAGING),
    ("GET", UC + "/shares/{name}"): _op("getShare", ADMIN, params=[_q("include_shared_data", BOOL)]),
    ("PATCH", UC + "/shares/{name}"): _op("updateShare", ADMIN, body=SHARE_UPDATE),
    ("DELETE", UC + "/shares/{name}"): _op("deleteShare", ADMIN),
    ("GET", UC + "/shares/{name}/permissions"): _op("getSharePermissions", ADMIN, params=PAGING),
    ("PATCH", UC + "/shares/{name}/permissions"): _op("updateSharePermissions", ADMIN, body=PERMISSIONS_UPDATE),
    # Unity Catalog: recipients and activation
    ("POST", UC + "/recipients"): _op("createRecipient", ADMIN, body=RECIPIENT_CREATE),
    ("GET", UC + "/recipients"): _op("listRecipients", ADMIN, params=PAGING),
    ("GET", UC + "/recipients/{name}"): _op("getRecipient", ADMIN),
    ("PATCH", UC + "/recipients/{name}"): _op("updateRecipient", ADMIN, body=RECIPIENT_UPDATE),
    ("DELETE", UC + "/recipients/{name}"): _op("deleteRecipient", ADMIN),
    ("POST", UC + "/recipients/{name}/rotate-token"): _op(
        "rotateRecipientToken", ADMIN, body=_obj({"existing_token_expire_in_seconds": I64},
                                                 ("existing_token_expire_in_seconds",))),
    ("GET", UC + "/recipients/{name}/share-permissions"): _op("getRecipientSharePermissions", ADMIN, params=PAGING),
    ("POST", POLICIES): _op("createRecipientFederationPolicy", ADMIN, body=FEDERATION_POLICY),
    ("GET", POLICIES): _op("listRecipientFederationPolicies", ADMIN, params=PAGING),
    ("GET", POLICIES + "/{name}"): _op("getRecipientFederationPolicy", ADMIN),
    ("DELETE", POLICIES + "/{name}"): _op("deleteRecipientFederationPolicy", ADMIN),
    ("GET", UC + "/public/data_sharing_activation_info/{activation:path}"): _op("getActivationUrlInfo", PUBLIC),
    ("GET", UC + "/public/data_sharing_activation/{activation:path}"): _op("retrieveRecipientToken", PUBLIC),
    # Unity Catalog: catalog browsing
    ("GET", UC + "/metastore_summary"): _op("getMetastoreSummary", ADMIN),
    ("GET", UC + "/current-metastore-assignment"): _op("getCurrentMetastoreAssignment", ADMIN),
    ("GET", UC + "/metastores/{id}"): _op("getMetastore", ADMIN),
    ("PATCH", UC + "/metastores/{id}"): _op("updateMetastore", ADMIN, body=_obj({
        "id": S, "delta_sharing_recipient_token_lifetime_in_seconds": I64})),
    ("GET", UC + "/catalogs"): _op("listCatalogs", ADMIN, params=PAGING),
    ("GET", UC + "/catalogs/{name}"): _op("getCatalog", ADMIN),
    ("GET", UC + "/schemas"): _op("listSchemas", ADMIN, params=[_q("catalog_name", S, True), *PAGING]),
    ("GET", UC + "/schemas/{full_name}"): _op("getSchema", ADMIN),
    ("GET", UC + "/tables"): _op("listTables", ADMIN, params=[
        _q("catalog_name", S, True), _q("schema_name", S, True), _q("omit_columns", BOOL),
        _q("omit_properties", BOOL), *PAGING]),
    ("GET", UC + "/tables/{full_name}"): _op("getTable", ADMIN),
    ("GET", UC + "/tables/{full_name}/exists"): _op("tableExists", ADMIN),
    ("GET", UC + "/table-summaries"): _op("listTableSummaries", ADMIN, params=[
        _q("catalog_name", S, True), _q("schema_name_pattern", S), _q("table_name_pattern", S), *PAGING]),
    # Unity Catalog: volumes, registered models, functions (feature specs among them)
    ("GET", UC + "/volumes"): _op("listVolumes", ADMIN, params=[_q("catalog_name", S, True),
                                                                _q("schema_name", S, True), *PAGING]),
    ("GET", UC + "/volumes/{name}"): _op("getVolume", ADMIN),
    ("GET", UC + "/models"): _op("listRegisteredModels", ADMIN, params=[_q("catalog_name", S),
                                                                        _q("schema_name", S), *PAGING]),
    ("GET", UC + "/models/{full_name}"): _op("getRegisteredModel", ADMIN),
    ("GET", UC + "/functions"): _op("listFunctions", ADMIN, params=[_q("catalog_name", S, True),
                                                                    _q("schema_name", S, True), *PAGING]),
    ("GET", UC + "/functions/{name}"): _op("getFunction", ADMIN),
    # statement execution and the warehouse
    ("POST", SQL + "/statements"): _op("executeStatement", ADMIN, body=STATEMENT),
    ("POST", SQL + "/statements/"): _op("executeStatementSlash", ADMIN, body=STATEMENT),
    ("GET", SQL + "/statements/{statement_id}"): _op("getStatement", ADMIN),
    ("POST", SQL + "/statements/{statement_id}/cancel"): _op("cancelStatement", ADMIN),
    ("GET", SQL + "/statements/{statement_id}/result/chunks/{chunk_index:int}"): _op("getStatementResultChunkN",
                                                                                     ADMIN),
    ("GET", SQL + "/warehouses"): _op("listWarehouses", ADMIN),
    ("GET", SQL + "/warehouses/{warehouse_id}"): _op("getWarehouse", ADMIN),
    # open Delta Sharing protocol
    ("GET", DS + "/shares"): _op("deltaSharingListShares", RECIPIENT, params=DS_PAGING),
    ("GET", DS + "/shares/{share}"): _op("deltaSharingGetShare", RECIPIENT),
    ("GET", DS + "/shares/{share}/schemas"): _op("deltaSharingListSchemas", RECIPIENT, params=DS_PAGING),
    ("GET", DS + "/shares/{share}/schemas/{schema}/tables"): _op("deltaSharingListTables", RECIPIENT,
                                                                 params=DS_PAGING),
    ("GET", DS + "/shares/{share}/all-tables"): _op("deltaSharingListAllTables", RECIPIENT, params=DS_PAGING),
    ("HEAD", TABLE): _op("deltaSharingGetTableVersionHead", RECIPIENT),
    ("GET", TABLE + "/version"): _op("deltaSharingGetTableVersion", RECIPIENT,
                                     params=[_q("startingTimestamp", S)]),
    ("GET", TABLE + "/metadata"): _op("deltaSharingGetTableMetadata", RECIPIENT, params=[
        CAPABILITIES, _q("version", {"type": "integer", "minimum": 0}), _q("timestamp", S)]),
    ("POST", TABLE + "/query"): _op("deltaSharingQueryTable", RECIPIENT, params=[CAPABILITIES], body=QUERY),
    ("GET", TABLE + "/changes"): _op("deltaSharingQueryTableChanges", RECIPIENT, params=[
        CAPABILITIES, _q("startingVersion", {"type": "integer", "minimum": 0}), _q("startingTimestamp", S),
        _q("endingVersion", {"type": "integer", "minimum": 0}), _q("endingTimestamp", S),
        _q("maxFiles", {"type": "integer", "minimum": 1}), _q("pageToken", S)]),
    # signed files and the activation page
    ("GET", paths.FILES + "{area}/{key}/{rest:path}"): _op("getFile", PUBLIC, params=[
        _q("X-Amz-Expires", S), _q("X-Amz-Signature", S)], summary="A signed, expiring data file URL"),
    ("HEAD", paths.FILES + "{area}/{key}/{rest:path}"): _op("headFile", PUBLIC, params=[
        _q("X-Amz-Expires", S), _q("X-Amz-Signature", S)]),
    ("GET", paths.ACTIVATION_PAGE): _op("activationPage", PUBLIC, params=[_q("token", S)]),
    ("POST", paths.ACTIVATION_PAGE + "/download"): _op("activationDownload", PUBLIC,
                                                                  params=[_q("token", S)]),
}
