"""Activate a recipient from the provider side and write its Delta Sharing profile file.

For the provider's own tests and tutorials: ``activate(ws, "acme")`` spends the recipient's activation link
(exactly as the recipient's "Download credential file" button would) and returns the path of a profile
file that the ``delta-sharing`` client reads. Re-exported as ``sharekit.sharing.activate``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from sharekit.connect import Workspace

PROFILE_SUFFIX = ".share"


class ActivationError(RuntimeError):
    """The recipient has no unused activation link (already activated, or not a TOKEN recipient)."""


def activation_token(ws: Workspace, recipient_name: str) -> str:
    """The unused activation token of a recipient (the last part of its activation URL)."""
    recipient = ws.client.recipients.get(recipient_name)
    urls = [t.activation_url for t in (recipient.tokens or []) if t.activation_url]
    if recipient.activation_url:
        urls.append(recipient.activation_url)
    if not urls:
        raise ActivationError(f"recipient {recipient_name!r} has no unused activation link; rotate its token "
                              "to get a new one")
    url = urls[-1]
    return url.rsplit("?", 1)[-1].rsplit("/", 1)[-1]


def activate(ws: Workspace, recipient_name: str, path: str | Path | None = None) -> Path:
    """Retrieve the recipient's credential (once) and write it as a profile file (mode 0600); return its path."""
    token = activation_token(ws, recipient_name)
    response = ws.client.recipient_activation.retrieve_token(token)
    profile: dict[str, Any] = {
        "shareCredentialsVersion": response.share_credentials_version or 1,
        "endpoint": response.endpoint,
        "bearerToken": response.bearer_token,
    }
    if response.expiration_time:
        profile["expirationTime"] = _iso(response.expiration_time)
    target = Path(path) if path is not None else _default_path(ws, recipient_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(profile, handle, indent=2)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target


def _default_path(ws: Workspace, recipient_name: str) -> Path:
    folder = ws.home / "profiles" if ws.home is not None else Path.cwd()
    return folder / f"{recipient_name}{PROFILE_SUFFIX}"


def _iso(value: str) -> str:
    """Profile files carry ISO-8601; the REST API may answer epoch milliseconds as a string."""
    text = str(value).strip()
    if text.isdigit():
        moment = dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return text
