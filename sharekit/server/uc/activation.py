"""The public activation endpoints databricks-sdk calls (``w.recipient_activation``): no admin token, the
activation link's token is the credential, and it works once."""

from __future__ import annotations

from sharekit.server import paths
from sharekit.server.body import drop_none
from sharekit.server.endpoint import Call
from sharekit.types import JSONObject


def _activation_token(call: Call[None]) -> str:
    """The SDK passes the token, or the whole activation URL (whose token then arrives as the query string)."""
    raw = call.path("activation")
    if raw.endswith(paths.ACTIVATION_PAGE.rsplit("/", 1)[-1]) and call.request.url.query:
        return call.request.url.query
    return raw.rsplit("?", 1)[-1]


def activation_info(call: Call[None]) -> JSONObject:
    recipient = call.state.metastore.activation_info(_activation_token(call))
    call.note(recipient_name=recipient.name)
    return {"recipient_name": recipient.name, "authentication_type": recipient.authentication_type}


def retrieve_token(call: Call[None]) -> JSONObject:
    recipient, bearer, expiration = call.state.metastore.retrieve_activation(_activation_token(call),
                                                                             call.state.now_ms())
    call.note(recipient_name=recipient.name)
    return drop_none({
        "shareCredentialsVersion": 1,
        "bearerToken": bearer,
        "endpoint": paths.profile_endpoint(call.state.base_url),
        "expirationTime": None if expiration is None else str(expiration),
    })
