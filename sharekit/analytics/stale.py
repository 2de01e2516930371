"""Stale access: combine the workspace's recipients and grants (via the SDK) with the last access in the log."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sharekit.config.live import read_recipient_grants  # the grant reader the config engine plans with

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["kind", "recipient", "share", "detail", "last_access", "expires_at"]


def stale_access(client: Any, usage: pd.DataFrame, *, now: dt.datetime, days: int,
                 expiring_within_days: int) -> pd.DataFrame:
    """Rows of kind ``unused_grant``, ``token_expiring`` or ``never_activated`` (expired tokens are no risk)."""
    import pandas as pd

    last: dict[tuple[str, str], Any] = {(r.recipient, r.share): r.last_access for r in usage.itertuples()}
    now_ms = int(now.timestamp() * 1000)
    soon_ms = now_ms + expiring_within_days * 86_400_000
    rows: list[dict[str, Any]] = []
    for recipient in client.recipients.list():
        name = recipient.name or ""
        if recipient.authentication_type is not None and recipient.authentication_type.value == "TOKEN" \
                and not recipient.activated:
            rows.append(_row("never_activated", name, None, "the activation link was never used", None, None))
        for token in recipient.tokens or []:
            if token.expiration_time is None:
                continue
            if token.expiration_time <= now_ms:
                continue  # an expired token is not an access risk; rotated-away tokens expire by design
            if token.expiration_time <= soon_ms:
                left = (token.expiration_time - now_ms) / 86_400_000
                rows.append(_row("token_expiring", name, None, f"token {token.id or ''} expires in {left:.1f} days",
                                 None, _ms(token.expiration_time)))
        for share in sorted(read_recipient_grants(client, name)):
            seen = last.get((name, share))
            if seen is None:
                rows.append(_row("unused_grant", name, share, f"no successful request in {days} days", None, None))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["kind", "recipient", "share"], na_position="first").reset_index(drop=True)


def _row(kind: str, recipient: str, share: str | None, detail: str, last_access: Any,
         expires_at: Any) -> dict[str, Any]:
    return {"kind": kind, "recipient": recipient, "share": share, "detail": detail, "last_access": last_access,
            "expires_at": expires_at}


def _ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc).replace(tzinfo=None)
