"""AccessForm's plain state: who holds SELECT on which share now, what the user wants, and the calls between."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sharekit.config.live import follow_pages
from sharekit.errors import workspace_message

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sharing import PermissionsChange

Cell = tuple[str, str]  # (share, recipient)
SELECT = "SELECT"


@dataclass
class AccessGrid:
    shares: list[str]
    recipients: list[str]
    current: set[Cell] = field(default_factory=set)
    desired: set[Cell] = field(default_factory=set)

    @classmethod
    def of(cls, shares: list[str], recipients: list[str], grants: set[Cell]) -> AccessGrid:
        return cls(sorted(shares), sorted(recipients), set(grants), set(grants))

    def set(self, share: str, recipient: str, granted: bool) -> None:
        if share not in self.shares or recipient not in self.recipients:
            raise LookupError(f"no cell for share {share!r} and recipient {recipient!r}")
        (self.desired.add if granted else self.desired.discard)((share, recipient))

    def wanted(self, share: str, recipient: str) -> bool:
        return (share, recipient) in self.desired

    def is_pending(self, share: str, recipient: str) -> bool:
        return ((share, recipient) in self.desired) != ((share, recipient) in self.current)

    @property
    def additions(self) -> list[Cell]:
        return sorted(self.desired - self.current)

    @property
    def removals(self) -> list[Cell]:
        return sorted(self.current - self.desired)

    @property
    def has_changes(self) -> bool:
        return self.desired != self.current

    def reset(self) -> None:
        self.desired = set(self.current)

    def changes_by_share(self) -> dict[str, list[PermissionsChange]]:
        """One ``update_permissions`` body per changed share, recipients in a stable order."""
        from databricks.sdk.service.sharing import PermissionsChange

        changes: dict[str, list[PermissionsChange]] = {}
        for share, recipient in self.additions:
            changes.setdefault(share, []).append(PermissionsChange(principal=recipient, add=[SELECT]))
        for share, recipient in self.removals:
            changes.setdefault(share, []).append(PermissionsChange(principal=recipient, remove=[SELECT]))
        return dict(sorted(changes.items()))

    def summary(self) -> list[str]:
        lines = [f"grant {share} → {recipient}" for share, recipient in self.additions]
        lines += [f"revoke {share} → {recipient}" for share, recipient in self.removals]
        return lines


@dataclass
class ApplyReport:
    done: list[str] = field(default_factory=list)  # shares whose permissions were updated
    failed: tuple[str, str] | None = None  # (share, the workspace's message)
    not_tried: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def text(self) -> str:
        parts = [f"updated {len(self.done)} share(s)" + (f": {', '.join(self.done)}" if self.done else "")]
        if self.failed:
            parts.append(f"failed on {self.failed[0]}: {self.failed[1]}")
        if self.not_tried:
            parts.append(f"not tried: {', '.join(self.not_tried)}")
        return "; ".join(parts)


def _share_grants(client: WorkspaceClient, share: str) -> set[Cell]:
    grants: set[Cell] = set()
    for page in follow_pages(lambda token: client.shares.share_permissions(share, page_token=token)):
        for assignment in page.privilege_assignments or []:
            privileges = {getattr(p, "value", p) for p in assignment.privileges or []}
            if assignment.principal and SELECT in privileges:
                grants.add((share, assignment.principal))
    return grants


def load_grid(client: WorkspaceClient) -> AccessGrid:
    shares = [share.name for share in client.shares.list_shares() if share.name]
    recipients = [recipient.name for recipient in client.recipients.list() if recipient.name]
    grants: set[Cell] = set()
    for share in shares:
        grants |= _share_grants(client, share)
    known = set(recipients)
    return AccessGrid.of(shares, recipients, {cell for cell in grants if cell[1] in known})


def apply_grid(client: WorkspaceClient, grid: AccessGrid,
               on_step: Callable[[int, int], None] | None = None) -> ApplyReport:
    """One call per changed share; stops at the first failure and says what was and was not done."""
    from databricks.sdk.errors.base import DatabricksError

    plan = grid.changes_by_share()
    report = ApplyReport()
    shares = list(plan)
    for index, share in enumerate(shares):
        try:
            client.shares.update_permissions(share, changes=plan[share])
        except DatabricksError as err:
            report.failed = (share, workspace_message(err))
            report.not_tried = shares[index + 1:]
            return report
        report.done.append(share)
        if on_step is not None:
            on_step(index + 1, len(shares))
    return report
