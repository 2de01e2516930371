"""Databricks' rules for open-sharing bearer tokens, defined once for the client (the access review, rotation
campaigns) and the embedded server (the metastore's token lifetime).

Source: Databricks, "Create a recipient object for non-Databricks users using bearer tokens (open sharing)",
https://docs.databricks.com/aws/en/delta-sharing/create-recipient-token (also on learn.microsoft.com,
``azure/databricks/delta-sharing/create-recipient-token``); recorded in ``docs/reference/token-policy.md``.

- A token is valid for at most one year after its creation.
- Every open-sharing recipient token issued before 8 December 2025 whose expiration is after 8 December 2026, or
  that has no expiration, expires on 8 December 2026 (the page gives dates only: read here as 00:00 UTC).
- The metastore's ``delta_sharing_recipient_token_lifetime_in_seconds`` sets the lifetime of new tokens (created
  with a recipient, or by a rotation); changing it does not change existing tokens: rotate to adopt it.

Times are epoch milliseconds, as on the wire.
"""

from __future__ import annotations

import datetime as dt

MAX_TOKEN_LIFETIME_S = 365 * 86_400  # "valid for a maximum of one year after creation"


def _utc_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


FORCE_EXPIRY_ISSUED_BEFORE = dt.date(2025, 12, 8)
FORCE_EXPIRY_ON = dt.date(2026, 12, 8)
FORCE_EXPIRY_ISSUED_BEFORE_MS = _utc_ms(FORCE_EXPIRY_ISSUED_BEFORE)
FORCE_EXPIRY_AT_MS = _utc_ms(FORCE_EXPIRY_ON)


def forced_expiry(created_at: int | None, expiration_time: int | None) -> int | None:
    """The forced expiry (epoch ms) when the 8 December 2025 rule cuts this token short, else None."""
    if created_at is None or created_at >= FORCE_EXPIRY_ISSUED_BEFORE_MS:
        return None
    if expiration_time is not None and expiration_time <= FORCE_EXPIRY_AT_MS:
        return None
    return FORCE_EXPIRY_AT_MS


def lifetime_expiry(now_ms: int, lifetime_s: int | None) -> int | None:
    """The expiration of a token created at ``now_ms`` under the metastore's lifetime (None: no lifetime set)."""
    if not lifetime_s:
        return None
    return now_ms + int(lifetime_s) * 1000


def allowed_expiry(created_at: int, lifetime_s: int | None) -> int:
    """The latest expiration a token created at ``created_at`` may have: the workspace's lifetime when set, and
    never more than one year."""
    limit = MAX_TOKEN_LIFETIME_S if not lifetime_s else min(int(lifetime_s), MAX_TOKEN_LIFETIME_S)
    return created_at + limit * 1000


def check_lifetime(seconds: int) -> int:
    """A lifetime the metastore accepts: 1 second to one year; 0 clears it (new tokens never expire)."""
    if seconds < 0 or seconds > MAX_TOKEN_LIFETIME_S:
        raise ValueError(f"delta_sharing_recipient_token_lifetime_in_seconds must be between 0 and "
                         f"{MAX_TOKEN_LIFETIME_S} (one year), got {seconds}")
    return seconds
