"""The table registry: discovery, case-insensitive names, registration, Unity Catalog column types."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.state import ServerState
from tests.server.conftest import Api


def write_typed_table(path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    table = pa.table({
        "id": pa.array([1], pa.int32()),
        "price": pa.array([Decimal("1.25")], pa.decimal128(10, 2)),
        "tags": pa.array([["a"]], pa.list_(pa.string())),
        "attrs": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
        "point": pa.array([{"x": 1.0, "y": 2.0}], pa.struct([("x", pa.float64()), ("y", pa.float64())])),
        "day": pa.array([0], pa.date32()),
        "country": pa.array(["NL"], pa.string()),
    })
    write_deltalake(str(path), table, partition_by=["country"], description="typed")


def test_discovers_demo_tables_case_insensitively(state: ServerState) -> None:
    tables = state.tables
    assert tables.list_catalogs() == ["main"]
    assert tables.list_schemas("MAIN") == ["analytics", "inventory", "sales"]
    assert [e.name for e in tables.list_tables("main", "Sales")] == ["customers", "orders"]
    entry = tables.get("Main.SALES.Orders")
    assert entry.full_name == "main.sales.orders" and entry.table_type == "MANAGED"
    assert tables.partition_columns(entry) == ["region"]
    assert tables.version(tables.get("main.inventory.stock_levels")) == 3


@pytest.mark.parametrize(("name", "code"), [
    ("main.sales.nope", "TABLE_DOES_NOT_EXIST"),
    ("main.nope.t", "SCHEMA_DOES_NOT_EXIST"),
    ("nope.s.t", "CATALOG_DOES_NOT_EXIST"),
])
def test_missing_names_have_their_own_codes(state: ServerState, name: str, code: str) -> None:
    with pytest.raises(NotFound) as err:
        state.tables.get(name)
    assert err.value.error_code == code


def test_malformed_names_are_bad_requests(state: ServerState) -> None:
    for bad in ("main.sales", "a.b.c.d", "main..t", "main.sales.or ders"):
        with pytest.raises(BadRequest):
            state.tables.get(bad)


def test_a_new_folder_shows_up_without_restart(state: ServerState) -> None:
    write_typed_table(state.home.tables_dir / "lake" / "raw" / "typed")
    assert "lake" in state.tables.list_catalogs()
    assert state.tables.get("lake.raw.typed").path == state.home.tables_dir / "lake" / "raw" / "typed"


def test_column_types_follow_unity_catalog(state: ServerState, tmp_path: Path) -> None:
    write_typed_table(tmp_path / "typed")
    entry = state.tables.register("ext.raw.typed", tmp_path / "typed", comment="mine")
    assert entry.table_type == "EXTERNAL"
    columns = {c["name"]: c for c in state.tables.columns(entry)}
    assert [(c["type_name"], c["type_text"]) for c in columns.values()] == [
        ("INT", "int"), ("DECIMAL", "decimal(10,2)"), ("ARRAY", "array<string>"), ("MAP", "map<string,bigint>"),
        ("STRUCT", "struct<x:double,y:double>"), ("DATE", "date"), ("STRING", "string"),
    ]
    assert columns["price"]["type_precision"] == 10 and columns["price"]["type_scale"] == 2
    assert columns["country"]["partition_index"] == 0 and "partition_index" not in columns["id"]
    assert json.loads(columns["tags"]["type_json"])["name"] == "tags"
    assert [c["position"] for c in columns.values()] == list(range(7))
    assert state.tables.metadata(entry).comment == "typed"


def test_registration_rules(state: ServerState, tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="not a Delta table"):
        state.tables.register("ext.raw.x", tmp_path)
    with pytest.raises(BadRequest, match="absolute"):
        state.tables.register("ext.raw.x", Path("relative"))
    with pytest.raises(Conflict):
        state.tables.register("main.sales.orders", state.home.tables_dir / "main" / "sales" / "orders")
    write_typed_table(tmp_path / "t")
    state.tables.register("ext.raw.t", tmp_path / "t")
    state.tables.unregister("EXT.raw.t")
    with pytest.raises(NotFound):
        state.tables.get("ext.raw.t")


def test_metadata_is_cached_per_version(state: ServerState) -> None:
    from deltalake import DeltaTable

    entry = state.tables.get("main.analytics.customer_metrics")
    first = state.tables.metadata(entry)
    assert state.tables.metadata(entry) is first
    DeltaTable(str(entry.path)).alter.set_table_properties({"delta.appendOnly": "false"})
    second = state.tables.metadata(entry)
    assert second.version == first.version + 1 and second.properties["delta.appendOnly"] == "false"


def test_admin_route_registers_a_folder(api: Api, tmp_path: Path) -> None:
    write_typed_table(tmp_path / "t")
    created = api.post("/sharekit/admin/tables", json={"name": "Ext.Raw.T", "path": str(tmp_path / "t")})
    assert created.status_code == 200 and created.json()["full_name"] == "ext.raw.t"
    again = api.post("/sharekit/admin/tables", json={"name": "ext.raw.t", "path": str(tmp_path / "t")})
    assert again.status_code == 409 and again.json()["error_code"] == "TABLE_ALREADY_EXISTS"
    assert api.get("/api/2.1/unity-catalog/tables/ext.raw.t").json()["table_type"] == "EXTERNAL"
    assert api.post("/sharekit/admin/tables", json={"name": "x.y.z", "path": 3}).status_code == 400
    assert api.anonymous().post("/sharekit/admin/tables", json={}).status_code == 401
    assert api.delete("/sharekit/admin/tables/ext.raw.t").status_code == 200
    assert api.get("/api/2.1/unity-catalog/tables/ext.raw.t").status_code == 404
