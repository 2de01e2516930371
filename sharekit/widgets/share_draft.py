"""ShareForm's plain state: the share being edited as a configuration document, planned and applied by the same
engine as ``%%share`` (``sharekit.config``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config.apply import ApplyResult, apply_plan
from sharekit.config.export import dump_yaml
from sharekit.config.live import read_share
from sharekit.config.loader import validate
from sharekit.config.plan import Plan, make_plan
from sharekit.widgets import validation as v

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from sharekit.config.comparable import ObjectState

PARTITION_MODES = ("none", "value", "recipient property")


@dataclass
class TableChoice:
    """One table in the share: alias, one partition filter (static value or recipient property), history.

    ``kept_partitions`` holds filters read from the workspace that one row cannot show (several OR-ed
    partitions, LIKE); they are written back unchanged unless the user sets a filter in the row.
    """

    name: str
    alias: str = ""
    partition_column: str = ""
    partition_mode: str = "none"
    partition_value: str = ""
    history: bool = False
    partition_columns: tuple[str, ...] = ()
    kept_partitions: list[Any] | None = None

    def problem(self) -> str | None:
        if self.partition_mode not in PARTITION_MODES:
            return f"{self.name}: unknown partition mode {self.partition_mode!r}"
        filtered = self.partition_mode != "none"
        return v.first_problem(
            v.check_table_name(self.name),
            v.check_alias(self.alias.strip()),
            f"{self.name}: choose the partition column to filter on"
            if filtered and not self.partition_column.strip() else None,
            f"{self.name}: {self.partition_column!r} is not a partition column "
            f"(partition columns: {', '.join(self.partition_columns) or 'none'})"
            if filtered and self.partition_columns and self.partition_column not in self.partition_columns else None,
            f"{self.name}: enter the partition value" if self.partition_mode == "value"
            and not self.partition_value.strip() else None,
            f"{self.name}: enter the recipient property key" if self.partition_mode == "recipient property"
            and not self.partition_value.strip() else None,
            v.check_property_key(self.partition_value.strip()) if self.partition_mode == "recipient property" else None,
        )

    @property
    def shown_as(self) -> str:
        return self.alias.strip() or ".".join(self.name.split(".")[-2:])

    def to_data(self) -> dict[str, Any] | str:
        out: dict[str, Any] = {"name": self.name}
        if self.alias.strip():
            out["shared_as"] = self.alias.strip()
        column, value = self.partition_column.strip(), self.partition_value.strip()
        if self.partition_mode == "value":
            out["partitions"] = [{column: value}]
        elif self.partition_mode == "recipient property":
            out["partitions"] = [{column: {"recipient_property": value}}]
        elif self.kept_partitions:
            out["partitions"] = self.kept_partitions
        if self.history:
            out["history"] = True
        return out if len(out) > 1 else self.name


@dataclass
class ShareDraft:
    name: str = ""
    comment: str = ""
    tables: list[TableChoice] = field(default_factory=list)
    kept_objects: list[Any] = field(default_factory=list)  # non-table objects (schemas) read back, kept as-is

    def problem(self) -> str | None:
        found = v.first_problem(v.check_name(self.name.strip(), "share name"),
                                *(table.problem() for table in self.tables))
        if found:
            return found
        seen: dict[str, str] = {}
        for table in self.tables:
            key = table.name.lower()
            if key in seen:
                return f"{table.name} is in the share twice"
            seen[key] = table.name
        aliases: set[str] = set()
        for table in self.tables:
            alias = table.shown_as.lower()
            if alias in aliases:
                return f"recipients would see two tables named {alias!r}; give one an alias"
            aliases.add(alias)
        return None

    def to_data(self) -> dict[str, Any]:
        """The configuration document (the ``%%share`` YAML shape) for this one share."""
        share: dict[str, Any] = {"name": self.name.strip()}
        if self.comment.strip():
            share["comment"] = self.comment.strip()
        share["tables"] = [table.to_data() for table in self.tables] + list(self.kept_objects)
        return {"shares": [share]}

    def to_yaml(self) -> str:
        return dump_yaml(self.to_data())


def choice_from_live(state: ObjectState, partition_columns: tuple[str, ...] = ()) -> TableChoice:
    """A ``sharekit.config.comparable.ObjectState`` read from the workspace, as an editable row."""
    data = state.to_yaml()
    data = {"name": data} if isinstance(data, str) else data
    choice = TableChoice(name=state.name, alias=state.shared_as or "", history=bool(state.history),
                         partition_columns=partition_columns)
    partitions = data.get("partitions") or []
    simple = len(partitions) == 1 and len(partitions[0]) == 1
    if simple:
        ((column, spec),) = partitions[0].items()
        if isinstance(spec, dict) and set(spec) == {"recipient_property"}:
            choice.partition_column, choice.partition_mode = column, "recipient property"
            choice.partition_value = str(spec["recipient_property"])
        elif not isinstance(spec, dict):
            choice.partition_column, choice.partition_mode, choice.partition_value = column, "value", str(spec)
        else:
            choice.kept_partitions = partitions
    elif partitions:
        choice.kept_partitions = partitions
    return choice


@dataclass
class ShareOps:
    """Catalog browsing for the picker, and plan/apply through the configuration engine."""

    client: WorkspaceClient
    max_tables: int = 5000

    def table_names(self) -> list[str]:
        names: list[str] = []
        for catalog in self.client.catalogs.list():
            if not catalog.name:
                continue
            for schema in self.client.schemas.list(catalog.name):
                if not schema.name or schema.name == "information_schema":
                    continue
                for table in self.client.tables.list(catalog.name, schema.name):
                    if table.full_name:
                        names.append(table.full_name)
                    if len(names) >= self.max_tables:
                        return sorted(names)
        return sorted(names)

    def partition_columns(self, full_name: str) -> tuple[str, ...]:
        info = self.client.tables.get(full_name)
        columns = [c for c in info.columns or [] if c.partition_index is not None and c.name]
        return tuple(c.name for c in sorted(columns, key=lambda c: c.partition_index or 0) if c.name)

    def share_names(self) -> list[str]:
        return sorted(share.name for share in self.client.shares.list_shares() if share.name)

    def load(self, name: str) -> ShareDraft:
        live = read_share(self.client, name)
        objects = [state for _, state in sorted(live.objects.items())]
        tables = [choice_from_live(state, self._columns_or_empty(state.name))
                  for state in objects if state.type == "TABLE"]
        kept = [state.to_yaml() for state in objects if state.type != "TABLE"]
        return ShareDraft(name=live.name, comment=live.comment or "", tables=tables, kept_objects=kept)

    def _columns_or_empty(self, full_name: str) -> tuple[str, ...]:
        from databricks.sdk.errors import NotFound

        try:
            return self.partition_columns(full_name)
        except NotFound:
            return ()

    def plan(self, draft: ShareDraft) -> Plan:
        problem = draft.problem()
        if problem:
            raise ValueError(problem)
        return make_plan(self.client, validate(draft.to_data(), source="share form"))

    def apply(self, draft: ShareDraft, on_step: Callable[[int, int], None] | None = None) -> ApplyResult:
        return apply_plan(self.client, self.plan(draft), progress=False, on_step=on_step)
