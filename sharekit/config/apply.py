"""Run a plan: one write call per step, in order; stop at the first failure and say what was done, what failed
(with the workspace's own message) and what was not tried. Running it again converges."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config.calls import count_calls
from sharekit.config.comparable import activation_url
from sharekit.config.loader import Document
from sharekit.config.plan import Action, Plan, Step, make_plan
from sharekit.connect import WorkspaceLike, client_of

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

PROGRESS_MIN_STEPS = 10  # a progress bar for applies with at least this many calls


class ApplyFailed(RuntimeError):
    """Raised by callers that want an exception for a failed apply; carries the ``ApplyResult``."""

    def __init__(self, result: ApplyResult) -> None:
        self.result = result
        super().__init__(result.summary())


class StatementFailed(RuntimeError):
    """A SQL statement (view creation) did not succeed; the message is the workspace's."""


@dataclass
class StepOutcome:
    step: Step
    status: str  # done | failed | not tried
    message: str = ""


@dataclass
class ApplyResult:
    plan: Plan
    outcomes: list[StepOutcome] = field(default_factory=list)
    activation_links: dict[str, str] = field(default_factory=dict)  # new recipient → activation URL
    reads: int = 0
    writes: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return all(o.status == "done" for o in self.outcomes)

    @property
    def failure(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if o.status == "failed"), None)

    def status_of(self, action: Action) -> str:
        if self.dry_run:
            return "planned"
        for outcome in self.outcomes:
            if action in outcome.step.actions:
                return outcome.status
        return "not tried"

    def count(self, status: str) -> int:
        return sum(len(o.step.actions) for o in self.outcomes if o.status == status)

    def summary(self) -> str:
        if self.dry_run:
            return f"dry run: {self.plan.summary()}"
        if not self.plan.steps:
            return f"no changes: the workspace matches the document ({self.reads} reads, 0 writes)"
        if self.ok:
            return (f"applied {len(self.plan.actions)} change(s) in {self.writes} write call(s) "
                    f"({self.reads} reads, {self.seconds:.1f} s)")
        failed = self.failure
        if failed is None:
            return "apply incomplete"
        target = failed.step.kwargs.get("name") or (failed.step.actions[0].target if failed.step.actions else "")
        return (f"apply stopped: {failed.step.call} {target} failed: {failed.message} — "
                f"{self.count('done')} change(s) done, {self.count('failed')} failed, "
                f"{self.count('not tried')} not tried; fix the cause and apply again to converge")


def _run_sql(client: WorkspaceClient, warehouse_id: str | None, statement: str) -> None:
    from databricks.sdk.service.sql import ExecuteStatementRequestOnWaitTimeout, StatementState

    if not warehouse_id:
        raise StatementFailed("no SQL warehouse: set DATABRICKS_WAREHOUSE_ID to create views")
    response = client.statement_execution.execute_statement(
        statement=statement, warehouse_id=warehouse_id, wait_timeout="50s",
        on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL)
    state = response.status.state if response.status else None
    if state != StatementState.SUCCEEDED:
        error = response.status.error if response.status else None
        message = (error.message if error and error.message else None) or f"statement ended {state}"
        raise StatementFailed(message)


def _run(client: WorkspaceClient, warehouse_id: str | None, step: Step) -> Any:
    if step.api == "sql":
        return _run_sql(client, warehouse_id, step.kwargs["statement"])
    return getattr(getattr(client, step.api), step.method)(**step.kwargs)


def _progress(total: int, enabled: bool | None, minimum: int) -> Any:
    if enabled is False or (enabled is None and total < minimum):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="sharekit apply", unit="call", leave=False)


def apply_plan(target: WorkspaceLike, plan: Plan, *, progress: bool | None = None,
               progress_min: int = PROGRESS_MIN_STEPS, warehouse_id: str | None = None,
               on_step: Callable[[int, int], None] | None = None) -> ApplyResult:
    """Execute ``plan``'s steps in order; never raises for a failed call (see ``ApplyResult.failure``).

    ``on_step(done, total)`` is called after each successful call (forms draw their own progress bar with it).
    """
    client = client_of(target)
    warehouse = warehouse_id or getattr(target, "warehouse_id", None)
    result = ApplyResult(plan, reads=plan.reads)
    bar = _progress(len(plan.steps), progress, progress_min)
    started = time.perf_counter()
    with count_calls(client) as calls:
        try:
            for index, step in enumerate(plan.steps):
                try:
                    response = _run(client, warehouse, step)
                except (OSError, StatementFailed) as err:  # DatabricksError and requests errors are OSErrors
                    result.outcomes.append(StepOutcome(step, "failed", str(err) or type(err).__name__))
                    result.outcomes.extend(StepOutcome(s, "not tried") for s in plan.steps[index + 1:])
                    break
                result.outcomes.append(StepOutcome(step, "done"))
                if step.call == "recipients.create":
                    url = activation_url(response)
                    if url:
                        result.activation_links[step.kwargs["name"]] = url
                if bar is not None:
                    bar.update(1)
                if on_step is not None:
                    on_step(index + 1, len(plan.steps))
        finally:
            if bar is not None:
                bar.close()
    result.reads += calls.reads
    result.writes = calls.writes
    result.seconds = time.perf_counter() - started
    return result


def apply(target: WorkspaceLike, document: Document, *, prune: bool = False, dry_run: bool = False,
          progress: bool | None = None, progress_min: int = PROGRESS_MIN_STEPS, check_tables: bool = True,
          warehouse_id: str | None = None, pii: bool = True, strict: bool = False) -> ApplyResult:
    """Plan and apply ``document``. Raises ConfigError (nothing applied) when it cannot be planned, or with
    ``strict`` when an added table or view looks like personal data (``pii``: run that check at all)."""
    client = client_of(target)
    started = time.perf_counter()
    plan = make_plan(client, document, prune=prune, check_tables=check_tables,
                     pii=target if (pii or strict) and check_tables else None, strict=strict)
    if dry_run:
        return ApplyResult(plan, reads=plan.reads, dry_run=True, seconds=time.perf_counter() - started)
    result = apply_plan(target, plan, progress=progress, progress_min=progress_min, warehouse_id=warehouse_id)
    result.seconds = time.perf_counter() - started
    return result
