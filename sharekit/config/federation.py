"""Federation policies of OIDC_FEDERATION recipients: their comparable form, how they are read, and the calls that
bring them to the document (``w.recipient_federation_policies``: create, delete, list — the SDK has no update, so
a changed policy is deleted and created again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service import sharing

    from sharekit.config.model import FederationPolicySpec


@dataclass(frozen=True)
class PolicyState:
    name: str
    issuer: str
    audiences: tuple[str, ...]
    subject_claim: str
    subject: str
    comment: str | None = None

    @classmethod
    def from_spec(cls, spec: FederationPolicySpec) -> PolicyState:
        return cls(spec.name, spec.issuer, tuple(sorted(spec.audiences)), spec.subject_claim, spec.subject,
                   spec.comment or None)

    @classmethod
    def from_sdk(cls, policy: sharing.FederationPolicy) -> PolicyState:
        oidc = policy.oidc_policy
        return cls((policy.name or "").lower(), (oidc.issuer if oidc else "") or "",
                   tuple(sorted((oidc.audiences or []) if oidc else [])), (oidc.subject_claim if oidc else "") or "",
                   (oidc.subject if oidc else "") or "", policy.comment or None)

    def to_sdk(self) -> sharing.FederationPolicy:
        from databricks.sdk.service import sharing

        return sharing.FederationPolicy(
            name=self.name, comment=self.comment,
            oidc_policy=sharing.OidcFederationPolicy(issuer=self.issuer, audiences=list(self.audiences) or None,
                                                     subject_claim=self.subject_claim, subject=self.subject))

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "issuer": self.issuer}
        if self.audiences:
            out["audiences"] = list(self.audiences)
        out["subject_claim"] = self.subject_claim
        out["subject"] = self.subject
        if self.comment:
            out["comment"] = self.comment
        return out


def read_policies(client: WorkspaceClient, recipient: str) -> tuple[PolicyState, ...]:
    return tuple(PolicyState.from_sdk(p) for p in client.recipient_federation_policies.list(recipient))


def policy_calls(recipient: str, desired: list[FederationPolicySpec],
                 live: tuple[PolicyState, ...]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, op, kwargs, policy name) for ``recipient_federation_policies``: deletions first (a changed policy
    is deleted, then created), then creations."""
    wanted = {p.name: PolicyState.from_spec(p) for p in desired}
    current = {p.name: p for p in live}
    deletes, creates = [], []
    for name in sorted(current):
        if name not in wanted:
            deletes.append(("delete", "delete", {"recipient_name": recipient, "name": name}, name))
        elif wanted[name] != current[name]:
            deletes.append(("delete", "replace", {"recipient_name": recipient, "name": name}, name))
    for name in sorted(wanted):
        if current.get(name) != wanted[name]:
            op = "replace" if name in current else "create"
            creates.append(("create", op, {"recipient_name": recipient, "policy": wanted[name].to_sdk()}, name))
    return deletes + creates
