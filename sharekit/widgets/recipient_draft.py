"""RecipientForm's plain state: what the user typed, whether it is valid, and the SDK calls it turns into."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit import names, recipients
from sharekit.widgets import validation as v

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sharing import RecipientInfo

DAY_MS = 86_400_000


@dataclass
class RecipientDraft:
    name: str = ""
    comment: str = ""
    properties: list[tuple[str, str]] = field(default_factory=list)
    ip_text: str = ""
    expires_in_days: int | None = None  # None or 0: the token never expires
    authentication_type: str = "TOKEN"  # TOKEN | DATABRICKS | OIDC_FEDERATION
    sharing_id: str = ""  # DATABRICKS: the recipient's <cloud>:<region>:<metastore-uuid>
    # OIDC_FEDERATION: one federation policy (more with %recipient policy add)
    policy_name: str = ""
    issuer: str = ""
    audiences_text: str = ""  # comma or newline separated
    subject_claim: str = "sub"
    subject: str = ""

    @property
    def ip_access_list(self) -> list[str]:
        return v.parse_ip_list(self.ip_text)

    @property
    def audiences(self) -> list[str]:
        return [a.strip() for a in self.audiences_text.replace("\n", ",").split(",") if a.strip()]

    def policy(self) -> dict[str, Any] | None:
        """The federation policy to create with an OIDC_FEDERATION recipient (None when no field is filled)."""
        if self.authentication_type != "OIDC_FEDERATION" or not (self.policy_name or self.issuer or self.subject):
            return None
        return {"name": self.policy_name.strip(), "issuer": self.issuer.strip(), "audiences": self.audiences,
                "subject_claim": self.subject_claim, "subject": self.subject.strip()}

    def _type_problem(self) -> str | None:
        if self.authentication_type == "DATABRICKS" and not names.SHARING_IDENTIFIER.match(self.sharing_id.strip()):
            return "enter the recipient's sharing identifier <cloud>:<region>:<metastore-uuid>"
        policy = self.policy()
        if policy is None:
            return None
        if not names.FEDERATION_POLICY_NAME.match(policy["name"]):
            return "policy name: use only lowercase letters, digits and hyphens"
        if not names.is_issuer_url(policy["issuer"]):
            return "enter the identity provider's issuer URL"
        if not policy["audiences"]:
            return "enter at least one audience"
        if not policy["subject"]:
            return f"enter the subject the {self.subject_claim} claim must hold"
        return None

    def problem(self) -> str | None:
        """The first reason the recipient cannot be created, or None."""
        return v.first_problem(
            v.check_name(self.name.strip(), "recipient name"),
            v.check_properties([(key.strip(), value) for key, value in self.properties]),
            v.check_ip_list(self.ip_access_list),
            v.check_expiry_days(self.expires_in_days),
            self._type_problem(),
        )

    def create_args(self, now_ms: int | None = None) -> dict[str, Any]:
        """Keyword arguments for ``sharekit.recipients.create_recipient`` (raises ValueError when invalid)."""
        problem = self.problem()
        if problem:
            raise ValueError(problem)
        args: dict[str, Any] = {"name": self.name.strip(), "comment": self.comment.strip() or None,
                                "properties": {key.strip(): value for key, value in self.properties},
                                "ip_access_list": self.ip_access_list, "expires": None}
        if self.authentication_type != "TOKEN":  # the default of create_recipient
            args["authentication_type"] = self.authentication_type
        if self.authentication_type == "DATABRICKS":
            args["sharing_id"] = self.sharing_id.strip()
        policy = self.policy()
        if policy is not None:
            args["policies"] = [policy]
        if self.expires_in_days and self.authentication_type == "TOKEN":
            now = now_ms if now_ms is not None else int(time.time() * 1000)
            args["expires"] = now + self.expires_in_days * DAY_MS
        return args


@dataclass
class RecipientOps:
    """The calls behind the form's buttons: ``sharekit.recipients``', which ``%recipient`` uses too."""

    client: WorkspaceClient

    def names(self) -> list[str]:
        return sorted(recipient.name for recipient in self.client.recipients.list() if recipient.name)

    def create(self, draft: RecipientDraft) -> RecipientInfo:
        return recipients.create_recipient(self.client, **draft.create_args())

    def rotate(self, name: str, expire_existing_in_seconds: int = 0) -> RecipientInfo:
        return recipients.rotate_token(self.client, name, expire_existing_in=expire_existing_in_seconds)

    def delete(self, name: str) -> None:
        recipients.delete_recipient(self.client, name)


@dataclass
class Confirmation:
    """A destructive action waiting for the user's second click."""

    prompt: str
    action: Callable[[], None]
