"""OIDC federation policies of a recipient: ``/api/2.0/data-sharing/recipients/{recipient}/federation-policies``.

The wire model is the SDK's ``FederationPolicy`` (``databricks/sdk/service/sharing.py``): ``name``, ``comment``,
``oidc_policy {issuer, audiences, subject_claim, subject}``, and the server's ``id``, ``create_time``,
``update_time`` (RFC 3339 strings). The SDK has create, get, list and delete; there is no update.
"""

from __future__ import annotations

from sharekit.names import FEDERATION_POLICY_NAME, MAX_AUDIENCES, SUBJECT_CLAIMS, is_issuer_url
from sharekit.server.body import drop_none, obj_of, opt_list, opt_str, req_str, str_list
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest
from sharekit.server.metastore.records import FederationPolicy
from sharekit.types import JSONObject

CREATE_FIELDS = {"name", "comment", "oidc_policy", "id", "create_time", "update_time"}
OIDC_FIELDS = {"issuer", "audiences", "subject_claim", "subject"}


def policy_json(policy: FederationPolicy) -> JSONObject:
    return drop_none({
        "id": policy.id, "name": policy.name, "comment": policy.comment,
        "oidc_policy": {"issuer": policy.issuer, "audiences": list(policy.audiences),
                        "subject_claim": policy.subject_claim, "subject": policy.subject},
        "create_time": policy.create_time, "update_time": policy.update_time,
    })


def _recipient(call: Call[str]) -> str:
    return call.path("recipient").lower()


def _policy_name(value: str) -> str:
    if not FEDERATION_POLICY_NAME.match(value):
        raise BadRequest(f"Invalid federation policy name '{value}': use only lowercase letters, digits and "
                         "hyphens")
    return value


def _issuer(value: str) -> str:
    if not is_issuer_url(value):
        raise BadRequest(f"Invalid issuer '{value}': expected the issuer URL of the identity provider, "
                         "e.g. https://login.microsoftonline.com/<tenant>/v2.0")
    return value


def _audiences(oidc: JSONObject) -> list[str]:
    audiences = str_list(opt_list(oidc, "audiences", "oidc_policy") or [], "oidc_policy.audiences")
    if not audiences or any(not a.strip() for a in audiences):
        raise BadRequest("oidc_policy.audiences must list at least one non-empty audience")
    if len(audiences) > MAX_AUDIENCES:
        raise BadRequest(f"oidc_policy.audiences allows at most {MAX_AUDIENCES} entries")
    return list(dict.fromkeys(audiences))


def create_policy(call: Call[str]) -> JSONObject:
    body = call.body
    name = _policy_name(req_str(body, "name", "federation policy"))
    if body.get("oidc_policy") is None:
        raise BadRequest("Field 'oidc_policy' is required in federation policy")
    oidc = obj_of(body["oidc_policy"], "oidc_policy", OIDC_FIELDS)
    claim = req_str(oidc, "subject_claim", "oidc_policy")
    if claim not in SUBJECT_CLAIMS:
        raise BadRequest(f"Invalid subject_claim '{claim}': expected one of {', '.join(SUBJECT_CLAIMS)}")
    policy = call.state.metastore.create_policy(
        _recipient(call), name=name, issuer=_issuer(req_str(oidc, "issuer", "oidc_policy")),
        audiences=_audiences(oidc), subject_claim=claim, subject=req_str(oidc, "subject", "oidc_policy"),
        comment=opt_str(body, "comment"))
    return policy_json(policy)


def get_policy(call: Call[str]) -> JSONObject:
    return policy_json(call.state.metastore.get_policy(_recipient(call), call.path("name")))


def list_policies(call: Call[str]) -> JSONObject:
    page = call.state.metastore.list_policies(_recipient(call), max_results=call.query_int("max_results"),
                                              page_token=call.query_str("page_token"))
    return drop_none({"policies": [policy_json(p) for p in page.items], "next_page_token": page.next_page_token})


def delete_policy(call: Call[str]) -> JSONObject:
    call.state.metastore.delete_policy(_recipient(call), call.path("name"))
    return {}
