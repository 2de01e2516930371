"""Diff a document against the live workspace into ordered actions, grouped into the fewest write calls.

Order: views → create shares → share updates (removals, then additions, then updates; up to 100 object changes
per call, the comment riding on the first; a share's owner last, in a call of its own) → create/update recipients
(owner last) and their federation policies → one permissions call per share → (with ``prune``) delete recipients
→ delete shares. A share the document names is authoritative over its objects and grants unless it says
``objects_mode: merge`` (plan_objects.py); shares and recipients it does not mention are left alone unless
``prune`` — and even then nothing of a kind no document can name (object_types.NAMEABLE, RECIPIENT_TYPES).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config import live as live_reads
from sharekit.config import live_concurrent, object_types
from sharekit.config.actions import SYMBOLS, Action, Step
from sharekit.config.calls import DEFAULT_PARALLEL, body_size, count_calls, cut_batches, run_concurrently
from sharekit.config.comparable import ObjectState, RecipientState, recipient_changes
from sharekit.config.federation import PolicyState, policy_calls
from sharekit.config.loader import ConfigError, Document, Issue
from sharekit.config.model import RecipientSpec, ShareSpec
from sharekit.config.plan_objects import diff_objects, status_notices
from sharekit.config.view_statement import create_view_statement
from sharekit.pii.check import PiiCheck, run_check, table_columns

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sharing import SharedDataObjectUpdate

MAX_UPDATES_PER_CALL = 100  # Databricks' docstring of shares.update; bodies are cut by size as well


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    reads: int = 0  # read calls made to build the plan
    prune: bool = False
    source: str = "<config>"
    warnings: list[str] = field(default_factory=list)  # PII found in objects the plan adds
    # What the plan must show beside its actions: removals of anything but a table, objects whose status is
    # PERMISSION_DENIED, objects and recipients of kinds no document can name (left alone).
    notices: list[str] = field(default_factory=list)
    pii_notes: list[str] = field(default_factory=list)  # what the PII check did not sample

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def summary(self) -> str:
        if not self.steps:
            return "no changes: the workspace matches the document"
        counts: dict[str, int] = {}
        for action in self.actions:
            counts[action.op] = counts.get(action.op, 0) + 1
        parts = ", ".join(f"{n} {op}" for op, n in counts.items())
        return f"{len(self.actions)} change(s) in {len(self.steps)} call(s): {parts}"

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The plan as lines of text: the summary, each action, then the warnings."""
        lines = [self.summary()] + [f"  {action}" for action in self.actions]
        lines += [f"WARNING: {notice}" for notice in self.notices]
        lines += [f"PII warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


class _Planner:
    def __init__(self, client: WorkspaceClient, document: Document, prune: bool, check_tables: bool,
                 pii: Any = None, strict: bool = False, parallel: int = DEFAULT_PARALLEL) -> None:
        self.client = client
        self.parallel = parallel  # read calls in flight at most
        self.pii = pii  # the workspace to sample for the PII check (None: no check)
        self.strict = strict
        self.added: list[tuple[tuple[str | int, ...], str, str]] = []  # (document path, share, object) added
        self.document = document
        self.config = document.config
        self.prune = prune
        self.check_tables = check_tables
        self.live = live_reads.LiveState()
        self.plan = Plan(prune=prune, source=document.source)
        self.issues: list[Issue] = []

    def step(self, api: str, method: str, kwargs: dict[str, Any], actions: list[Action]) -> None:
        self.plan.steps.append(Step(api, method, kwargs, actions))
        self.plan.actions.extend(actions)

    def run_reads(self, calls: list[Callable[[], Any]]) -> list[Any]:
        return run_concurrently(calls, self.parallel)

    def read(self) -> None:
        """Read the live state; independent reads run concurrently (``parallel`` in flight)."""
        live_concurrent.read_into(self.live, self.client, self.config, self.run_reads, self.check_tables)

    def views(self) -> None:
        for index, view in enumerate(self.config.views):
            current = self.live.views.get(view.name)
            if current == "":
                self.issues.append(self.document.issue(("views", index, "name"),
                                                       f"{view.name} exists and is not a view"))
                continue
            if current is not None and " ".join(current.split()) == " ".join(view.sql.split()):
                continue
            op = "create" if current is None else "replace"
            self.step("sql", "execute", {"statement": create_view_statement(view.name, view.sql)},
                      [Action(op, "view", view.name, detail="CREATE OR REPLACE VIEW")])

    def table_exists(self, state: ObjectState) -> bool:
        if not self.check_tables or state.name in {v.name for v in self.config.views}:
            return True
        if state.type not in object_types.TABLE_LIKE and state.type != "SCHEMA":
            return True  # volumes, models, functions, notebooks, feature specs: the workspace checks them
        parts = state.name.split(".")
        if state.type == "SCHEMA":
            if parts[0] not in self.live.schemas:
                self.live.schemas[parts[0]] = live_reads.read_schemas(self.client, parts[0])
            return parts[1] in self.live.schemas[parts[0]]
        key = (parts[0], parts[1])
        if key not in self.live.tables:
            self.live.tables[key] = live_reads.read_tables(self.client, *key, self.live.columns)
        return parts[2] in self.live.tables[key]

    def share(self, index: int, spec: ShareSpec) -> None:
        current = self.live.shares.get(spec.name) if spec.name in self.live.share_names else None
        live_objects = current.objects if current else {}
        diff = diff_objects(self.document, index, spec, live_objects)
        self.issues += diff.issues
        self.plan.notices += status_notices(spec.name, live_objects) + diff.notices
        for path, desired in diff.added:
            self.check_added(path, spec.name, desired)
        comment_action = None
        if current is None:
            kwargs: dict[str, Any] = {"name": spec.name, "comment": spec.comment}
            if spec.storage_root:
                kwargs["storage_root"] = spec.storage_root
            self.step("shares", "create", kwargs, [Action("create", "share", spec.name, detail=spec.comment or "")])
        else:
            if spec.comment is not None and spec.comment != current.comment:
                comment_action = Action("update", "share", spec.name, detail=f"comment {spec.comment!r}")
            self.storage_root(index, spec, current)
        self.share_updates(spec, diff.changes, comment_action)
        if spec.owner is not None and spec.owner != (current.owner if current else None):
            # owner in a call of its own, after the other changes: a metastore admin may change only the owner
            # (shares.update docstring), and a new owner may leave the caller unable to make the other changes
            self.step("shares", "update", {"name": spec.name, "owner": spec.owner},
                      [Action("update", "share", spec.name, detail=f"owner {spec.owner}")])

    def storage_root(self, index: int, spec: ShareSpec, current: live_reads.LiveShare) -> None:
        if spec.storage_root is None or spec.storage_root == current.storage_root:
            return
        if any(obj.type == "NOTEBOOK_FILE" for obj in current.objects.values()):
            # shares.update docstring: storage_root cannot change once notebook files are in the share
            self.issues.append(self.document.issue(("shares", index, "storage_root"), (
                f"share {spec.name} holds notebook files, so its storage_root cannot change")))
            return
        self.step("shares", "update", {"name": spec.name, "storage_root": spec.storage_root},
                  [Action("update", "share", spec.name, detail=f"storage_root {spec.storage_root}")])

    def check_added(self, path: tuple[str | int, ...], share: str, desired: ObjectState) -> None:
        """An added object must exist; tables and views it adds get the PII check."""
        if not self.table_exists(desired):
            self.issues.append(self.document.issue(path, f"{desired.type.lower()} {desired.name} does not exist"))
        elif desired.type in object_types.TABLE_LIKE:
            self.added.append((path, share, desired.name))

    def share_updates(self, spec: ShareSpec, changes: list[tuple[Action, SharedDataObjectUpdate]],
                      comment_action: Action | None) -> None:
        """Up to ``MAX_UPDATES_PER_CALL`` object changes per ``shares.update`` and never a body over the request
        limit (``calls.cut_batches``), the comment riding on the first."""
        base = body_size({"name": spec.name, "comment": spec.comment, "updates": []})
        chunks = cut_batches(changes, lambda change: body_size(change[1].as_dict()), base, MAX_UPDATES_PER_CALL)
        if comment_action is not None and not chunks:
            chunks = [[]]
        for number, chunk in enumerate(chunks):
            kwargs: dict[str, Any] = {"name": spec.name}
            actions: list[Action] = []
            if number == 0 and comment_action is not None:
                kwargs["comment"] = spec.comment
                actions.append(comment_action)
            if chunk:
                kwargs["updates"] = [update for _, update in chunk]
            for action, _ in chunk:
                if action not in actions:
                    actions.append(action)
            self.step("shares", "update", kwargs, actions)

    def recipients(self) -> None:
        for index, spec in enumerate(self.config.recipients):
            current = self.live.recipients.get(spec.name)
            if current is None:
                self.create_recipient(spec)
            elif current.authentication_type != spec.authentication_type:
                self.issues.append(self.document.issue(
                    ("recipients", index, "authentication_type"),
                    f"recipient {spec.name} uses {current.authentication_type}; the type cannot change "
                    "(delete the recipient and create it again)"))
                continue
            else:
                changes = recipient_changes(spec, current)
                if changes:
                    self.step("recipients", "update", {"name": spec.name, **changes},
                              [Action("update", "recipient", spec.name,
                                      detail="changes " + ", ".join(sorted(changes)))])
            self.policies(index, spec, current)
            if current is not None and spec.owner is not None and spec.owner != current.owner:
                self.step("recipients", "update", {"name": spec.name, "owner": spec.owner},
                          [Action("update", "recipient", spec.name, detail=f"owner {spec.owner}")])

    def create_recipient(self, spec: RecipientSpec) -> None:
        from databricks.sdk.service import sharing

        kwargs: dict[str, Any] = {"name": spec.name,
                                  "authentication_type": sharing.AuthenticationType(spec.authentication_type)}
        if spec.comment is not None:
            kwargs["comment"] = spec.comment
        if spec.all_properties():
            kwargs["properties_kvpairs"] = sharing.SecurablePropertiesKvPairs(properties=spec.all_properties())
        if spec.ip_access_list:
            kwargs["ip_access_list"] = sharing.IpAccessList(allowed_ip_addresses=list(spec.ip_access_list))
        if spec.expires is not None:
            kwargs["expiration_time"] = spec.expires
        if spec.sharing_id:
            kwargs["data_recipient_global_metastore_id"] = spec.sharing_id
        if spec.owner is not None:  # recipients.create takes the owner (resource_recipient_test.go TestCreateRecipient)
            kwargs["owner"] = spec.owner
        self.step("recipients", "create", kwargs,
                  [Action("create", "recipient", spec.name, detail=spec.authentication_type)])

    def policies(self, index: int, spec: RecipientSpec, current: RecipientState | None) -> None:
        """An OIDC_FEDERATION recipient's federation policies, when the document lists them."""
        if not spec.manages_policies:
            return
        live: tuple[PolicyState, ...] | None = ()
        if current is not None:  # read here, not in read(): only recipients whose policies the document manages
            live = current.policies if current.policies is not None else live_reads.read_policies_or_none(
                self.client, spec.name)
        if live is None:
            self.issues.append(self.document.issue(("recipients", index, "federation_policies"), (
                f"the workspace has no federation-policy API for recipient {spec.name}")))
            return
        for method, op, kwargs, name in policy_calls(spec.name, spec.federation_policies, live):
            self.step("recipient_federation_policies", method, kwargs,
                      [Action(op, "policy", spec.name, name, "federation policy")])

    def grants(self) -> None:
        from databricks.sdk.service import sharing

        defined_shares = {s.name for s in self.config.shares}
        defined_recipients = {r.name for r in self.config.recipients}
        merged = {s.name for s in self.config.shares if s.merge}
        desired: dict[str, set[str]] = {name: set() for name in defined_shares}
        for index, grant in enumerate(self.config.grants):
            if grant.share not in defined_shares and (self.prune or grant.share not in self.live.share_names):
                why = " (with prune, grant only shares the document defines)" if self.prune else ""
                self.issues.append(self.document.issue(("grants", index, "share"),
                                                       f"share {grant.share} is not defined here or in the workspace{why}"))
            if grant.recipient not in defined_recipients and (self.prune or grant.recipient not in self.live.recipients):
                why = (" (with prune, grant only recipients the document defines)"
                       if self.prune and grant.recipient in self.live.recipients else "")
                self.issues.append(self.document.issue(
                    ("grants", index, "recipient"), f"recipient {grant.recipient} is not defined here"
                    + ("" if why else " or in the workspace") + why))
            desired.setdefault(grant.share, set()).add(grant.recipient)
        for share in sorted(desired):
            current = self.live.shares.get(share)
            holders = (current.grants or set()) if current is not None else set()
            add = sorted(desired[share] - holders)
            # a share in merge mode is additive for its grants too: another document may have granted them
            revoke = sorted(holders - desired[share]) if share in defined_shares - merged else []
            if not add and not revoke:
                continue
            changes = [sharing.PermissionsChange(principal=r, add=["SELECT"]) for r in add]
            changes += [sharing.PermissionsChange(principal=r, remove=["SELECT"]) for r in revoke]
            actions = [Action("grant", "permission", share, r, "SELECT") for r in add]
            actions += [Action("revoke", "permission", share, r, "SELECT") for r in revoke]
            self.step("shares", "update_permissions", {"name": share, "changes": changes}, actions)

    def pii_check(self) -> None:
        """Warn about personal data in the objects the plan adds: column names from the schema listings already
        read, values sampled only where names leave doubt (bounded; ``PiiCheck``); strict refuses."""
        if self.pii is None or not self.added:
            return
        check = self.pii if isinstance(self.pii, PiiCheck) else PiiCheck(self.pii)
        planned_views = {v.name for v in self.config.views if self.live.views.get(v.name) is None}

        def fetch(name: str) -> list[tuple[str, str]] | None:  # no listing covered it (a view, or no check)
            return None if name in planned_views else table_columns(check.target, name)

        names = list(dict.fromkeys(name for _, _, name in self.added))
        outcome = run_check(check, names, self.live.columns, fetch, run_all=self.run_reads)
        self.plan.pii_notes = outcome.notes
        for path, share, name in self.added:
            findings = outcome.findings.get(name)
            if not findings:
                continue
            text = f"share {share} adds {name}, which looks like personal data: " + "; ".join(map(str, findings))
            self.plan.warnings.append(text)
            if self.strict:
                self.issues.append(self.document.issue(path, f"refused by --strict: {text}"))

    def pruned(self) -> None:
        """With prune: delete the recipients and shares the document omits — never one of a kind no document could
        name, nor a share holding such an object (deleting it would delete what sharekit cannot identify)."""
        if not self.prune:
            return
        for name in sorted(set(self.live.recipients) - {r.name for r in self.config.recipients}):
            recipient = self.live.recipients[name]
            if not recipient.nameable:
                self.plan.notices.append(f"recipient {name} has an authentication type this sharekit cannot name "
                                         "(--prune leaves it alone)")
                continue
            self.step("recipients", "delete", {"name": name}, [Action("delete", "recipient", name,
                                                                      detail=recipient.authentication_type)])
        for name in sorted(self.live.share_names - {s.name for s in self.config.shares}):
            share = self.live.shares.get(name) or live_reads.read_share(self.client, name)
            if share.unnameable:
                self.plan.notices.append(f"share {name} holds objects of a type this sharekit cannot name "
                                         f"({', '.join(share.unnameable)}); --prune leaves the share alone")
                continue
            kinds = sorted({obj.type for obj in share.objects.values()})
            self.step("shares", "delete", {"name": name},
                      [Action("delete", "share", name, detail=f"{len(share.objects)} object(s)"
                              + (f": {', '.join(kinds)}" if kinds else ""))])

    def build(self) -> Plan:
        with count_calls(self.client) as calls:
            self.read()
            self.views()
            for index, spec in enumerate(self.config.shares):
                self.share(index, spec)
            self.recipients()
            self.grants()
            self.pruned()
            self.pii_check()
        self.plan.reads = calls.reads
        if self.issues:
            raise ConfigError(self.issues, self.document.source)
        return self.plan


def make_plan(client: WorkspaceClient, document: Document, *, prune: bool = False, check_tables: bool = True,
              pii: Any = None, strict: bool = False, parallel: int = DEFAULT_PARALLEL) -> Plan:
    """Read the workspace and diff; raises ConfigError (naming lines) when the document cannot be applied.

    ``pii``: the workspace (or client) whose added objects get the PII check (warnings in ``plan.warnings``);
    with ``strict`` a finding is a ConfigError instead, so nothing is applied."""
    return _Planner(client, document, prune, check_tables, pii, strict, parallel).build()


__all__ = ["MAX_UPDATES_PER_CALL", "SYMBOLS", "Action", "Plan", "Step", "make_plan"]
