"""The planner's reads of the live state, independent reads run concurrently: first the share names and the
recipients, then every share, grant listing and view the document names, then the schema listings the added
objects need (which also give the PII check its column names)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from sharekit.config import live as live_reads
from sharekit.config.comparable import ObjectState
from sharekit.config.object_types import TABLE_LIKE

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from sharekit.config.model import ShareConfig

Runner = Callable[[list[Callable[[], Any]]], list[Any]]


def read_into(live: live_reads.LiveState, client: WorkspaceClient, config: ShareConfig, run: Runner,
              check_tables: bool) -> None:
    live.share_names, live.recipients = run([partial(live_reads.list_share_names, client),
                                             partial(live_reads.read_recipients, client)])
    granted = {g.share for g in config.grants}
    scope = sorted(n for n in {s.name for s in config.shares} | granted if n in live.share_names)
    per_recipient = len(live.recipients) < len(scope)  # every principal is a recipient: fewer calls
    shares = [s.name for s in config.shares if s.name in live.share_names]
    grantees = sorted(live.recipients) if per_recipient else scope
    views = [v.name for v in config.views]
    read_grants = live_reads.read_recipient_grants if per_recipient else live_reads.read_grants
    answers = iter(run([partial(live_reads.read_share, client, name) for name in shares]
                       + [partial(read_grants, client, name) for name in grantees]
                       + [partial(live_reads.read_view, client, name) for name in views]))
    for name in shares:
        live.shares[name] = next(answers)
    for name in scope:
        live.shares.setdefault(name, live_reads.LiveShare(name, None, {}))
    grants = [next(answers) for _ in grantees]
    if per_recipient:
        holders: dict[str, set[str]] = {name: set() for name in scope}
        for recipient, held in zip(grantees, grants, strict=True):
            for share_name in held & holders.keys():
                holders[share_name].add(recipient)
        for name, recipients in holders.items():
            live.shares[name].grants = recipients
    else:
        for name, holders_of in zip(scope, grants, strict=True):
            live.shares[name].grants = holders_of
    for name in views:
        live.views[name] = next(answers)
    if check_tables:
        prefetch_listings(live, client, config, run)


def prefetch_listings(live: live_reads.LiveState, client: WorkspaceClient, config: ShareConfig, run: Runner) -> None:
    """The schema (and catalog) listings the planner's ``table_exists`` will need for added objects."""
    views = {v.name for v in config.views}
    schemas: set[tuple[str, str]] = set()
    catalogs: set[str] = set()
    for spec in config.shares:
        current = live.shares.get(spec.name)
        for obj in spec.tables:
            state = ObjectState.from_spec(obj)
            if state.name in views or (current is not None and state.name in current.objects):
                continue
            parts = state.name.split(".")
            if state.type not in TABLE_LIKE and state.type != "SCHEMA":
                continue  # the planner checks only tables and schemas (volumes, models, ...: the workspace does)
            if state.type == "SCHEMA":
                catalogs.add(parts[0])
            elif len(parts) == 3:
                schemas.add((parts[0], parts[1]))
    tables, names = sorted(schemas), sorted(catalogs)
    found = run([partial(live_reads.read_tables, client, *key, live.columns) for key in tables]
                + [partial(live_reads.read_schemas, client, c) for c in names])
    live.tables.update(zip(tables, found[:len(tables)], strict=True))
    live.schemas.update(zip(names, found[len(tables):], strict=True))
