"""The recipient views of ``%recipient``: the list of all recipients and the card of one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sharekit.display.table import ResultTable, when

if TYPE_CHECKING:
    from sharekit.recipients import PolicySummary, RecipientSummary

NO_LINK = "n/a"  # DATABRICKS and OIDC_FEDERATION recipients have no activation link and no token


def _properties(summary: RecipientSummary) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(summary.properties.items()))


def _activated(summary: RecipientSummary) -> str:
    if not summary.has_activation_link:
        return NO_LINK
    return "yes" if summary.activated else "no"


def _token_expires(summary: RecipientSummary) -> str:
    return when(summary.token_expires) if summary.has_activation_link else NO_LINK


def recipient_table(summaries: Sequence[RecipientSummary]) -> ResultTable:
    rows = [[s.name, s.authentication_type, _activated(s), _token_expires(s), ", ".join(s.shares), _properties(s),
             s.comment or ""]
            for s in summaries]
    title = f"{len(summaries)} recipient(s)"
    waiting = [s.name for s in summaries if s.has_activation_link and not s.activated]
    notes = [f"not activated yet: {', '.join(waiting)} (%recipient activation NAME shows the link)"] if waiting else []
    return ResultTable(title, ["name", "auth", "activated", "token expires", "shares", "properties", "comment"], rows,
                       notes=notes)


def policy_text(policy: PolicySummary) -> str:
    audiences = ", ".join(policy.audiences)
    text = f"{policy.issuer} · aud {audiences} · {policy.subject_claim} = {policy.subject}"
    return f"{text} ({policy.comment})" if policy.comment else text


def _type_rows(summary: RecipientSummary) -> list[list[str]]:
    if summary.authentication_type == "DATABRICKS":
        return [["sharing identifier", summary.sharing_id or ""]]
    if summary.authentication_type == "OIDC_FEDERATION":
        rows = [[f"policy {p.name}", policy_text(p)] for p in summary.policies]
        return rows or [["policies", "(none: no token is accepted yet; %recipient policy add)"]]
    return [["activated", _activated(summary)], ["token expires", _token_expires(summary)]]


def recipient_card(summary: RecipientSummary, title: str | None = None,
                   link: str | None = None) -> ResultTable:
    rows = [
        ["name", summary.name],
        ["authentication", summary.authentication_type],
        *_type_rows(summary),
        ["recipient expires", when(summary.expires)],
        ["shares", ", ".join(summary.shares) or "(none)"],
        ["properties", _properties(summary) or "(none)"],
        ["ip access list", ", ".join(summary.ip_access_list) or "(any address)"],
        ["comment", summary.comment or ""],
    ]
    if summary.owner:
        rows.append(["owner", summary.owner])
    notes = [f"permission denied: {entry} (the share's owner lost access; the recipient gets nothing of it)"
             for entry in summary.denied]
    url = link or summary.activation_url
    return ResultTable(title or f"recipient {summary.name}", ["field", "value"], rows, notes=notes,
                       links={summary.name: url} if url else None, level="warning" if notes else "info")
