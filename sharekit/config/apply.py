"""Run a plan: one write call per step, in order; stop at the first failure and say what was done, what failed
(with the workspace's own message) and what was not tried. Running it again converges."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config.calls import DEFAULT_PARALLEL, check_parallel, count_calls
from sharekit.config.comparable import activation_url
from sharekit.config.loader import Document
from sharekit.config.plan import Action, Plan, Step, make_plan
from sharekit.config.schedule import dependencies
from sharekit.connect import WorkspaceLike, client_of
from sharekit.pii.check import MAX_SAMPLED_TABLES, PiiCheck

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
    throttled: int = 0  # 429/503 answers the SDK retried after Retry-After

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
        failures = [o for o in self.outcomes if o.status == "failed"]
        if not failures:
            return "apply incomplete"
        first, *others = failures
        also = "".join(f"; also failed: {o.step.call} {_target(o.step)}: {o.message}" for o in others)
        return (f"apply stopped: {first.step.call} {_target(first.step)} failed: {first.message}{also} — "
                f"{self.count('done')} change(s) done, {self.count('failed')} failed, "
                f"{self.count('not tried')} not tried; fix the cause and apply again to converge")


def _target(step: Step) -> str:
    return str(step.kwargs.get("name") or (step.actions[0].target if step.actions else ""))


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


class _Run:
    """The state of one concurrent run: outcomes by step, the ready queue, and what each finished call frees."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.outcomes: list[StepOutcome | None] = [None] * len(steps)
        waits = dependencies(steps)
        self.waiting = [len(w) for w in waits]
        self.freed: list[list[int]] = [[] for _ in steps]
        for index, earlier_calls in enumerate(waits):
            for earlier in earlier_calls:
                self.freed[earlier].append(index)
        self.ready = [i for i, n in enumerate(self.waiting) if n == 0]
        heapq.heapify(self.ready)  # plan order among the ready calls
        self.stopped = False

    def finish(self, index: int) -> None:
        for later in self.freed[index]:
            self.waiting[later] -= 1
            if self.waiting[later] == 0:
                heapq.heappush(self.ready, later)

    def final(self) -> list[StepOutcome]:
        return [o if o is not None else StepOutcome(s, "not tried") for s, o in zip(self.steps, self.outcomes,
                                                                                   strict=True)]


def _execute(steps: list[Step], call: Callable[[Step], Any], parallel: int,
             finished: Callable[[Step, Any, bool], None]) -> list[StepOutcome]:
    """Run ``steps`` with at most ``parallel`` calls in flight, each after the calls it depends on. The first
    failure stops new calls; the ones in flight finish. ``finished(step, response, ok)`` runs on this thread."""
    run = _Run(steps)
    unexpected: BaseException | None = None
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sharekit-apply") as pool:
        flying: dict[Future[Any], int] = {}
        while flying or (run.ready and not run.stopped):
            while run.ready and not run.stopped and len(flying) < parallel:
                index = heapq.heappop(run.ready)
                flying[pool.submit(call, steps[index])] = index
            done, _ = wait(flying, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=flying.__getitem__):
                index = flying.pop(future)
                error = future.exception()
                if error is None:
                    run.outcomes[index] = StepOutcome(steps[index], "done")
                    run.finish(index)
                    finished(steps[index], future.result(), True)
                    continue
                run.stopped = True
                if not isinstance(error, (OSError, StatementFailed)):  # a bug, not a workspace answer
                    unexpected = unexpected or error
                message = str(error) or type(error).__name__  # DatabricksError and requests errors are OSErrors
                run.outcomes[index] = StepOutcome(steps[index], "failed", message)
                finished(steps[index], None, False)
    if unexpected is not None:
        raise unexpected
    return run.final()


def apply_plan(target: WorkspaceLike, plan: Plan, *, progress: bool | None = None,
               progress_min: int = PROGRESS_MIN_STEPS, warehouse_id: str | None = None,
               on_step: Callable[[int, int], None] | None = None, parallel: int = DEFAULT_PARALLEL) -> ApplyResult:
    """Execute ``plan``'s steps, up to ``parallel`` independent calls at a time, each after the calls it depends
    on (``sharekit.config.schedule``); never raises for a failed call (see ``ApplyResult.failure``).

    ``on_step(done, total)`` is called after each successful call (forms draw their own progress bar with it).
    """
    check_parallel(parallel)
    client = client_of(target)
    warehouse = warehouse_id or getattr(target, "warehouse_id", None)
    result = ApplyResult(plan, reads=plan.reads)
    total = len(plan.steps)
    bar = _progress(total, progress, progress_min)
    started = time.perf_counter()
    succeeded = 0

    def finished(step: Step, response: Any, ok: bool) -> None:
        nonlocal succeeded
        if bar is not None:
            bar.update(1)  # finished calls, failed ones included
        if not ok:
            return
        succeeded += 1
        if step.call == "recipients.create":
            url = activation_url(response)
            if url:
                result.activation_links[step.kwargs["name"]] = url
        if on_step is not None:
            on_step(succeeded, total)

    with count_calls(client) as calls:
        try:
            result.outcomes = _execute(plan.steps, lambda step: _run(client, warehouse, step), parallel, finished)
        finally:
            if bar is not None:
                bar.close()
    # In the plan's order, not the order calls happened to finish: what a person reads stays the same each run.
    created = [s.kwargs.get("name") for s in plan.steps if s.call == "recipients.create"]
    result.activation_links = {name: result.activation_links[name] for name in created
                               if name in result.activation_links}
    result.reads += calls.reads
    result.writes = calls.writes
    result.throttled = calls.throttled
    result.seconds = time.perf_counter() - started
    return result


def apply(target: WorkspaceLike, document: Document, *, prune: bool = False, dry_run: bool = False,
          progress: bool | None = None, progress_min: int = PROGRESS_MIN_STEPS, check_tables: bool = True,
          warehouse_id: str | None = None, pii: bool = True, strict: bool = False,
          parallel: int = DEFAULT_PARALLEL, pii_sample: str = "doubt",
          pii_max_samples: int = MAX_SAMPLED_TABLES) -> ApplyResult:
    """Plan and apply ``document``. Raises ConfigError (nothing applied) when it cannot be planned, or with
    ``strict`` when an added table or view looks like personal data (``pii``: run that check at all).

    ``parallel``: calls in flight at most, for the reads and the writes. The PII check reads column names from
    the schema listings the plan makes anyway and samples values only where names leave doubt (``pii_sample``:
    ``doubt`` | ``all`` | ``none``), in at most ``pii_max_samples`` tables."""
    check_parallel(parallel)
    client = client_of(target)
    started = time.perf_counter()
    check = PiiCheck(target, pii_sample, pii_max_samples) if (pii or strict) and check_tables else None
    plan = make_plan(client, document, prune=prune, check_tables=check_tables, pii=check, strict=strict,
                     parallel=parallel)
    if dry_run:
        return ApplyResult(plan, reads=plan.reads, dry_run=True, seconds=time.perf_counter() - started)
    result = apply_plan(target, plan, progress=progress, progress_min=progress_min, warehouse_id=warehouse_id,
                        parallel=parallel)
    result.seconds = time.perf_counter() - started
    return result
