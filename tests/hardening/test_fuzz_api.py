"""Schemathesis against the server's own OpenAPI description (both surfaces): zero 5xx, zero crashes.

Each operation gets bounded positive and negative examples, with the admin token on the management surface and
a live recipient token on the protocol surface; protocol table operations are fuzzed a second time on a real
shared table so the generator reaches the query bodies, capabilities and version parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from sharekit.server.admin.openapi import declared_operations, openapi_path
from sharekit.server.admin.openapi_ops import OPERATIONS
from sharekit.server.app import create_app
from sharekit.server.state import build_state
from tests.hardening.conftest import ServerProcess, make_reader, make_share, stress

EXAMPLES = stress(12, 60)


def test_openapi_lists_every_route(home: Path) -> None:
    state = build_state(home)
    try:
        app = create_app(state)
        operations = declared_operations(app.routes)
        assert len(operations) >= 50
        assert [op for op in operations if op not in OPERATIONS] == []  # every route is described by hand
        assert [op for op in OPERATIONS if op not in operations] == []  # and nothing described is missing
        from sharekit.server.admin.openapi import build_document

        paths = build_document(app.routes)["paths"]
        for method, path in operations:
            assert method.lower() in paths[openapi_path(path)]
    finally:
        state.close()


@pytest.mark.hostile
def test_schemathesis_finds_no_server_error(module_server: ServerProcess) -> None:
    import schemathesis
    from schemathesis import GenerationMode

    client = module_server.client()
    share = make_share(client, "fuzz_share", "main.sales.orders", "main.inventory.stock_levels")
    reader = make_reader(client, share, {"region": "EU"})
    admin = {"Authorization": f"Bearer {module_server.admin_token}"}
    recipient = reader.headers
    real_table = {"share": share, "schema": "sales", "table": "orders"}

    document = requests.get(f"{module_server.url}/sharekit/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    tried: dict[str, int] = {}
    failures: list[str] = []
    statuses: dict[tuple[str, int], int] = {}

    def run(operation: Any, mode: GenerationMode, headers: dict[str, str], fixed: dict[str, str] | None) -> None:
        label = f"{operation.label} [{mode.value}{', real table' if fixed else ''}]"

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        def fuzz(case: Any) -> None:
            tried[label] = tried.get(label, 0) + 1
            try:
                response = case.call(base_url=module_server.url, session=session, headers=headers, timeout=30)
            except requests.RequestException as err:
                failures.append(f"{label}: {type(err).__name__} {err}")
                return
            surface = "protocol" if case.path.startswith("/delta-sharing/") else "rest"
            statuses[(surface, response.status_code // 100)] = statuses.get((surface, response.status_code // 100), 0) + 1
            if response.status_code >= 500:
                failures.append(f"{label}: {response.status_code} {case.method} {case.formatted_path} "
                                f"query={case.query} body={str(case.body)[:200]} -> {response.text[:200]}")

        try:
            fuzz()
        except Unsatisfiable:  # negative mode on an operation without parameters: nothing to break
            pass

    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        headers = recipient if path.startswith("/delta-sharing/") else admin
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(operation, mode, headers, None)
            if path.startswith("/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}"):
                run(operation, mode, headers, real_table)
        if module_server.process is None or module_server.process.poll() is not None:
            failures.append(f"server died during {operation.label}")
            break
    total = sum(tried.values())
    print(f"\nschemathesis: {total} inputs over {len(tried)} operation/mode runs; {len(failures)} failures; "
          f"status classes {dict(sorted(statuses.items()))}")
    assert failures == [], failures[:10]
    for surface in ("rest", "protocol"):  # the generator got past authentication and validation on both surfaces
        assert statuses.get((surface, 2), 0) > 20 and statuses.get((surface, 4), 0) > 20
    health = requests.get(f"{module_server.url}/sharekit/health", timeout=10)
    assert health.status_code == 200 and health.json()["pid"] == module_server.pid  # no crash, no restart
