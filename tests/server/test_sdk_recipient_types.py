"""Recipients of every type (DATABRICKS, OIDC_FEDERATION) and federation policies, through the real databricks-sdk
(``w.recipients``, ``w.recipient_federation_policies``) against the real server process.

Wire model: databricks-sdk ``databricks/sdk/service/sharing.py`` (``FederationPolicy``, ``OidcFederationPolicy``,
``RecipientFederationPoliciesAPI``). Reserved properties: terraform-provider-databricks
``sharing/resource_recipient.go`` (``recepientPropertiesSuppressDiff`` and the read that drops ``databricks.*``
keys before every update: the workspace keeps them when an update omits them).
"""

from __future__ import annotations

import re

import pytest
from databricks.sdk.errors import BadRequest, NotFound, ResourceConflict
from databricks.sdk.service import sharing

from sharekit.connect import Workspace

OIDC = sharing.AuthenticationType.OIDC_FEDERATION
D2D = sharing.AuthenticationType.DATABRICKS
SHARING_ID = "aws:us-west-2:19a85dee-54bc-43a2-87ab-023d0ec16013"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def policy(name: str, subject: str = "app-1", audiences: list[str] | None = None, comment: str | None = None,
           issuer: str = "https://login.microsoftonline.com/tenant-1/v2.0") -> sharing.FederationPolicy:
    return sharing.FederationPolicy(name=name, comment=comment, oidc_policy=sharing.OidcFederationPolicy(
        issuer=issuer, subject_claim="azp", subject=subject, audiences=audiences or ["api://sharekit"]))


def test_oidc_recipient_has_no_token_and_no_activation_link(mws: Workspace, unique: str) -> None:
    created = mws.client.recipients.create(unique, OIDC, comment="partner via Entra ID")
    assert created.authentication_type == OIDC
    assert not created.tokens and not created.activation_url and created.activated is False
    listed = {r.name: r for r in mws.client.recipients.list()}
    assert listed[unique].authentication_type == OIDC and not listed[unique].tokens
    with pytest.raises(BadRequest, match="Only TOKEN recipients"):
        mws.client.recipients.rotate_token(unique, existing_token_expire_in_seconds=0)
    mws.client.recipients.delete(unique)


def test_federation_policy_lifecycle(mws: Workspace, unique: str) -> None:
    w = mws.client
    w.recipients.create(unique, OIDC)
    made = w.recipient_federation_policies.create(unique, policy("m2m-app", comment="nightly job",
                                                                 audiences=["api://sharekit", "aud-2"]))
    assert made.name == "m2m-app" and made.comment == "nightly job" and made.id
    assert made.create_time and RFC3339.match(made.create_time) and made.update_time == made.create_time
    assert made.oidc_policy == sharing.OidcFederationPolicy(
        issuer="https://login.microsoftonline.com/tenant-1/v2.0", subject_claim="azp", subject="app-1",
        audiences=["api://sharekit", "aud-2"])
    assert w.recipient_federation_policies.get_federation_policy(unique, "m2m-app") == made
    for i in range(3):
        w.recipient_federation_policies.create(unique, policy(f"p-{i}", subject=f"app-{i}"))
    names = [p.name for p in w.recipient_federation_policies.list(unique, max_results=2)]
    assert names == ["m2m-app", "p-0", "p-1", "p-2"], "paged by the SDK's iterator, two at a time"
    with pytest.raises(ResourceConflict):
        w.recipient_federation_policies.create(unique, policy("p-0"))
    w.recipient_federation_policies.delete(unique, "p-0")
    with pytest.raises(NotFound):
        w.recipient_federation_policies.get_federation_policy(unique, "p-0")
    with pytest.raises(NotFound):
        w.recipient_federation_policies.delete(unique, "p-0")
    w.recipients.delete(unique)  # policies go with their recipient
    with pytest.raises(NotFound) as err:
        list(w.recipient_federation_policies.list(unique))
    assert err.value.error_code == "RECIPIENT_DOES_NOT_EXIST"


@pytest.mark.parametrize(("bad", "message"), [
    (policy("Upper-Case"), "lowercase letters, digits and hyphens"),
    (policy("under_score"), "lowercase letters, digits and hyphens"),
    (policy("ok", audiences=[""]), "at least one non-empty audience"),
    (policy("ok", issuer="not a url"), "Invalid issuer"),
    (sharing.FederationPolicy(name="ok", oidc_policy=sharing.OidcFederationPolicy(
        issuer="https://idp.example", subject_claim="email", subject="x", audiences=["a"])), "subject_claim"),
    (sharing.FederationPolicy(name="ok"), "oidc_policy"),
])
def test_bad_policies_are_400(mws: Workspace, unique: str, bad: sharing.FederationPolicy, message: str) -> None:
    mws.client.recipients.create(unique, OIDC)
    with pytest.raises(BadRequest, match=message) as err:
        mws.client.recipient_federation_policies.create(unique, bad)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert list(mws.client.recipient_federation_policies.list(unique)) == []
    mws.client.recipients.delete(unique)


def test_policies_only_for_oidc_recipients(mws: Workspace, unique: str) -> None:
    mws.client.recipients.create(unique, sharing.AuthenticationType.TOKEN)
    with pytest.raises(BadRequest, match="only to OIDC_FEDERATION recipients"):
        mws.client.recipient_federation_policies.create(unique, policy("p"))
    with pytest.raises(NotFound):
        mws.client.recipient_federation_policies.create(unique + "_none", policy("p"))
    mws.client.recipients.delete(unique)


def test_databricks_recipient_gets_reserved_properties_that_updates_keep(mws: Workspace, unique: str) -> None:
    w = mws.client
    created = w.recipients.create(unique, D2D, data_recipient_global_metastore_id=SHARING_ID,
                                  properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties={"region": "EU"}))
    assert created.authentication_type == D2D and created.activated is True and not created.tokens
    assert created.data_recipient_global_metastore_id == SHARING_ID
    assert (created.cloud, created.region, created.metastore_id) == ("aws", "us-west-2", SHARING_ID.split(":")[2])
    assert created.properties_kvpairs is not None
    props = created.properties_kvpairs.properties
    assert props["region"] == "EU" and props["databricks.metastoreId"] == SHARING_ID.split(":")[2]
    assert props["databricks.name"] == unique and props["databricks.accountId"]
    reserved = {k: v for k, v in props.items() if k.startswith("databricks.")}
    # a properties update replaces the user's map; the reserved keys stay (Terraform sends them never)
    w.recipients.update(unique, properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties={"tier": "gold"}))
    after = w.recipients.get(unique).properties_kvpairs
    assert after is not None and after.properties == {"tier": "gold", **reserved}
    w.recipients.update(unique, properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties={}))
    after = w.recipients.get(unique).properties_kvpairs
    assert after is not None and after.properties == reserved, "an empty map clears the user's keys only"
    with pytest.raises(BadRequest, match="reserved"):
        w.recipients.update(unique, properties_kvpairs=sharing.SecurablePropertiesKvPairs(
            properties={"databricks.name": "other"}))
    w.recipients.update(unique, owner="data-team")
    assert w.recipients.get(unique).owner == "data-team"
    w.recipients.delete(unique)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "needs data_recipient_global_metastore_id"),
    ({"data_recipient_global_metastore_id": "aws:us-west-2"}, "Invalid sharing identifier"),
    ({"data_recipient_global_metastore_id": SHARING_ID,
      "ip_access_list": sharing.IpAccessList(allowed_ip_addresses=["10.0.0.0/8"])}, "ip_access_list applies only"),
])
def test_bad_databricks_recipients_are_400(mws: Workspace, unique: str, kwargs: dict[str, object],
                                           message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        mws.client.recipients.create(unique, D2D, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        mws.client.recipients.get(unique)


def test_other_types_refuse_a_sharing_identifier_and_oauth_is_for_imports(mws: Workspace, unique: str) -> None:
    with pytest.raises(BadRequest, match="only to DATABRICKS"):
        mws.client.recipients.create(unique, OIDC, data_recipient_global_metastore_id=SHARING_ID)
    with pytest.raises(BadRequest, match="provider imports only"):
        mws.client.recipients.create(unique, sharing.AuthenticationType.OAUTH_CLIENT_CREDENTIALS)


def test_owner_round_trips(mws: Workspace, unique: str) -> None:
    created = mws.client.recipients.create(unique, OIDC, owner="partners-admins")
    assert created.owner == "partners-admins"
    mws.client.recipients.update(unique, owner="someone@example.com")
    assert mws.client.recipients.get(unique).owner == "someone@example.com"
    mws.client.recipients.delete(unique)
