"""Retried writes converge: a create or update whose first answer was lost (a dropped connection, a server killed
after the commit) is retried by databricks-sdk; the retry gets the first attempt's answer instead of "already
exists" (or "does not exist" after a rename), so one apply completes.

``converging(handler)`` wraps a write handler in the route table. The write and its answer commit in one
transaction (``metastore.replies``); a retry is recognised only when it is the identical request (method, path,
body, caller) and fails on its own, and only while the first answer is unacknowledged. A request that differs in
anything still gets its conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable

from sharekit.server.endpoint import Call
from sharekit.server.errors import Conflict, NotFound
from sharekit.server.uc.recipients import recipient_json
from sharekit.types import JSONObject


def request_key(call: Call[str]) -> str:
    request = call.request
    canonical = json.dumps([request.method, request.url.path.lower(), call.who, call.body], sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def connection_of(scope_client: object) -> Hashable | None:
    """The TCP connection a request came on (uvicorn's ``client`` address and port), if known."""
    return tuple(scope_client) if isinstance(scope_client, (tuple, list)) else None


def converging(handler: Callable[[Call[str]], JSONObject],
               reread: Callable[[Call[str]], JSONObject] | None = None) -> Callable[[Call[str]], JSONObject]:
    """``handler`` whose identical retry gets the first answer. With ``reread``, the answer is not stored (it holds
    a secret, like a recipient's activation link); the retry gets ``reread(call)``, the object as it is now."""

    def run(call: Call[str]) -> JSONObject:
        state = call.state
        key = request_key(call)
        connection = connection_of(call.request.scope.get("client"))
        with state.metastore.transaction():
            try:
                answer = handler(call)
            except (Conflict, NotFound):
                replay = state.replies.unread_answer(key, state.now_ms())
                if replay is None:
                    raise
                call.note(retried="true")  # the audit log shows the retry was recognised
                state.replies.resent(key, connection)
                return replay if reread is None else reread(call)
            state.replies.record(key, answer if reread is None else {}, connection, state.now_ms())
        return answer

    run.__name__ = getattr(handler, "__name__", "write")
    return run


def created_recipient(call: Call[str]) -> JSONObject:
    """A created recipient as the create call answers it (its activation link is derived, never stored)."""
    name = str(call.body.get("name", "")).lower()
    return recipient_json(call.state.metastore.get_recipient(name), call.state.base_url)
