"""N tenants on one table, through the real ``delta-sharing`` client: by recipient-property partition spec and by
a shared view with ``current_recipient()``. Each recipient receives exactly its rows, on every request path."""

from __future__ import annotations

import json
from pathlib import Path

import delta_sharing
import pandas as pd
import pytest
import requests
from databricks.sdk.service import sharing as S

from sharekit.connect import Workspace
from sharekit.demo.tables import TENANTS
from tests.protocol.conftest import Provider, unique
from tests.tenant.conftest import Sql

EVENTS = "main.saas.events"


def source_rows(provider: Provider, table: str) -> pd.DataFrame:
    from deltalake import DeltaTable

    return DeltaTable(provider.table_path(table)).to_pandas()


def tenants(provider: Provider, share: str, extra: dict[str, dict[str, str]] | None = None) -> dict[str, Path]:
    """One recipient per tenant (property tenant=<id>, plan gold/silver), granted the share; profile files."""
    profiles = {}
    for index, tenant in enumerate(TENANTS):
        props = {"tenant": tenant, "plan": ("gold", "silver")[index % 2], **(extra or {}).get(tenant, {})}
        name = provider.recipient(unique(tenant), properties=props)
        provider.grant(share, name)
        profiles[tenant] = provider.profile(name)
    return profiles


def query_lines(profile: Path, share: str, alias: str, body: dict[str, int]) -> list[dict[str, object]]:
    """The file/add/remove lines a raw POST …/query returns to this profile's recipient."""
    config = json.loads(profile.read_text())
    schema, table = alias.split(".")
    answer = requests.post(f"{config['endpoint'].rstrip('/')}/shares/{share}/schemas/{schema}/tables/{table}/query",
                           json=body, headers={"Authorization": f"Bearer {config['bearerToken']}"}, timeout=30)
    answer.raise_for_status()
    parsed = [json.loads(line) for line in answer.text.splitlines()]
    return [next(iter(line.values())) for line in parsed if set(line) & {"file", "add", "remove"}]


def rows_of(frame: pd.DataFrame, key: str = "event_id") -> list[int]:
    return sorted(int(v) for v in frame[key])


def test_partition_spec_gives_each_tenant_exactly_its_rows_on_every_path(provider: Provider) -> None:
    table = provider.copy_table("saas.events")
    share = provider.share({"name": table, "history": True, "cdf": True,
                            "partitions": [[{"name": "tenant_id", "recipient_property_key": "tenant"}]]})
    profiles = tenants(provider, share)
    alias = "saas." + table.split(".")[-1]
    before = source_rows(provider, table)
    from deltalake import DeltaTable

    DeltaTable(provider.table_path(table)).update(updates={"amount": "amount + 1"}, predicate="event_id % 10 = 0")
    after = source_rows(provider, table)
    for tenant, profile in profiles.items():
        url = f"{profile}#{share}.{alias}"
        mine = after[after.tenant_id == tenant]
        for frame in (delta_sharing.load_as_pandas(url), delta_sharing.load_as_pandas(url, use_delta_format=True)):
            assert set(frame.tenant_id) == {tenant}
            assert rows_of(frame) == rows_of(mine)
        limited = delta_sharing.load_as_pandas(url, limit=5)
        assert len(limited) == 5 and set(limited.tenant_id) == {tenant}
        old = delta_sharing.load_as_pandas(url, version=0)  # time travel
        assert set(old.tenant_id) == {tenant} and rows_of(old) == rows_of(before[before.tenant_id == tenant])
        changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=0, ending_version=1)
        assert set(changes.tenant_id) == {tenant}
        updated = changes[changes._change_type == "update_postimage"]
        assert rows_of(updated) == sorted(int(e) for e in mine.event_id if e % 10 == 0)
        for body in ({"startingVersion": 0}, {"version": 0}, {"limitHint": 1}, {}):  # raw protocol: file lines
            lines = query_lines(profile, share, alias, body)
            assert lines and {line["partitionValues"]["tenant_id"] for line in lines} == {tenant}


def test_a_recipient_without_the_property_sees_no_rows_and_no_file(provider: Provider, tws: Workspace) -> None:
    share = provider.share({"name": EVENTS, "partitions": [[{"name": "tenant_id", "recipient_property_key": "tenant"}]]})
    name = provider.recipient(properties={"plan": "gold"})
    provider.grant(share, name)
    profile = provider.profile(name)
    assert len(delta_sharing.load_as_pandas(f"{profile}#{share}.saas.events")) == 0
    bearer = json.loads(profile.read_text())["bearerToken"]
    answer = requests.post(f"{tws.host}/delta-sharing/shares/{share}/schemas/saas/tables/events/query",
                           json={}, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
    assert answer.status_code == 200
    assert [line for line in answer.text.splitlines() if '"file"' in line] == []


VIEW_SQL = """CREATE OR REPLACE VIEW main.saas.{name} AS
SELECT event_id, tenant_id,
       CASE WHEN current_recipient('plan') = 'gold' THEN user_email ELSE '***' END AS user_email,
       event_type, amount
FROM main.saas.{table} WHERE tenant_id = current_recipient('tenant')"""


def test_view_gives_each_tenant_its_rows_with_masking(provider: Provider, sql: Sql) -> None:
    table = provider.copy_table("saas.events")
    view = unique("tenant_view")
    sql(VIEW_SQL.format(name=view, table=table.split(".")[-1]))
    share = provider.share({"name": f"main.saas.{view}", "kind": "VIEW"})
    profiles = tenants(provider, share)
    source = source_rows(provider, table)
    for index, (tenant, profile) in enumerate(profiles.items()):
        url = f"{profile}#{share}.saas.{view}"
        mine = source[source.tenant_id == tenant]
        for frame in (delta_sharing.load_as_pandas(url), delta_sharing.load_as_pandas(url, use_delta_format=True)):
            assert list(frame.columns) == ["event_id", "tenant_id", "user_email", "event_type", "amount"]
            assert set(frame.tenant_id) == {tenant} and rows_of(frame) == rows_of(mine)
            if index % 2 == 0:  # gold: clear e-mails
                assert sorted(frame.user_email) == sorted(mine.user_email)
            else:
                assert set(frame.user_email) == {"***"}
        limited = delta_sharing.load_as_pandas(url, limit=3)
        assert len(limited) == 3 and set(limited.tenant_id) == {tenant}
        with pytest.raises(requests.HTTPError, match="no history"):
            delta_sharing.load_as_pandas(url, version=0)
        with pytest.raises(requests.HTTPError, match="no history"):
            delta_sharing.load_table_changes_as_pandas(url, starting_version=0)


def test_property_and_source_changes_apply_on_the_next_request(provider: Provider, sql: Sql, tws: Workspace) -> None:
    table = provider.copy_table("saas.events")
    view = unique("tenant_view")
    sql(VIEW_SQL.format(name=view, table=table.split(".")[-1]))
    alias = "saas." + table.split(".")[-1]
    share = provider.share({"name": f"main.saas.{view}", "kind": "VIEW"},
                           {"name": table, "partitions": [[{"name": "tenant_id", "recipient_property_key": "tenant"}]]})
    name = provider.recipient(properties={"tenant": "acme", "plan": "silver"})
    provider.grant(share, name)
    profile = provider.profile(name)
    view_url, table_url = f"{profile}#{share}.saas.{view}", f"{profile}#{share}.{alias}"
    assert set(delta_sharing.load_as_pandas(view_url).tenant_id) == {"acme"}
    assert set(delta_sharing.load_as_pandas(view_url).user_email) == {"***"}
    assert set(delta_sharing.load_as_pandas(table_url).tenant_id) == {"acme"}

    tws.client.recipients.update(name, properties_kvpairs=S.SecurablePropertiesKvPairs(
        properties={"tenant": "globex", "plan": "gold"}))
    frame = delta_sharing.load_as_pandas(view_url)
    assert set(frame.tenant_id) == {"globex"} and "***" not in set(frame.user_email)
    assert set(delta_sharing.load_as_pandas(table_url).tenant_id) == {"globex"}

    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    schema = DeltaTable(provider.table_path(table)).schema().to_arrow()
    extra = pa.table({"event_id": [10_001, 10_002], "tenant_id": ["globex", "acme"], "user_email": ["n@g.example"] * 2,
                      "event_type": ["login"] * 2, "plan": ["gold"] * 2, "amount": [1.0, 2.0],
                      "event_date": [pd.Timestamp("2026-03-01").date()] * 2})
    write_deltalake(provider.table_path(table), extra.cast(pa.schema(schema)), mode="append")
    ids = rows_of(delta_sharing.load_as_pandas(view_url))
    assert 10_001 in ids and 10_002 not in ids

    tws.client.recipients.update(name, properties_kvpairs=S.SecurablePropertiesKvPairs(properties={"plan": "gold"}))
    with pytest.raises(requests.HTTPError, match="tenant"):  # a lost property: an error, never all rows
        delta_sharing.load_as_pandas(view_url)
    assert len(delta_sharing.load_as_pandas(table_url)) == 0
    denied = provider.audit("deltaSharingGetTableMetadata", recipient_name=name)
    assert any(e["response"]["status_code"] == 403 for e in denied)
