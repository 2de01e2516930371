"""The local OIDC issuer: ``/.well-known/openid-configuration``, the JWKS and a client-credentials token endpoint.

It listens on loopback only. Client secrets are 256-bit random strings kept only as SHA-256 hashes and compared
in constant time; nothing the issuer prints or logs carries a secret or a token. A token is an RS256 JWT with
``iss`` (the issuer URL), ``sub`` and ``azp`` (the client id), ``aud`` (the client's audience), ``iat``/``nbf``/
``exp``, ``jti``, ``scope`` and any extra claims the client was registered with (``oid``, ``groups``, ...).

Clients authenticate as the OAuth 2.0 spec allows (RFC 6749 §2.3.1): HTTP Basic (what the ``delta-sharing``
client sends) or ``client_id``/``client_secret`` in the form body. A requested ``scope`` must name the client's
audience, alone or Entra-style as ``<audience>/.default``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from sharekit.oidc.keys import ALGORITHM, SigningKey

LOOPBACK = "127.0.0.1"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks.json"
TOKEN = "/oauth2/token"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIFETIME_S = 3600


@dataclass(frozen=True)
class ClientCredentials:
    """What the recipient puts in its profile file; ``repr`` never shows the secret."""

    client_id: str
    client_secret: str = field(repr=False)
    audience: str


@dataclass(frozen=True)
class _Client:
    secret_hash: str
    audience: str
    claims: Mapping[str, Any]


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class LocalIssuer:
    """``with LocalIssuer() as idp: creds = idp.register_client(audience="sharekit")`` — then ``idp.url`` is the
    issuer of a federation policy and ``oauth_profile(endpoint, idp, creds)`` the recipient's profile."""

    def __init__(self, port: int = 0, *, token_lifetime_s: int = DEFAULT_LIFETIME_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.token_lifetime_s = token_lifetime_s
        self.clock = clock
        self.key = SigningKey.generate()
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> LocalIssuer:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((LOOPBACK, self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="sharekit-oidc-issuer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalIssuer:  # noqa: PYI034 (Python 3.10 has no typing.Self)
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The issuer identifier (the ``iss`` claim), e.g. ``http://127.0.0.1:50123``."""
        if self._server is None:
            raise RuntimeError("the issuer is not running: call start() first")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def token_endpoint(self) -> str:
        return self.url + TOKEN

    # -- clients and tokens ---------------------------------------------------------------------------------
    def register_client(self, client_id: str | None = None, *, audience: str,
                        claims: Mapping[str, Any] | None = None) -> ClientCredentials:
        """A new confidential client; its secret is returned once and kept only as a hash."""
        if not audience:
            raise ValueError("audience must not be empty")
        client_id = client_id or str(uuid.uuid4())
        secret = secrets.token_urlsafe(32)
        with self._lock:
            if client_id in self._clients:
                raise ValueError(f"client {client_id!r} is already registered")
            self._clients[client_id] = _Client(_hash(secret), audience, dict(claims or {}))
        return ClientCredentials(client_id, secret, audience)

    def mint(self, client_id: str, *, lifetime_s: int | None = None, scope: str | None = None,
             **overrides: Any) -> str:
        """A signed token for a registered client, as the token endpoint would issue it; ``overrides`` replace
        claims (e.g. ``aud=...`` or an ``exp`` in the past, to test refusals)."""
        with self._lock:
            client = self._clients.get(client_id)
        if client is None:
            raise KeyError(f"unknown client {client_id!r}")
        now = int(self.clock())
        lifetime = self.token_lifetime_s if lifetime_s is None else lifetime_s
        claims: dict[str, Any] = {"iss": self.url, "sub": client_id, "azp": client_id, "aud": client.audience,
                                  "iat": now, "nbf": now, "exp": now + lifetime, "jti": uuid.uuid4().hex,
                                  **client.claims}
        if scope:
            claims["scope"] = scope
        claims.update(overrides)
        return self.key.sign(claims)

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.url, "token_endpoint": self.token_endpoint, "jwks_uri": self.url + JWKS,
                "grant_types_supported": ["client_credentials"], "response_types_supported": ["token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": [ALGORITHM],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk()]}

    def token_response(self, authorization: str | None, form: Mapping[str, str]) -> dict[str, Any]:
        """The answer of the token endpoint to one request (raises ``OAuthError``)."""
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
        client_id = self._authenticate(authorization, form)
        with self._lock:
            audience = self._clients[client_id].audience
        scope = form.get("scope") or None
        if scope:
            for item in scope.split():
                if item.removesuffix("/.default") != audience:
                    raise OAuthError(400, "invalid_scope", f"scope {item!r} is not granted to this client")
        token = self.mint(client_id, scope=scope)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                                  "expires_in": self.token_lifetime_s}
        if scope:
            answer["scope"] = scope
        return answer

    def _authenticate(self, authorization: str | None, form: Mapping[str, str]) -> str:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() == "basic" and encoded:
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError) as err:
                raise OAuthError(401, "invalid_client", "malformed Basic credentials") from err
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if not client_id or not secret:
            raise OAuthError(401, "invalid_client", "client authentication is required")
        with self._lock:
            client = self._clients.get(client_id)
        # compare even for an unknown client, so that timing does not tell which client ids exist
        expected = client.secret_hash if client is not None else _hash(secrets.token_urlsafe(32))
        if not hmac.compare_digest(expected.encode(), _hash(secret).encode()) or client is None:
            raise OAuthError(401, "invalid_client", "client authentication failed")
        return client_id


def _handler_for(issuer: LocalIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sharekit-oidc"

        def log_message(self, format: str, *args: Any) -> None:
            return  # requests are not logged: nothing a secret could leak into

        def _send(self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == DISCOVERY:
                self._send(200, issuer.discovery())
            elif path == JWKS:
                self._send(200, issuer.jwks())
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != TOKEN:
                self._send(404, {"error": "not_found"})
                return
            try:
                form = self._form()
                self._send(200, issuer.token_response(self.headers.get("Authorization"), form))
            except OAuthError as err:
                extra = {"WWW-Authenticate": 'Basic realm="sharekit-oidc"'} if err.status == 401 else None
                self._send(err.status, {"error": err.error, "error_description": err.description}, extra)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise OAuthError(400, "invalid_request", "request body too large")
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}

    return Handler


def oauth_profile(endpoint: str, issuer: LocalIssuer, client: ClientCredentials,
                  scope: str | None = None) -> dict[str, Any]:
    """A ``delta-sharing`` profile (``shareCredentialsVersion`` 2, ``oauth_client_credentials``) for ``client``."""
    return {"shareCredentialsVersion": 2, "type": "oauth_client_credentials", "endpoint": endpoint,
            "tokenEndpoint": issuer.token_endpoint, "clientId": client.client_id,
            "clientSecret": client.client_secret, "scope": scope or client.audience}


def write_profile(profile: Mapping[str, Any], path: str | Path) -> Path:
    """Write a profile file readable only by its owner (it holds the client secret)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(dict(profile), handle, indent=2)
        handle.write("\n")
    os.chmod(target, 0o600)
    return target
