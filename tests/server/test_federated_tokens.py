"""The server's JWT verification against real local issuers: keys from OIDC discovery, a bounded cache, refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sharekit.oidc import LocalIssuer
from sharekit.server.errors import Unauthenticated
from sharekit.server.security.federated_tokens import JwksCache, looks_like_jwt, unverified_issuer


@pytest.fixture
def issuers() -> Iterator[list[LocalIssuer]]:
    started = [LocalIssuer().start() for _ in range(3)]
    yield started
    for issuer in started:
        issuer.stop()


def test_verify_returns_the_claims_and_the_cache_is_bounded(issuers: list[LocalIssuer]) -> None:
    cache = JwksCache(max_issuers=2)
    for issuer in issuers:
        client = issuer.register_client(audience="aud", claims={"groups": ["g1"]})
        token = issuer.mint(client.client_id)
        assert looks_like_jwt(token) and unverified_issuer(token) == issuer.url
        claims = cache.verify(token, issuer.url)
        assert claims["azp"] == client.client_id and claims["groups"] == ["g1"] and claims["aud"] == "aud"
        assert len(cache) <= 2
    first = issuers[0]
    token = first.mint(first.register_client(audience="aud").client_id)
    assert cache.verify(token, first.url)["iss"] == first.url, "an evicted issuer is fetched again"


def test_a_token_is_checked_against_the_issuer_it_is_verified_for(issuers: list[LocalIssuer]) -> None:
    one, two = issuers[0], issuers[1]
    token = one.mint(one.register_client(audience="aud").client_id)
    with pytest.raises(Unauthenticated) as err:
        JwksCache().verify(token, two.url)  # two's keys, one's signature and iss
    assert err.value.error_code == "INVALID_TOKEN"


def test_unreachable_or_lying_discovery_is_refused(issuers: list[LocalIssuer]) -> None:
    issuer = issuers[0]
    token = issuer.mint(issuer.register_client(audience="aud").client_id)
    with pytest.raises(Unauthenticated, match="OpenID configuration"):
        JwksCache(timeout_s=2).verify(token, "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(Unauthenticated, match="does not name the issuer"):
        JwksCache().verify(token, issuer.url + "/")  # the document names the issuer without the slash


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."])
def test_malformed_tokens(token: str) -> None:
    if looks_like_jwt(token):
        with pytest.raises(Unauthenticated):
            unverified_issuer(token)
    else:
        assert not looks_like_jwt(token)


def test_an_unsigned_token_naming_a_trusted_issuer_is_refused(issuers: list[LocalIssuer]) -> None:
    import base64
    import json

    issuer = issuers[0]

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    for header in ({"alg": "none"}, {"alg": "HS256", "kid": issuer.key.kid}):
        token = f"{part(header)}.{part({'iss': issuer.url, 'aud': 'aud', 'exp': 4102444800})}.c2ln"
        assert looks_like_jwt(token) and unverified_issuer(token) == issuer.url
        with pytest.raises(Unauthenticated):
            JwksCache().verify(token, issuer.url)


def test_a_failed_discovery_is_not_retried_at_once(issuers: list[LocalIssuer]) -> None:
    issuer = issuers[0]
    token = issuer.mint(issuer.register_client(audience="aud").client_id)
    url = issuer.url
    issuer.stop()  # the identity provider is down
    cache = JwksCache(timeout_s=2, retry_s=60)
    with pytest.raises(Unauthenticated, match="OpenID configuration"):
        cache.verify(token, url)
    started = time.monotonic()
    with pytest.raises(Unauthenticated, match="OpenID configuration"):
        cache.verify(token, url)
    assert time.monotonic() - started < 0.5, "refused from memory, no second wait on the issuer"


def test_a_withdrawn_key_stops_working_once_the_key_set_expires(issuers: list[LocalIssuer]) -> None:
    from sharekit.oidc.keys import SigningKey

    issuer = issuers[0]
    client = issuer.register_client(audience="aud")
    cache = JwksCache(ttl_s=0.5)
    old_token = issuer.mint(client.client_id)
    assert cache.verify(old_token, issuer.url)
    issuer.key = SigningKey.generate()  # the issuer rotates its key and publishes only the new one
    time.sleep(0.6)
    with pytest.raises(Unauthenticated):
        cache.verify(old_token, issuer.url)
    assert cache.verify(issuer.mint(client.client_id), issuer.url)
