"""ShareForm's plain state: the share being edited as a configuration document, planned and applied by the same
engine as ``%%share`` (``sharekit.config``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.config.apply import ApplyResult, apply_plan
from sharekit.config.export import dump_yaml
from sharekit.config.live import read_share
from sharekit.config.loader import validate
from sharekit.config.plan import Plan, make_plan
from sharekit.names import (
    HISTORY_TYPES,
    OBJECT_TYPE_OF_TABLE_TYPE,
    OBJECT_TYPES,
    PARTITION_TYPES,
    STRING_ALIAS_TYPES,
    TABLE_LIKE_TYPES,
)
from sharekit.widgets import validation as v

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from sharekit.config.comparable import ObjectState

PARTITION_MODES = ("none", "value", "recipient property")
# What the form lists and lets a user choose: the catalog's objects (schemas and notebook files, which the catalog
# does not list as objects, are kept as they are when a share is loaded).
CHOOSABLE_TYPES = tuple(kind for kind in OBJECT_TYPES if kind not in ("SCHEMA", "NOTEBOOK_FILE"))
ALIASED_TYPES = TABLE_LIKE_TYPES | (STRING_ALIAS_TYPES - {"NOTEBOOK_FILE"})  # a <schema>.<name> alias


def type_label(kind: str) -> str:
    return kind.lower().replace("_", " ")


@dataclass
class TableChoice:
    """One object in the share (a table unless ``type`` says otherwise): alias, one partition filter (static value
    or recipient property; tables only), history (tables, materialized views, streaming tables).

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
    type: str = "TABLE"
    status: str | None = None  # ACTIVE | PERMISSION_DENIED, as read from the workspace

    @property
    def partitionable(self) -> bool:
        return self.type in PARTITION_TYPES

    @property
    def with_history(self) -> bool:
        return self.type in HISTORY_TYPES

    def problem(self) -> str | None:
        if self.partition_mode not in PARTITION_MODES:
            return f"{self.name}: unknown partition mode {self.partition_mode!r}"
        if self.type not in CHOOSABLE_TYPES:
            return f"{self.name}: the form cannot share a {type_label(self.type)}"
        filtered = self.partition_mode != "none"
        return v.first_problem(
            v.check_table_name(self.name),
            f"{self.name}: a {type_label(self.type)} takes no partition filter" if filtered and not self.partitionable
            else None,
            f"{self.name}: a {type_label(self.type)} is shared without history" if self.history
            and not self.with_history else None,
            f"{self.name}: a {type_label(self.type)} takes no alias" if self.alias.strip()
            and self.type not in ALIASED_TYPES else None,
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
        """The document object: ``{name, type}`` plus what is set (the engine maps ``shared_as`` to the wire field
        of the type); a plain table with nothing set is its name."""
        out: dict[str, Any] = {"name": self.name}
        if self.type != "TABLE":
            out["type"] = self.type
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
            if table.type not in ALIASED_TYPES:
                continue
            alias = table.shown_as.lower()
            if alias in aliases:
                return f"recipients would see two tables named {alias!r}; give one an alias"
            aliases.add(alias)
        return None

    @property
    def denied(self) -> list[str]:
        """Objects the workspace reports as PERMISSION_DENIED: recipients get nothing from them."""
        return [t.name for t in self.tables if t.status == "PERMISSION_DENIED"]

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
                         partition_columns=partition_columns, type=state.type,
                         status=getattr(state, "status", None))  # status: read by the engine from issue 13 on
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
        return [name for name, kind in self.catalog_objects() if kind == "TABLE"]

    def catalog_objects(self) -> list[tuple[str, str]]:
        """(full name, data object type) of every table-like object, volume, model and function, by name."""
        found: list[tuple[str, str]] = []
        for catalog in self.client.catalogs.list():
            if not catalog.name:
                continue
            for schema in self.client.schemas.list(catalog.name):
                if not schema.name or schema.name == "information_schema":
                    continue
                found.extend(self._schema_objects(catalog.name, schema.name))
                if len(found) >= self.max_tables:
                    return sorted(found)[:self.max_tables]
        return sorted(found)

    def _schema_objects(self, catalog: str, schema: str) -> list[tuple[str, str]]:
        out = [(t.full_name, OBJECT_TYPE_OF_TABLE_TYPE.get(t.table_type.value if t.table_type else "", "TABLE"))
               for t in self.client.tables.list(catalog, schema, omit_columns=True) if t.full_name]
        client = self.client
        out += _listed(lambda: [(v.full_name, "VOLUME") for v in client.volumes.list(catalog, schema)])
        out += _listed(lambda: [(m.full_name, "MODEL") for m in client.registered_models.list(
            catalog_name=catalog, schema_name=schema)])
        out += _listed(lambda: [(f.full_name, _function_type(f.properties))
                                for f in client.functions.list(catalog, schema)])
        return out

    def partition_columns(self, full_name: str) -> tuple[str, ...]:
        info = self.client.tables.get(full_name)
        columns = [c for c in info.columns or [] if c.partition_index is not None and c.name]
        return tuple(c.name for c in sorted(columns, key=lambda c: c.partition_index or 0) if c.name)

    def share_names(self) -> list[str]:
        return sorted(share.name for share in self.client.shares.list_shares() if share.name)

    def load(self, name: str) -> ShareDraft:
        live = read_share(self.client, name)
        objects = [state for _, state in sorted(live.objects.items())]
        tables = [choice_from_live(state, self._columns_or_empty(state.name) if state.type == "TABLE" else ())
                  for state in objects if state.type in CHOOSABLE_TYPES]
        # Schemas and notebooks are kept as the document names them. An object of a type this SDK does not know
        # (state.nameable False) is left out: the document could only say "type: UNKNOWN", which no document loads,
        # and the plan never removes what a document cannot name, so leaving it out keeps it on the share.
        kept = [state.to_yaml() for state in objects if state.type not in CHOOSABLE_TYPES and state.nameable]
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


def _listed(listing: Callable[[], list[tuple[str | None, str]]]) -> list[tuple[str, str]]:
    """One listing of volumes, models or functions; one the user may not read (or a workspace without it) is
    skipped, so that the tables can still be chosen."""
    from databricks.sdk.errors import DatabricksError

    try:
        return [(name, kind) for name, kind in listing() if name]
    except DatabricksError:
        return []


def _function_type(properties: str | None) -> str:
    """FEATURE_SPEC for a function the embedded server marks as a feature spec (Unity Catalog lists feature specs
    among a schema's functions); FUNCTION otherwise."""
    try:
        marked = json.loads(properties or "{}").get("sharekit.object_type")
    except (ValueError, AttributeError):
        return "FUNCTION"
    return "FEATURE_SPEC" if marked == "FEATURE_SPEC" else "FUNCTION"
