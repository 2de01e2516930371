"""JWTs of OIDC_FEDERATION recipients: the issuer's keys (OIDC discovery → ``jwks_uri``, cached with a bound) and
the verification of signature, ``iss``, ``exp``/``nbf``, all through PyJWT. Which audience and subject a
recipient accepts is the caller's business (its federation policies); this module only says whether a token
is genuine and returns its claims.

Keys are fetched only for issuers that some policy names (the caller checks that first), so a token cannot make
the server fetch an arbitrary URL.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from sharekit.server.errors import Unauthenticated
from sharekit.server.settings import (
    JWKS_CACHE_ISSUERS,
    JWKS_FETCH_TIMEOUT_S,
    JWKS_REFRESH_COOLDOWN_S,
    JWKS_RETRY_S,
    JWKS_TTL_S,
    JWT_LEEWAY_S,
)

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
DISCOVERY = "/.well-known/openid-configuration"
INVALID_TOKEN = "INVALID_TOKEN"  # the error code of a JWT that is malformed, forged or from an unknown key
EXPIRED_TOKEN = "EXPIRED_TOKEN"


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments: a compact JWS (bearer tokens of TOKEN recipients never contain dots)."""
    return token.count(".") == 2 and all(token.split("."))


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim, read without trusting it: it only selects the policies (and keys) to check against."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as err:
        raise Unauthenticated(f"The bearer token is not a valid JWT: {err}", INVALID_TOKEN) from err
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise Unauthenticated("The bearer JWT has no 'iss' claim", INVALID_TOKEN)
    return issuer


@dataclass
class _Issuer:
    keys: jwt.PyJWKClient
    fetched_at: float


class JwksCache:
    """The signing keys of at most ``max_issuers`` issuers (least recently used dropped first); an issuer's
    discovery document is fetched again after ``ttl_s``, and its key set whenever a token names an unknown key."""

    def __init__(self, *, max_issuers: int = JWKS_CACHE_ISSUERS, ttl_s: float = JWKS_TTL_S,
                 timeout_s: float = JWKS_FETCH_TIMEOUT_S, retry_s: float = JWKS_RETRY_S) -> None:
        self.max_issuers = max_issuers
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self._issuers: OrderedDict[str, _Issuer] = OrderedDict()
        self._failures: OrderedDict[str, tuple[float, Unauthenticated]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._issuers)

    def _keys(self, issuer: str) -> jwt.PyJWKClient:
        now = time.monotonic()
        with self._lock:
            entry = self._issuers.get(issuer)
            if entry is not None and now - entry.fetched_at < self.ttl_s:
                self._issuers.move_to_end(issuer)
                return entry.keys
        # the key *set* is cached for ttl_s (a key the issuer withdraws stops working then); PyJWT's per-key cache
        # is off, as it never expires
        keys = jwt.PyJWKClient(self._jwks_uri_once(issuer, now), cache_keys=False, lifespan=self.ttl_s,
                               timeout=self.timeout_s, cooldown_duration=JWKS_REFRESH_COOLDOWN_S)
        with self._lock:
            self._issuers[issuer] = _Issuer(keys, now)
            self._issuers.move_to_end(issuer)
            while len(self._issuers) > self.max_issuers:
                self._issuers.popitem(last=False)
        return keys

    def _jwks_uri_once(self, issuer: str, now: float) -> str:
        """The issuer's ``jwks_uri``; a failure is remembered for ``retry_s`` so that requests naming an issuer
        that is down are refused at once rather than each waiting for the timeout."""
        with self._lock:
            failed = self._failures.get(issuer)
            if failed is not None and now - failed[0] < self.retry_s:
                raise Unauthenticated(failed[1].message, failed[1].error_code)
        try:
            uri = self._jwks_uri(issuer)
        except Unauthenticated as err:
            with self._lock:
                self._failures[issuer] = (now, err)
                while len(self._failures) > self.max_issuers:
                    self._failures.popitem(last=False)
            raise
        with self._lock:
            self._failures.pop(issuer, None)
        return uri

    def _jwks_uri(self, issuer: str) -> str:
        url = issuer.rstrip("/") + DISCOVERY
        try:
            response = httpx.get(url, timeout=self.timeout_s, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise Unauthenticated(f"Could not read the issuer's OpenID configuration at {url}: {err}",
                                  INVALID_TOKEN) from err
        if not isinstance(document, dict) or document.get("issuer") != issuer:  # OIDC Discovery §4.3
            raise Unauthenticated(f"The OpenID configuration at {url} does not name the issuer {issuer}",
                                  INVALID_TOKEN)
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise Unauthenticated(f"The OpenID configuration at {url} has no jwks_uri", INVALID_TOKEN)
        return jwks_uri

    def verify(self, token: str, issuer: str) -> dict[str, Any]:
        """The token's claims once its signature (the issuer's key), ``iss``, ``exp`` and ``nbf`` hold."""
        try:
            key = self._keys(issuer).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=ALGORITHMS, issuer=issuer, leeway=JWT_LEEWAY_S,
                options={"require": ["exp", "iss", "aud"], "verify_aud": False})
        except jwt.ExpiredSignatureError as err:
            raise Unauthenticated("The bearer JWT has expired: get a new token from the identity provider",
                                  EXPIRED_TOKEN) from err
        except jwt.PyJWTError as err:  # also PyJWKClientError: keys that cannot be fetched
            raise Unauthenticated(f"The bearer JWT was refused: {err}", INVALID_TOKEN) from err
        return claims
