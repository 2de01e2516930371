"""Which OIDC_FEDERATION recipient a bearer JWT speaks for: the policies that trust its issuer, then the
genuine token's audience and subject claim against each of them.

A refused token is audited like any refusal (the endpoint records the error); the issuer (when a policy trusts
it) and, once the token is genuine, its subject are added to the audit entry so that a provider can see who tried. A genuine token that
matches no policy is 403 (the identity provider vouched for it, but no recipient accepts that identity); a token
that is not genuine is 401.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sharekit.server.audit.log import RequestAudit
from sharekit.server.errors import Forbidden, Unauthenticated
from sharekit.server.metastore.records import FederationPolicy, Recipient
from sharekit.server.security.federated_tokens import EXPIRED_TOKEN, INVALID_TOKEN, unverified_issuer

if TYPE_CHECKING:
    from sharekit.server.state import ServerState

AUDIENCE_REFUSED = "INVALID_AUDIENCE"
SUBJECT_REFUSED = "INVALID_SUBJECT"


def _audiences(claims: dict[str, Any]) -> set[str]:
    aud = claims.get("aud")
    return {aud} if isinstance(aud, str) else {a for a in aud if isinstance(a, str)} if isinstance(aud, list) else set()


def subject_matches(policy: FederationPolicy, claims: dict[str, Any]) -> bool:
    """The policy's subject claim holds its subject (``groups`` is a list: the subject must be one of them)."""
    value = claims.get(policy.subject_claim)
    if isinstance(value, list):
        return policy.subject in value
    return isinstance(value, str) and value == policy.subject


def matching_recipients(policies: Sequence[FederationPolicy], claims: dict[str, Any]) -> list[str]:
    """Names of the recipients one of whose policies accepts the claims; 403 naming why none does."""
    audiences = _audiences(claims)
    by_audience = [p for p in policies if audiences & set(p.audiences)]
    if not by_audience:
        raise Forbidden(f"The bearer JWT's audience {sorted(audiences)} is not accepted by any federation policy "
                        f"of issuer {policies[0].issuer}", AUDIENCE_REFUSED)
    matched = sorted({p.recipient for p in by_audience if subject_matches(p, claims)})
    if not matched:
        claims_named = sorted({p.subject_claim for p in by_audience})
        raise Forbidden(f"The bearer JWT's subject ({', '.join(claims_named)}) is not accepted by any federation "
                        "policy with that audience", SUBJECT_REFUSED)
    return matched


def federated_recipient(state: ServerState, token: str, audit: RequestAudit) -> Recipient:
    """The one recipient whose federation policies accept the bearer JWT (401 / 403 otherwise)."""
    issuer = unverified_issuer(token)
    policies = state.metastore.policies_for_issuer(issuer)
    if not policies:  # the claimed issuer is not recorded: it is whatever the caller wrote
        raise Unauthenticated("No recipient has a federation policy for the issuer of the bearer JWT", INVALID_TOKEN)
    audit.request_params["oidc_issuer"] = issuer
    claims = state.jwks.verify(token, issuer)
    subject = claims.get("sub")
    if isinstance(subject, str):
        audit.request_params["oidc_subject"] = subject
    matched = matching_recipients(policies, claims)
    if len(matched) > 1:
        raise Forbidden(f"The bearer JWT is accepted by the federation policies of several recipients "
                        f"({', '.join(matched)}): give each recipient a distinct audience or subject")
    recipient = state.metastore.get_recipient(matched[0])
    if recipient.expiration_time is not None and recipient.expiration_time <= state.now_ms():
        raise Unauthenticated(f"Recipient {recipient.name} has expired", EXPIRED_TOKEN)
    return recipient
