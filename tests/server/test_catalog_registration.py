"""The admin API that registers catalog objects (``/sharekit/admin/catalog-objects``, ``/sharekit/admin/tables``
with ``table_type``): what it accepts, what it refuses (4xx with an error code, nothing stored), what the Unity
Catalog listing routes then answer. In-process app on a real state (demo tables)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Api
from tests.server.test_rest_input import assert_error

ADMIN = "/sharekit/admin"
UC = "/api/2.1/unity-catalog"


def register(api: Api, **body: object) -> httpx.Response:
    return api.post(f"{ADMIN}/catalog-objects", json=body)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"kind": "VOLUME", "name": "main.raw.v"}, 400, "INVALID_PARAMETER_VALUE"),  # a volume needs its folder
    ({"kind": "VOLUME", "name": "main.raw.v", "path": "relative/dir"}, 400, None),
    ({"kind": "VOLUME", "name": "main.raw.v", "path": "/no/such/folder"}, 400, None),
    ({"kind": "VOLUME", "name": "main.sales.orders", "path": "/"}, 409, "TABLE_ALREADY_EXISTS"),
    ({"kind": "VOLUME", "name": "raw.v", "path": "/"}, 400, None),
    ({"kind": "VOLUME", "name": "main.raw.v", "path": "/", "routine_definition": "1"}, 400, None),
    ({"kind": "FUNCTION", "name": "main.raw.f", "path": "/"}, 400, None),
    ({"kind": "FUNCTION", "name": "main.raw.f", "input_params": [{"name": "x"}]}, 400, None),
    ({"kind": "NOTEBOOK", "name": "main.raw.n"}, 400, None),
    ({"kind": "MODEL", "name": "main.raw.m m"}, 400, None),
    ({"kind": "MODEL", "name": "main.raw.m", "surprise": 1}, 400, None),
])
def test_bad_registrations_are_refused_and_store_nothing(api: Api, body: dict[str, object], status: int,
                                                         code: str | None) -> None:
    assert_error(register(api, **body), status, code)
    assert api.get(f"{ADMIN}/catalog-objects").json() == {"objects": []}


def test_register_list_read_and_unregister(api: Api, tmp_path: Path) -> None:
    assert register(api, kind="volume", name="Main.Raw.Landing", path=str(tmp_path)).status_code == 200
    assert_error(register(api, kind="VOLUME", name="main.raw.landing", path=str(tmp_path)), 409,
                 "VOLUME_ALREADY_EXISTS")
    assert register(api, kind="FEATURE_SPEC", name="main.raw.spec").status_code == 200
    assert_error(register(api, kind="FUNCTION", name="main.raw.spec"), 409, "ROUTINE_ALREADY_EXISTS")
    listed = api.get(f"{ADMIN}/catalog-objects").json()["objects"]
    assert [(o["kind"], o["full_name"]) for o in listed] == [("VOLUME", "main.raw.landing"),
                                                              ("FEATURE_SPEC", "main.raw.spec")]
    volume = api.get(f"{UC}/volumes/main.raw.landing").json()
    assert volume["volume_type"] == "EXTERNAL" and volume["storage_location"] == tmp_path.as_uri()
    assert_error(api.get(f"{UC}/volumes", params={"catalog_name": "main"}), 400)
    assert_error(api.get(f"{UC}/volumes", params={"catalog_name": "nope", "schema_name": "x"}), 404,
                 "CATALOG_DOES_NOT_EXIST")
    page = api.get(f"{UC}/functions", params={"catalog_name": "main", "schema_name": "raw", "max_results": 1})
    assert [f["name"] for f in page.json()["functions"]] == ["spec"] and "next_page_token" not in page.json()
    assert api.delete(f"{ADMIN}/catalog-objects/VOLUME/main.raw.landing").status_code == 200
    assert_error(api.delete(f"{ADMIN}/catalog-objects/VOLUME/main.raw.landing"), 404, "VOLUME_DOES_NOT_EXIST")
    assert_error(api.get(f"{UC}/volumes/main.raw.landing"), 404, "VOLUME_DOES_NOT_EXIST")
    assert_error(api.get(f"{UC}/models/main.raw.spec"), 404)


def test_table_types_are_registered_and_listed(api: Api, tmp_path: Path, home: Path) -> None:
    import shutil

    folder = tmp_path / "mv"
    shutil.copytree(home / "tables" / "main" / "sales" / "orders", folder)
    assert_error(api.post(f"{ADMIN}/tables", json={"name": "main.x.mv", "path": str(folder), "table_type": "VIEW"}),
                 400)
    assert api.post(f"{ADMIN}/tables", json={"name": "main.x.mv", "path": str(folder),
                                             "table_type": "materialized_view"}).status_code == 200
    table = api.get(f"{UC}/tables/main.x.mv").json()
    assert table["table_type"] == "MATERIALIZED_VIEW" and table["data_source_format"] == "DELTA"
    summaries = api.get(f"{UC}/table-summaries", params={"catalog_name": "main", "schema_name_pattern": "x"}).json()
    assert summaries["tables"] == [{"full_name": "main.x.mv", "table_type": "MATERIALIZED_VIEW"}]
