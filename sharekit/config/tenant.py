"""The multi-tenant set-up in one idempotent call: a share with tables, a recipient, and the grant.

It builds a small document and runs it through the same plan/apply engine, so calling it again changes
nothing, and calling it with a different table list makes the share hold exactly those tables.

``row_filter`` makes one table safe for many tenants: ``{"tenant_id": "tenant"}`` means "rows whose ``tenant_id``
equals the recipient's ``tenant`` property". When every filtered column is a partition column of the table, the
table is shared with a recipient-property partition spec; otherwise a view
``<catalog>.<schema>.<table>_by_recipient`` (``WHERE column = current_recipient('key')``, the same for every
tenant) is created and shared under the table's own name. The recipient gets the property (default: the tenant
name) unless ``properties`` sets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sharekit.config.apply import ApplyResult, apply
from sharekit.config.loader import validate
from sharekit.config.model import check_name
from sharekit.connect import WorkspaceLike, client_of
from sharekit.dbsql import quote_identifier

VIEW_SUFFIX = "_by_recipient"


def _filters(row_filter: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"tenant_id"`` → ``{"tenant_id": "tenant_id"}``; a mapping is column → recipient property key."""
    if row_filter is None:
        return {}
    if isinstance(row_filter, str):
        return {row_filter: row_filter}
    return {str(column): str(key) for column, key in row_filter.items()}


def filter_view(table: str, filters: Mapping[str, str]) -> tuple[str, str]:
    """(view name, query) of the row-filter view over ``table``; identifiers quoted, keys as string literals."""
    for column, key in filters.items():
        check_name(column, "row_filter column")
        check_name(key, "recipient property key")
    where = " AND ".join(f"{quote_identifier(column)} = current_recipient('{key}')"
                         for column, key in sorted(filters.items()))
    return f"{table}{VIEW_SUFFIX}", f"SELECT * FROM {quote_identifier(table)} WHERE {where}"


def tenant_document(tenant: str, tables: Iterable[str | Mapping[str, Any]], *, email: str | None = None,
                    properties: Mapping[str, str] | None = None, share: str | None = None,
                    recipient: str | None = None, comment: str | None = None,
                    row_filter: str | Mapping[str, str] | None = None,
                    partition_columns: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    share_name = share or f"{tenant}_share"
    recipient_name = recipient or tenant
    filters = _filters(row_filter)
    recipient_entry: dict[str, Any] = {"name": recipient_name, "authentication_type": "TOKEN"}
    if comment is not None:
        recipient_entry["comment"] = comment
    if email is not None:
        recipient_entry["email"] = email
    props = {key: tenant for key in filters.values()}
    props.update(properties or {})
    if props:
        recipient_entry["properties"] = props
    objects: list[Any] = []
    views: list[dict[str, str]] = []
    for entry in tables:
        obj: dict[str, Any] = {"name": entry} if isinstance(entry, str) else dict(entry)
        if filters:
            name = str(obj["name"]).lower()
            partitioned = {c.lower() for c in (partition_columns or {}).get(name, ())}
            if all(column.lower() in partitioned for column in filters):
                obj["partitions"] = [{column: {"recipient_property": key} for column, key in filters.items()}]
            else:
                view, query = filter_view(name, filters)
                views.append({"name": view, "sql": query})
                obj = {**obj, "name": view, "type": "VIEW", "shared_as": obj.get("shared_as") or
                       ".".join(name.split(".")[-2:])}
        objects.append(obj)
    share_entry: dict[str, Any] = {"name": share_name, "tables": objects}
    if comment is not None:
        share_entry["comment"] = comment
    document: dict[str, Any] = {"shares": [share_entry], "recipients": [recipient_entry],
                                "grants": [{"share": share_name, "recipient": recipient_name,
                                            "permissions": ["SELECT"]}]}
    if views:
        document["views"] = views
    return document


def _partition_columns(target: WorkspaceLike, tables: list[str | Mapping[str, Any]]) -> dict[str, list[str]]:
    from databricks.sdk.errors import NotFound

    client = client_of(target)
    found: dict[str, list[str]] = {}
    for entry in tables:
        name = str(entry if isinstance(entry, str) else entry["name"]).lower()
        try:
            info = client.tables.get(name)
        except NotFound:
            continue  # the plan reports the missing table
        columns = [c for c in info.columns or [] if c.partition_index is not None]
        found[name] = [c.name or "" for c in sorted(columns, key=lambda c: c.partition_index or 0)]
    return found


def setup_tenant(target: WorkspaceLike, tenant: str, tables: Iterable[str | Mapping[str, Any]], *,
                 email: str | None = None, properties: Mapping[str, str] | None = None, share: str | None = None,
                 recipient: str | None = None, comment: str | None = None,
                 row_filter: str | Mapping[str, str] | None = None, dry_run: bool = False,
                 strict: bool = False) -> ApplyResult:
    """Share ``tables`` with ``tenant`` (share ``<tenant>_share``, recipient ``<tenant>``, SELECT grant).

    ``row_filter`` (column, or column → property key): each table shows only the tenant's rows, by partition spec
    or by a ``current_recipient`` view, whichever fits the table. Raises ConfigError for bad names or missing
    tables (nothing applied). The result carries the activation link when the recipient is new."""
    listed = list(tables)
    columns = _partition_columns(target, listed) if row_filter else None
    data = tenant_document(tenant, listed, email=email, properties=properties, share=share, recipient=recipient,
                           comment=comment, row_filter=row_filter, partition_columns=columns)
    return apply(target, validate(data, source=f"tenant {tenant}"), dry_run=dry_run, strict=strict)
