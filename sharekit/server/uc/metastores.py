"""The workspace's metastore as the SDK reads it (``w.metastores``): the summary, the current assignment, get,
and the update of ``delta_sharing_recipient_token_lifetime_in_seconds`` (the lifetime of new recipient tokens).

Shapes: ``databricks.sdk.service.catalog.GetMetastoreSummaryResponse``, ``MetastoreInfo`` and
``MetastoreAssignment``; paths: ``GET /api/2.1/unity-catalog/metastore_summary``,
``GET /api/2.1/unity-catalog/current-metastore-assignment``, ``GET|PATCH /api/2.1/unity-catalog/metastores/{id}``.
"""

from __future__ import annotations

from sharekit.server.body import drop_none, opt_int
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest, NotFound
from sharekit.server.metastore import metastore_policy
from sharekit.server.settings import ADMIN_USER, METASTORE_ID, WORKSPACE_ID
from sharekit.types import JSONObject

NAME = "sharekit"
# The update fields the SDK sends; only the token lifetime changes anything on the embedded server.
UPDATE_FIELDS = {"id", "delta_sharing_organization_name", "delta_sharing_recipient_token_lifetime_in_seconds",
                 "delta_sharing_scope", "external_access_enabled", "new_name", "owner", "privilege_model_version",
                 "storage_root_credential_id"}
SUPPORTED_UPDATES = {"id", "delta_sharing_recipient_token_lifetime_in_seconds"}


def metastore_json(call: Call[str]) -> JSONObject:
    settings = metastore_policy.read_settings(call.state.metastore)
    return drop_none({
        "metastore_id": METASTORE_ID, "global_metastore_id": f"local:local:{METASTORE_ID}", "name": NAME,
        "cloud": "local", "region": "local", "owner": ADMIN_USER, "privilege_model_version": "1.0",
        "delta_sharing_scope": "INTERNAL_AND_EXTERNAL",
        "delta_sharing_recipient_token_lifetime_in_seconds": settings.token_lifetime_s,
        "updated_at": settings.updated_at, "updated_by": settings.updated_by,
    })


def summary(call: Call[str]) -> JSONObject:
    return metastore_json(call)


def current_assignment(call: Call[str]) -> JSONObject:
    return {"metastore_id": METASTORE_ID, "workspace_id": int(WORKSPACE_ID), "default_catalog_name": "main"}


def _check_id(call: Call[str]) -> None:
    if call.path("id") != METASTORE_ID:
        raise NotFound(f"Metastore '{call.path('id')}' does not exist.", "METASTORE_DOES_NOT_EXIST")


def get_metastore(call: Call[str]) -> JSONObject:
    _check_id(call)
    return metastore_json(call)


def audit_update(call: Call[str]) -> dict[str, object]:
    """The audit log's ``updateMetastore`` parameters (as Databricks records them)."""
    return {"metastore_id": call.path("id"), "delta_sharing_recipient_token_lifetime_in_seconds":
            call.body.get("delta_sharing_recipient_token_lifetime_in_seconds")}


def update_metastore(call: Call[str]) -> JSONObject:
    _check_id(call)
    unsupported = sorted(set(call.body) - SUPPORTED_UPDATES)
    if unsupported:
        raise BadRequest(f"Field '{unsupported[0]}' cannot be changed on the embedded server")
    seconds = opt_int(call.body, "delta_sharing_recipient_token_lifetime_in_seconds")
    if seconds is not None:
        try:
            metastore_policy.set_token_lifetime(call.state.metastore, seconds, user=call.who,
                                                now_ms=call.state.now_ms())
        except ValueError as err:
            raise BadRequest(str(err)) from err
    return metastore_json(call)
