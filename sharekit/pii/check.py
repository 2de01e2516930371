"""The config engine's PII check of the tables and views a plan adds, at no extra call by default.

Column names come from the schema listings the plan reads anyway (``tables.list`` returns each table's
columns). Values are sampled only where the names leave doubt — a text column whose name points at people or
free text (``contact``, ``owner``, ``notes``, …) and that no name rule flags — or for every added table when
the caller asks (``sample="all"``), and never for more than ``max_samples`` tables per plan; the tables left
unsampled are named in a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sharekit.connect import WorkspaceLike, client_of
from sharekit.pii.rules import PiiFinding, check_columns, kind_from_name, name_tokens
from sharekit.pii.sampling import sample_rows

MAX_SAMPLED_TABLES = 10  # tables sampled per plan at most (each sample is one call)
SAMPLE_MODES = ("doubt", "all", "none")

# Name tokens of a text column that may hold personal data the name does not announce.
DOUBTFUL_TOKENS = frozenset({
    "contact", "customer", "user", "owner", "person", "people", "client", "member", "account", "holder", "login",
    "handle", "recipient", "sender", "author", "who", "info", "details", "notes", "note", "comment", "comments",
    "remarks", "message", "description", "text", "payload", "raw", "attributes", "properties", "extra", "misc",
    "identifier", "free",
})
_TEXT_TYPES = ("STRING", "VARCHAR", "CHAR", "")

Columns = list[tuple[str, str]]  # (column name, type name)


@dataclass
class PiiCheck:
    """What the plan's PII check may do: the workspace to sample through, when to sample, and how many tables."""

    target: WorkspaceLike
    sample: str = "doubt"  # doubt | all | none
    max_samples: int = MAX_SAMPLED_TABLES

    def __post_init__(self) -> None:
        if self.sample not in SAMPLE_MODES:
            raise ValueError(f"pii sample must be one of {', '.join(SAMPLE_MODES)}, not {self.sample!r}")
        if self.max_samples < 0:
            raise ValueError("pii max_samples must be 0 or more")


@dataclass
class CheckOutcome:
    findings: dict[str, list[PiiFinding]] = field(default_factory=dict)  # table → findings (only tables with some)
    sampled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def columns_of(listed: Iterable[Any]) -> dict[str, Columns]:
    """Full name (lower case) → columns, from the ``TableInfo`` objects of a ``tables.list``."""
    found: dict[str, Columns] = {}
    for info in listed:
        name = (info.full_name or "").lower()
        if name:
            found[name] = [(c.name or "", _type_name(c)) for c in info.columns or []]
    return found


def _type_name(column: Any) -> str:
    kind = getattr(column, "type_name", None)
    value = getattr(kind, "value", kind)
    return str(value or getattr(column, "type_text", None) or "").upper()


def in_doubt(columns: Columns) -> bool:
    """A text column no name rule flags whose name points at people or free text."""
    for name, kind in columns:
        if kind.split("(")[0] not in _TEXT_TYPES or kind_from_name(name) is not None:
            continue
        if DOUBTFUL_TOKENS.intersection(name_tokens(name)):
            return True
    return False


def run_check(check: PiiCheck, tables: Sequence[str], columns: dict[str, Columns],
              fetch_columns: Callable[[str], Columns | None],
              run_all: Callable[[list[Callable[[], Any]]], list[Any]] | None = None) -> CheckOutcome:
    """Findings for ``tables`` (distinct names). ``columns``: what the listings returned; ``fetch_columns``
    answers for a table no listing covered (None: it does not exist yet, e.g. a view this plan creates);
    ``run_all`` runs the sample calls (concurrently in the planner)."""
    outcome = CheckOutcome()
    known: dict[str, Columns] = {}
    for name in tables:
        listed = columns.get(name.lower())
        if listed is None:
            listed = fetch_columns(name)
        if listed is not None:
            known[name] = listed
    wanted = [n for n in known if check.sample == "all" or (check.sample == "doubt" and in_doubt(known[n]))]
    chosen, skipped = wanted[:check.max_samples], wanted[check.max_samples:]
    samples = _sample(check, chosen, run_all)
    for name, cols in known.items():
        names = [c for c, _ in cols]
        rows: list[list[Any]] = []
        if name in samples:
            sampled_names, sampled_rows, note = samples[name]
            if note:
                outcome.notes.append(f"{name}: {note}")
            elif sampled_rows:
                names, rows = sampled_names or names, sampled_rows
            outcome.sampled.append(name)
        found = check_columns(names, rows)
        if found:
            outcome.findings[name] = found
    if skipped:
        outcome.notes.append(f"values not sampled in {len(skipped)} table(s) beyond the bound of "
                             f"{check.max_samples}: {', '.join(skipped)} (column names checked)")
    return outcome


def _sample(check: PiiCheck, names: list[str],
            run_all: Callable[[list[Callable[[], Any]]], list[Any]] | None) -> dict[str, Any]:
    def one(name: str) -> Callable[[], Any]:
        def call() -> Any:
            try:
                return sample_rows(check.target, name)
            except OSError as err:  # the table went away, or no warehouse answer: names still checked
                return [], [], f"values not sampled: {err}"
        return call

    calls = [one(n) for n in names]
    results = run_all(calls) if run_all is not None else [c() for c in calls]
    return dict(zip(names, results, strict=True))


def table_columns(target: WorkspaceLike, name: str) -> Columns | None:
    """One table's columns through ``tables.get`` (for tables no listing covered); None when it is missing."""
    try:
        info = client_of(target).tables.get(name)
    except OSError:  # missing (NotFound), or unreadable: the check cannot see it, as before
        return None
    return [(c.name or "", _type_name(c)) for c in info.columns or []]
