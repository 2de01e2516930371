"""The Unity Catalog area's route table: every handler through ``endpoint`` (admin token, except the public
activation endpoints)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from sharekit.server.body import dumps
from sharekit.server.endpoint import admin, body_name, endpoint, public
from sharekit.server.paths import DATA_SHARING_API, UC_API
from sharekit.server.routing import RouteGroup
from sharekit.server.uc import (
    activation,
    browse,
    catalog_objects,
    federation_policies,
    metastores,
    recipients,
    shares,
)
from sharekit.server.uc.retried_writes import converging, created_recipient

SHARES = f"{UC_API}/shares"
RECIPIENTS = f"{UC_API}/recipients"
PUBLIC = f"{UC_API}/public"


def _share_routes() -> list[BaseRoute]:
    return [
        Route(SHARES, endpoint("createShare", converging(shares.create_share), guard=admin,
                               fields=shares.CREATE_FIELDS, audit_params=body_name), methods=["POST"]),
        Route(SHARES, endpoint("listShares", shares.list_shares, guard=admin), methods=["GET"]),
        Route(SHARES + "/{name}", endpoint("getShare", shares.get_share, guard=admin), methods=["GET"]),
        Route(SHARES + "/{name}", endpoint("updateShare", converging(shares.update_share), guard=admin,
                                           fields=shares.UPDATE_FIELDS, audit_params=shares.audit_updates),
              methods=["PATCH"]),
        Route(SHARES + "/{name}", endpoint("deleteShare", converging(shares.delete_share), guard=admin),
              methods=["DELETE"]),
        Route(SHARES + "/{name}/permissions", endpoint("getSharePermissions", shares.get_permissions, guard=admin),
              methods=["GET"]),
        Route(SHARES + "/{name}/permissions", endpoint("updateSharePermissions", shares.update_permissions,
                                                       guard=admin, fields=shares.PERMISSION_FIELDS,
                                                       audit_params=shares.audit_changes), methods=["PATCH"]),
    ]


def _recipient_routes() -> list[BaseRoute]:
    return [
        Route(RECIPIENTS, endpoint("createRecipient", converging(recipients.create_recipient, created_recipient),
                                   guard=admin, fields=recipients.CREATE_FIELDS, audit_params=body_name),
              methods=["POST"]),
        Route(RECIPIENTS, endpoint("listRecipients", recipients.list_recipients, guard=admin), methods=["GET"]),
        Route(RECIPIENTS + "/{name}", endpoint("getRecipient", recipients.get_recipient, guard=admin),
              methods=["GET"]),
        Route(RECIPIENTS + "/{name}", endpoint("updateRecipient", recipients.update_recipient, guard=admin,
                                               fields=recipients.UPDATE_FIELDS,
                                               audit_params=lambda call: {"changes": dumps(call.body)}),
              methods=["PATCH"]),
        Route(RECIPIENTS + "/{name}", endpoint("deleteRecipient", converging(recipients.delete_recipient), guard=admin),
              methods=["DELETE"]),
        Route(RECIPIENTS + "/{name}/rotate-token", endpoint("rotateRecipientToken", recipients.rotate_token,
                                                            guard=admin, fields=recipients.ROTATE_FIELDS),
              methods=["POST"]),
        Route(RECIPIENTS + "/{name}/share-permissions", endpoint("getRecipientSharePermissions",
                                                                 recipients.share_permissions, guard=admin),
              methods=["GET"]),
        Route(PUBLIC + "/data_sharing_activation_info/{activation:path}",
              endpoint("getActivationUrlInfo", activation.activation_info, guard=public), methods=["GET"]),
        Route(PUBLIC + "/data_sharing_activation/{activation:path}",
              endpoint("retrieveRecipientToken", activation.retrieve_token, guard=public), methods=["GET"]),
    ]


def _federation_routes() -> list[BaseRoute]:
    policies = DATA_SHARING_API + "/recipients/{recipient}/federation-policies"
    return [
        Route(policies, endpoint("createRecipientFederationPolicy", federation_policies.create_policy, guard=admin,
                                 fields=federation_policies.CREATE_FIELDS, audit_params=body_name), methods=["POST"]),
        Route(policies, endpoint("listRecipientFederationPolicies", federation_policies.list_policies, guard=admin),
              methods=["GET"]),
        Route(policies + "/{name}", endpoint("getRecipientFederationPolicy", federation_policies.get_policy,
                                             guard=admin), methods=["GET"]),
        Route(policies + "/{name}", endpoint("deleteRecipientFederationPolicy", federation_policies.delete_policy,
                                             guard=admin), methods=["DELETE"]),
    ]


def _browse_routes() -> list[BaseRoute]:
    return [
        Route(f"{UC_API}/catalogs", endpoint("listCatalogs", browse.list_catalogs, guard=admin), methods=["GET"]),
        Route(f"{UC_API}/catalogs/{{name}}", endpoint("getCatalog", browse.get_catalog, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/schemas", endpoint("listSchemas", browse.list_schemas, guard=admin), methods=["GET"]),
        Route(f"{UC_API}/schemas/{{full_name}}", endpoint("getSchema", browse.get_schema, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/tables", endpoint("listTables", browse.list_tables, guard=admin), methods=["GET"]),
        Route(f"{UC_API}/tables/{{full_name}}", endpoint("getTable", browse.get_table, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/tables/{{full_name}}/exists", endpoint("tableExists", browse.table_exists, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/table-summaries", endpoint("listTableSummaries", browse.table_summaries, guard=admin),
              methods=["GET"]),
    ]


def _metastore_routes() -> list[BaseRoute]:
    return [
        Route(f"{UC_API}/metastore_summary", endpoint("getMetastoreSummary", metastores.summary, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/current-metastore-assignment", endpoint("getCurrentMetastoreAssignment",
                                                                 metastores.current_assignment, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/metastores/{{id}}", endpoint("getMetastore", metastores.get_metastore, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/metastores/{{id}}", endpoint("updateMetastore", metastores.update_metastore, guard=admin,
                                                      fields=metastores.UPDATE_FIELDS,
                                                      audit_params=metastores.audit_update), methods=["PATCH"]),
    ]


def _catalog_object_routes() -> list[BaseRoute]:
    objects = catalog_objects
    return [
        Route(f"{UC_API}/volumes", endpoint("listVolumes", objects.list_volumes, guard=admin), methods=["GET"]),
        Route(f"{UC_API}/volumes/{{name}}", endpoint("getVolume", objects.read_volume, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/models", endpoint("listRegisteredModels", objects.list_models, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/models/{{full_name}}", endpoint("getRegisteredModel", objects.get_model, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/functions", endpoint("listFunctions", objects.list_functions, guard=admin),
              methods=["GET"]),
        Route(f"{UC_API}/functions/{{name}}", endpoint("getFunction", objects.get_function, guard=admin),
              methods=["GET"]),
    ]


def routes() -> list[BaseRoute]:
    return [RouteGroup(UC_API + "/", [*_share_routes(), *_recipient_routes(), *_browse_routes(),
                                      *_metastore_routes(), *_catalog_object_routes()]),
            RouteGroup(DATA_SHARING_API + "/", _federation_routes())]
