"""The access review: every credential and grant of the workspace (through the SDK) against the audit log, one
row per finding with a severity and the action that resolves it; and every token's life for the timeline chart.

Token findings (one per token, the most severe): issued before 8 December 2025 and cut by Databricks' forced
expiry, never expires, outlives the workspace's token lifetime (or one year), expires within N days. Recipient
findings: no live token left, activation link never used, at the two-token limit, idle (no successful read in
the window), grants never used, refused attempts, and (for TOKEN recipients only) the OIDC federation suggestion.
A recipient without tokens by design (OIDC federation, Databricks-to-Databricks) gets no token findings.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sharekit.config.live import list_share_names, read_grants, read_recipient_grants
from sharekit.token_policy import FORCE_EXPIRY_ON, allowed_expiry, forced_expiry

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("sharekit.analytics")
SEVERITIES = ("info", "warning", "critical")
COLUMNS = ["severity", "finding", "recipient", "share", "token", "detail", "action", "days_left", "expires_at"]
TIMELINE_COLUMNS = ["recipient", "token", "created_at", "expires_at", "never_expires", "state"]
DAY_MS = 86_400_000
FRESH_LINK_DAYS = 7  # a link younger than this is still on its way to the recipient: info, not a warning
OIDC_ASK = "ask the recipient for its identity provider's issuer URL, the token audience and the subject claim"
REFUSAL_ACTIONS = {
    "IP_ACCESS_LIST": "check the recipient's IP access list against where it reads from",
    "PERMISSION": "grant the share, or tell the recipient it is not theirs",
    "UNAUTHENTICATED": "an expired or rotated-away token is still in use: make sure the reader has the new "
                       "credential",
}


@dataclass(frozen=True)
class ReviewPolicy:
    """What the review measures against: today, the window, and the workspace's token lifetime (None: unset)."""

    now_ms: int
    days: int
    expiring_within_days: int
    token_lifetime_s: int | None


def workspace_token_lifetime(client: Any) -> int | None:
    """The metastore's ``delta_sharing_recipient_token_lifetime_in_seconds`` (None when unset), read through the
    SDK on Databricks and on the embedded server alike."""
    try:
        value = client.metastores.summary().delta_sharing_recipient_token_lifetime_in_seconds
    except OSError as err:  # databricks.sdk errors are OSErrors: a user who may not read the metastore
        log.warning("could not read the workspace's token lifetime (%s): checking against one year only",
                    str(err).splitlines()[0] if str(err) else type(err).__name__)
        return None
    return int(value) if value else None


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def review(client: Any, activity: pd.DataFrame, policy: ReviewPolicy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(findings, timeline) for every recipient of ``client`` and ``activity`` (``review_activity.sql``)."""
    import pandas as pd

    reads, refused = _split(activity)
    tried = {r["recipient"] for r in refused}  # refused, not idle: the refusal is the finding
    rows: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    infos = list(client.recipients.list())
    granted = grants_by_recipient(client, [i.name or "" for i in infos])
    for recipient in infos:
        name = recipient.name or ""
        kind = recipient.authentication_type.value if recipient.authentication_type is not None else ""
        tokens = list(recipient.tokens or [])
        if kind == "TOKEN":
            rows += _token_findings(name, tokens, policy)
            timeline += [_life(name, t, policy) for t in tokens]
        grants = granted.get(name.lower(), [])
        waiting = (kind == "TOKEN" and not recipient.activated) or name in tried
        rows += _use_findings(name, waiting, grants, reads.get(name, {}), policy)
        if kind == "TOKEN":
            rows.append(_row("info", "oidc_candidate", name, None, None, "authenticates with a bearer token",
                             f"consider OIDC federation (no secret to share or rotate): {OIDC_ASK}"))
    rows += _refusals(refused, policy)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["rank"] = [-severity_rank(s) for s in frame["severity"]]
    frame = frame.sort_values(["rank", "finding", "recipient", "share"], na_position="first", kind="stable")
    return frame.drop(columns="rank").reset_index(drop=True), pd.DataFrame(timeline, columns=TIMELINE_COLUMNS)


def grants_by_recipient(client: Any, names: list[str]) -> dict[str, list[str]]:
    """Each recipient's shares, by the fewer reads: one permissions read per share, or one per recipient."""
    shares = list_share_names(client) if names else set()
    if len(shares) > len(names):
        return {name.lower(): sorted(read_recipient_grants(client, name)) for name in names}
    found: dict[str, list[str]] = {name.lower(): [] for name in names}
    for share in sorted(shares):
        for holder in read_grants(client, share):
            found.setdefault(holder, []).append(share)
    return found


def _split(activity: pd.DataFrame) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    reads: dict[str, dict[str, Any]] = {}
    refused: list[dict[str, Any]] = []
    for row in activity.itertuples():
        if int(row.status_code) == 200:
            if isinstance(row.recipient, str) and isinstance(row.share, str):
                reads.setdefault(row.recipient, {})[row.share] = row.last_seen
        else:
            refused.append(row._asdict())
    return reads, refused


def _token_findings(name: str, tokens: list[Any], policy: ReviewPolicy) -> list[dict[str, Any]]:
    now = policy.now_ms
    live = [t for t in tokens if t.expiration_time is None or t.expiration_time > now]
    if not live:
        return [_row("warning", "no_live_token", name, None, None, "its only token has expired: it cannot read",
                     f"rotate to issue a new activation link (sharekit rotate {name} --links-file PATH --yes), "
                     "or delete the recipient")]
    rows = [finding for t in live if (finding := _token_finding(name, t, policy)) is not None]
    for token in live:
        if token.activation_url:
            age = (now - (token.created_at or now)) / DAY_MS
            rows.append(_row("info" if age < FRESH_LINK_DAYS else "warning", "link_unused", name, None, token.id,
                             f"activation link never used ({age:.0f} days old)",
                             "send the link over a secure channel, or rotate with --grace 0 if it went astray",
                             expires=token.expiration_time, now=now))
    if len(live) >= 2:
        first = min((t.expiration_time for t in live if t.expiration_time), default=None)
        until = f" until {_day(first)}" if first else ""
        rows.append(_row("info", "two_live_tokens", name, None, None,
                         f"at the limit of two live tokens: rotation is refused{until}",
                         "expire the older token (rotate with --grace 0) before the next rotation"))
    return rows


def _token_finding(name: str, token: Any, policy: ReviewPolicy) -> dict[str, Any] | None:
    """The most severe finding of one live token, or None."""
    now, expiry, created = policy.now_ms, token.expiration_time, token.created_at
    forced = forced_expiry(created, expiry)
    if forced is not None:
        return _row("critical", "token_force_expiry", name, None, token.id,
                    f"issued {_day(created)}, before 8 December 2025: Databricks expires it on "
                    f"{FORCE_EXPIRY_ON.isoformat()}", "rotate before then and send the new link",
                    expires=forced, now=now)
    if expiry is None:
        return _row("critical", "token_never_expires", name, None, token.id, "the token never expires",
                    "rotate it into a token with an expiry (sharekit rotate --never-expires --grace 7d)")
    if created is not None and expiry > allowed_expiry(created, policy.token_lifetime_s):
        limit = _lifetime_text(policy.token_lifetime_s)
        return _row("warning", "token_beyond_policy", name, None, token.id,
                    f"expires {_day(expiry)}, later than {limit} after its creation ({_day(created)})",
                    "rotate to adopt the workspace's token lifetime", expires=expiry, now=now)
    if expiry <= now + policy.expiring_within_days * DAY_MS:
        return _row("warning", "token_expiring", name, None, token.id,
                    f"expires in {(expiry - now) / DAY_MS:.1f} days", "rotate with a grace period and send the new "
                    "link before then", expires=expiry, now=now)
    return None


def _use_findings(name: str, waiting: bool, grants: list[str], reads: dict[str, Any],
                  policy: ReviewPolicy) -> list[dict[str, Any]]:
    """Idle recipients and unused grants; none while the recipient is ``waiting`` (a TOKEN recipient's link is
    unused, or its reads were refused: those are findings of their own)."""
    if not grants or waiting:
        return []
    if not reads:
        return [_row("warning", "idle_recipient", name, None, None,
                     f"no successful read in {policy.days} days (grants: {', '.join(grants)})",
                     "ask whether it still needs access; revoke the grants or delete the recipient")]
    return [_row("info", "unused_grant", name, share, None, f"share never read in {policy.days} days",
                 f"revoke the grant if it is not needed (%recipient revoke {name} {share})")
            for share in grants if share not in reads]


def _refusals(refused: Iterable[dict[str, Any]], policy: ReviewPolicy) -> list[dict[str, Any]]:
    rows = []
    for r in refused:
        reason = r["reason"] if isinstance(r["reason"], str) and r["reason"] else "refused"
        who = r["recipient"] if isinstance(r["recipient"], str) else None
        action = next((text for key, text in REFUSAL_ACTIONS.items() if key in reason),
                      "look at the failed-requests analysis for the details")
        share = r["share"] if isinstance(r["share"], str) else None
        rows.append(_row("warning", "refused_attempts", who or "(unknown)", share, None,
                         f"{int(r['requests'])} refused request(s) in {policy.days} days: "
                         f"{int(r['status_code'])} {reason}", action))
    return rows


def _life(name: str, token: Any, policy: ReviewPolicy) -> dict[str, Any]:
    expiry = token.expiration_time
    forced = forced_expiry(token.created_at, expiry)
    end = forced or expiry
    state = "link unused" if token.activation_url else "active" if end is not None else "never expires"
    if end is not None and end <= policy.now_ms:
        state = "expired"
    return {"recipient": name, "token": token.id, "created_at": _ts(token.created_at), "expires_at": _ts(end),
            "never_expires": end is None, "state": state}


def _row(severity: str, finding: str, recipient: str, share: str | None, token: str | None, detail: str,
         action: str, *, expires: int | None = None, now: int | None = None) -> dict[str, Any]:
    left = None if expires is None or now is None else round((expires - now) / DAY_MS, 1)
    return {"severity": severity, "finding": finding, "recipient": recipient, "share": share, "token": token,
            "detail": detail, "action": action, "days_left": left, "expires_at": _ts(expires)}


def _lifetime_text(lifetime_s: int | None) -> str:
    return "one year" if not lifetime_s else f"the workspace's token lifetime of {lifetime_s / 86_400:g} days"


def _ts(value: int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc).replace(tzinfo=None)


def _day(value: int | None) -> str:
    stamp = _ts(value)
    return stamp.date().isoformat() if stamp is not None else "?"
