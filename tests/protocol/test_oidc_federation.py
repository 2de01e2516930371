"""OIDC federation end to end: an OIDC_FEDERATION recipient with a federation policy (real databricks-sdk), the
local issuer as its identity provider, and the unmodified ``delta-sharing`` client with an
``oauth_client_credentials`` profile (``shareCredentialsVersion`` 2). Wrong audience, wrong subject, an unknown
issuer, a forged and an expired token are refused and audited; reads are audited under the recipient's name.

The profile shape is the one Databricks' M2M guide shows (docs.databricks.com ``delta-sharing/sharing-over-oidc-m2m``:
``endpoint``, ``tokenEndpoint``, ``clientId``, ``clientSecret``, ``scope``); the client's token request is
``delta_sharing/_internal_auth.py`` ``ClientSecretOAuthClient`` (HTTP Basic, ``grant_type=client_credentials``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import delta_sharing
import jwt
import pytest
import requests
from databricks.sdk.service import sharing as S
from deltalake import DeltaTable

from sharekit.analytics import SharingAnalytics
from sharekit.connect import Workspace
from sharekit.oidc import ClientCredentials, LocalIssuer, oauth_profile, write_profile
from sharekit.oidc.keys import SigningKey
from tests.protocol.conftest import Provider, unique

ORDERS = "main.sales.orders"
AUDIENCE = "api://sharekit-partner"


@pytest.fixture(scope="module")
def idp() -> Iterator[LocalIssuer]:
    with LocalIssuer() as issuer:
        yield issuer


def oidc_recipient(provider: Provider, idp: LocalIssuer, client: ClientCredentials, *,
                   audiences: list[str] | None = None, subject: str | None = None,
                   properties: dict[str, str] | None = None) -> str:
    name = unique("oidc")
    w = provider.ws.client
    w.recipients.create(name, S.AuthenticationType.OIDC_FEDERATION,
                        properties_kvpairs=S.SecurablePropertiesKvPairs(properties=properties) if properties else None)
    w.recipient_federation_policies.create(name, S.FederationPolicy(name="m2m", oidc_policy=S.OidcFederationPolicy(
        issuer=idp.url, audiences=audiences or [client.audience], subject_claim="azp",
        subject=subject or client.client_id)))
    return name


def endpoint(ws: Workspace) -> str:
    return f"{ws.host}/delta-sharing/"


def profile_file(provider: Provider, idp: LocalIssuer, client: ClientCredentials) -> Path:
    return write_profile(oauth_profile(endpoint(provider.ws), idp, client), provider.folder / f"{client.client_id}.share")


def get(ws: Workspace, path: str, token: str) -> requests.Response:
    return requests.get(endpoint(ws) + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_unmodified_client_reads_as_the_oidc_recipient(provider: Provider, idp: LocalIssuer) -> None:
    share = provider.share({"name": ORDERS, "partitions": [[{"name": "region", "recipient_property_key": "region"}]]})
    client = idp.register_client(audience=AUDIENCE)
    name = oidc_recipient(provider, idp, client, properties={"region": "EU"})
    provider.grant(share, name)
    profile = profile_file(provider, idp, client)
    assert json.loads(profile.read_text())["type"] == "oauth_client_credentials"
    assert profile.stat().st_mode & 0o077 == 0

    tables = delta_sharing.SharingClient(str(profile)).list_all_tables()
    assert [(t.share, t.schema, t.name) for t in tables] == [(share, "sales", "orders")]
    got = delta_sharing.load_as_pandas(f"{profile}#{share}.sales.orders")
    full = DeltaTable(provider.table_path(ORDERS)).to_pandas()
    assert len(got) == int((full["region"] == "EU").sum()) > 0 and set(got["region"]) == {"EU"}

    event = provider.audit("deltaSharingQueriedTable", recipient_name=name)[-1]
    assert event["response"]["status_code"] == 200
    assert event["request_params"]["oidc_issuer"] == idp.url
    assert event["request_params"]["oidc_subject"] == client.client_id
    activity = SharingAnalytics(provider.ws).recipient_activity(name, days=1)
    assert activity.df["requests"].sum() >= 2, "the usage analytics attribute the OIDC reads to the recipient"
    top = SharingAnalytics(provider.ws).most_accessed_tables(recipient=name, days=1).df
    assert len(top) == 1 and top.iloc[0]["requests"] >= 1


def test_wrong_audience_and_wrong_subject_are_403_and_audited(provider: Provider, idp: LocalIssuer) -> None:
    share = provider.share({"name": ORDERS})
    client = idp.register_client(audience="api://someone-else")
    wrong_audience = oidc_recipient(provider, idp, client, audiences=[AUDIENCE])
    other = idp.register_client(audience=AUDIENCE)
    wrong_subject = oidc_recipient(provider, idp, other, subject="not-this-client")
    for recipient in (wrong_audience, wrong_subject):
        provider.grant(share, recipient)
    for creds, code in ((client, "INVALID_AUDIENCE"), (other, "INVALID_SUBJECT")):
        answer = get(provider.ws, "shares", idp.mint(creds.client_id))
        assert answer.status_code == 403 and answer.json()["errorCode"] == code
        with pytest.raises(requests.HTTPError, match="403"):
            delta_sharing.SharingClient(str(profile_file(provider, idp, creds))).list_shares()
        refused = provider.audit("deltaSharingListShares", oidc_subject=creds.client_id)
        assert refused and all(e["response"]["status_code"] == 403 for e in refused)
        assert code in refused[-1]["response"]["error_message"]
        assert "recipient_name" not in refused[-1]["request_params"]
    failures = SharingAnalytics(provider.ws).failed_requests(days=1).df
    assert {"INVALID_AUDIENCE", "INVALID_SUBJECT"} <= set(failures[failures["status_code"] == 403]["reason"])


def test_expired_forged_and_unknown_issuer_tokens_are_401(provider: Provider, idp: LocalIssuer) -> None:
    client = idp.register_client(audience=AUDIENCE)
    name = oidc_recipient(provider, idp, client)
    assert get(provider.ws, "shares", idp.mint(client.client_id)).status_code == 200
    expired = idp.mint(client.client_id, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200,
                       exp=int(time.time()) - 3600)
    answer = get(provider.ws, "shares", expired)
    assert answer.status_code == 401 and answer.json()["errorCode"] == "EXPIRED_TOKEN"
    not_yet = idp.mint(client.client_id, nbf=int(time.time()) + 3600)
    assert get(provider.ws, "shares", not_yet).status_code == 401
    claims = jwt.decode(idp.mint(client.client_id), options={"verify_signature": False})
    forged = SigningKey.generate().sign(claims)  # same claims, a key the issuer never published
    answer = get(provider.ws, "shares", forged)
    assert answer.status_code == 401 and answer.json()["errorCode"] == "INVALID_TOKEN"
    unknown = idp.mint(client.client_id, iss="https://idp.invalid/")
    assert get(provider.ws, "shares", unknown).status_code == 401
    assert get(provider.ws, "shares", "a.b.c").status_code == 401
    provider.ws.client.recipients.update(name, expiration_time=int(time.time() * 1000) + 1500)
    assert get(provider.ws, "shares", idp.mint(client.client_id)).status_code == 200
    time.sleep(1.6)  # an expired recipient is refused whatever its token
    answer = get(provider.ws, "shares", idp.mint(client.client_id))
    assert answer.status_code == 401 and answer.json()["errorCode"] == "EXPIRED_TOKEN"
    events = provider.audit("deltaSharingListShares", oidc_issuer=idp.url)
    assert {e["response"]["status_code"] for e in events} >= {200, 401}


def test_a_recipient_without_the_grant_or_deleted_sees_nothing(provider: Provider, idp: LocalIssuer) -> None:
    share = provider.share({"name": ORDERS})
    client = idp.register_client(audience=AUDIENCE)
    name = oidc_recipient(provider, idp, client)
    token = idp.mint(client.client_id)
    assert get(provider.ws, "shares", token).json().get("items", []) == []
    assert get(provider.ws, f"shares/{share}", token).status_code == 403
    provider.grant(share, name)
    assert [s["name"] for s in get(provider.ws, "shares", token).json()["items"]] == [share]
    provider.ws.client.recipient_federation_policies.delete(name, "m2m")
    # other recipients of this module may still trust the issuer (403), or none does (401): never 200
    assert get(provider.ws, "shares", token).status_code in (401, 403)
    provider.ws.client.recipient_federation_policies.create(name, S.FederationPolicy(
        name="again", oidc_policy=S.OidcFederationPolicy(issuer=idp.url, audiences=[AUDIENCE], subject_claim="sub",
                                                         subject=client.client_id)))
    assert get(provider.ws, "shares", token).status_code == 200, "the sub claim works as well as azp"
    provider.ws.client.recipients.delete(name)
    assert get(provider.ws, "shares", token).status_code in (401, 403)


def test_the_issuer_refuses_bad_clients_and_scopes(idp: LocalIssuer) -> None:
    client = idp.register_client(audience=AUDIENCE)
    form = {"grant_type": "client_credentials"}
    ok = requests.post(idp.token_endpoint, auth=(client.client_id, client.client_secret),
                       data={**form, "scope": f"{AUDIENCE}/.default"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["expires_in"] > 0 and ok.headers["Cache-Control"] == "no-store"
    posted = requests.post(idp.token_endpoint, data={**form, "client_id": client.client_id,
                                                      "client_secret": client.client_secret}, timeout=10)
    assert posted.status_code == 200
    assert requests.post(idp.token_endpoint, auth=(client.client_id, "wrong"), data=form,
                         timeout=10).json()["error"] == "invalid_client"
    assert requests.post(idp.token_endpoint, auth=("nobody", "x"), data=form, timeout=10).status_code == 401
    assert requests.post(idp.token_endpoint, auth=(client.client_id, client.client_secret),
                         data={"grant_type": "password"}, timeout=10).json()["error"] == "unsupported_grant_type"
    assert requests.post(idp.token_endpoint, auth=(client.client_id, client.client_secret),
                         data={**form, "scope": "api://other"}, timeout=10).json()["error"] == "invalid_scope"
    discovery = requests.get(idp.url + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == idp.url and discovery["token_endpoint"] == idp.token_endpoint
    assert requests.get(discovery["jwks_uri"], timeout=10).json()["keys"][0]["kty"] == "RSA"
    assert client.client_secret not in repr(client)


def test_neither_the_jwt_nor_the_client_secret_is_kept_by_the_server(provider: Provider, idp: LocalIssuer) -> None:
    share = provider.share({"name": ORDERS})
    client = idp.register_client(audience=AUDIENCE)
    provider.grant(share, oidc_recipient(provider, idp, client))
    token = idp.mint(client.client_id)
    assert get(provider.ws, "shares", token).status_code == 200
    assert get(provider.ws, "shares", token[:-4] + "AAAA").status_code == 401  # a refused one neither
    signature = token.rsplit(".", 1)[1]
    events = json.dumps(provider.audit(oidc_subject=client.client_id), default=str)
    assert client.client_id in events and signature not in events and client.client_secret not in events
    assert provider.ws.home is not None
    for path in provider.ws.home.rglob("*"):
        if path.is_file() and path.suffix not in (".parquet",):  # parquet: the audit events checked above
            data = path.read_bytes()
            assert signature.encode() not in data and client.client_secret.encode() not in data, path
