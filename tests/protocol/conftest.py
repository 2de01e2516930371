"""Fixtures of the Delta Sharing protocol tests.

``pws``: one real server process per test module (demo tables). ``provider``: creates shares, recipients and
grants through the real databricks-sdk and activates recipients into profile files for the real
``delta-sharing`` client. Tests use unique names, so they do not collide on the shared server. Tests that
change table data first copy a demo table to a fresh name (the registry discovers new folders).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.service import sharing as S

from sharekit.activation import activate
from sharekit.connect import Workspace
from tests.conftest import running_workspace


@pytest.fixture(scope="module")
def pws(tmp_path_factory: pytest.TempPathFactory, demo_tables_template: Path) -> Iterator[Workspace]:
    with running_workspace(tmp_path_factory.mktemp("protocol"), demo_tables_template) as workspace:
        yield workspace


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Shared:
    share: str
    recipient: str
    profile: Path

    def url(self, schema_table: str) -> str:
        return f"{self.profile}#{self.share}.{schema_table}"


class Provider:
    """Provider-side set-up through the real SDK (what a notebook user would do)."""

    def __init__(self, ws: Workspace, folder: Path) -> None:
        self.ws = ws
        self.folder = folder
        assert ws.home is not None
        self.tables_dir = ws.home / "tables"

    def share(self, *objects: dict[str, Any], name: str | None = None) -> str:
        name = name or unique("share")
        self.ws.client.shares.create(name)
        if objects:
            self.ws.client.shares.update(name, updates=[
                S.SharedDataObjectUpdate(action=S.SharedDataObjectUpdateAction.ADD, data_object=self.data_object(**o))
                for o in objects])
        return name

    @staticmethod
    def data_object(name: str, history: bool = False, cdf: bool = False, shared_as: str | None = None,
                    partitions: list[list[dict[str, str]]] | None = None, start_version: int | None = None,
                    kind: str = "TABLE") -> S.SharedDataObject:
        return S.SharedDataObject(
            name=name, data_object_type=S.SharedDataObjectDataObjectType(kind), shared_as=shared_as,
            history_data_sharing_status=S.SharedDataObjectHistoryDataSharingStatus.ENABLED if history else None,
            # the API refuses history and cdf_enabled together: history shares the change data feed
            cdf_enabled=(cdf and not history) or None, start_version=start_version,
            partitions=[S.Partition(values=[S.PartitionValue(
                name=v["name"], op=S.PartitionValueOp.EQUAL, value=v.get("value"),
                recipient_property_key=v.get("recipient_property_key")) for v in p]) for p in partitions]
            if partitions else None)

    def recipient(self, name: str | None = None, properties: dict[str, str] | None = None,
                  ip_access_list: list[str] | None = None, expiration_time: int | None = None) -> str:
        name = name or unique("recipient")
        self.ws.client.recipients.create(
            name, authentication_type=S.AuthenticationType.TOKEN,
            properties_kvpairs=S.SecurablePropertiesKvPairs(properties=properties) if properties else None,
            ip_access_list=S.IpAccessList(allowed_ip_addresses=ip_access_list) if ip_access_list else None,
            expiration_time=expiration_time)
        return name

    def grant(self, share: str, recipient: str) -> None:
        self.ws.client.shares.update_permissions(share, changes=[S.PermissionsChange(principal=recipient, add=["SELECT"])])

    def revoke(self, share: str, recipient: str) -> None:
        self.ws.client.shares.update_permissions(share, changes=[S.PermissionsChange(principal=recipient,
                                                                                     remove=["SELECT"])])

    def profile(self, recipient: str) -> Path:
        return activate(self.ws, recipient, self.folder / f"{recipient}.share")

    def setup(self, *objects: dict[str, Any], properties: dict[str, str] | None = None, **recipient: Any) -> Shared:
        share = self.share(*objects)
        name = self.recipient(properties=properties, **recipient)
        self.grant(share, name)
        return Shared(share, name, self.profile(name))

    def copy_table(self, source: str) -> str:
        """A private copy of a demo table (``schema.table`` of catalog main) under a fresh name; returns it."""
        schema, table = source.split(".")
        name = unique(table)
        shutil.copytree(self.tables_dir / "main" / schema / table, self.tables_dir / "main" / schema / name)
        return f"main.{schema}.{name}"

    def table_path(self, full_name: str) -> str:
        catalog, schema, table = full_name.split(".")
        return str(self.tables_dir / catalog / schema / table)

    def audit(self, action: str | None = None, **params: str) -> list[dict[str, Any]]:
        """Audit events (newest last), optionally of one action and with the given request_params."""
        import duckdb

        from sharekit.server.audit.store import live_files, scan_sql

        assert self.ws.home is not None
        deadline = time.monotonic() + 5
        while True:
            sql = scan_sql(live_files(self.ws.home / "audit"), derived=False)
            rows = duckdb.sql(f"SELECT * FROM ({sql}) ORDER BY event_time").fetchall()
            columns = [d[0] for d in duckdb.sql(f"SELECT * FROM ({sql}) LIMIT 0").description]
            events = [dict(zip(columns, row)) for row in rows]
            found = [e for e in events if (action is None or e["action_name"] == action)
                     and all((e["request_params"] or {}).get(k) == v for k, v in params.items())]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture
def provider(pws: Workspace, tmp_path: Path) -> Provider:
    return Provider(pws, tmp_path)
