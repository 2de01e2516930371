"""A small local OIDC issuer for tutorials and tests: client-credentials tokens (RS256 JWTs), discovery, JWKS.

``LocalIssuer`` stands in for a recipient's identity provider (Entra ID, Okta, ...) on 127.0.0.1, so that an
OIDC_FEDERATION recipient can be exercised end to end with the unmodified ``delta-sharing`` client.
"""

from sharekit.oidc.issuer import ClientCredentials, LocalIssuer, oauth_profile, write_profile

__all__ = ["ClientCredentials", "LocalIssuer", "oauth_profile", "write_profile"]
