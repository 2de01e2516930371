"""The share form loads a share holding an object of a type this SDK does not know, as a real workspace may
return it (tests/config/replay.py ``future_share``): the object is left out of the form's document, which
therefore still loads, and the plan keeps it on the share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

from sharekit.config.loader import validate
from sharekit.config.plan import make_plan
from sharekit.widgets.share_draft import ShareOps
from tests.config.replay import Replay, serve


@pytest.fixture
def replay_client() -> Iterator[WorkspaceClient]:
    server = serve(Replay())
    try:
        yield WorkspaceClient(config=Config(host=f"http://127.0.0.1:{server.server_address[1]}", token="dapi-replay",
                                            retry_timeout_seconds=5))
    finally:
        server.shutdown()
        server.server_close()


def test_an_object_of_an_unknown_type_is_left_out_and_kept_on_the_share(replay_client: WorkspaceClient) -> None:
    draft = ShareOps(replay_client).load("future_share")
    assert [t.name for t in draft.tables] == ["catalog.schema.table2"]
    assert draft.kept_objects == []  # not {"name": "catalog.schema.agent1", "type": "UNKNOWN"}
    assert "UNKNOWN" not in draft.to_yaml()
    plan = make_plan(replay_client, validate(draft.to_data(), source="share form"), check_tables=False)
    assert not [a for a in plan.actions if a.op == "remove"], "the unknown object stays on the share"
    assert any("cannot name" in notice for notice in plan.notices)


def test_schemas_and_notebooks_are_kept_as_named(replay_client: WorkspaceClient) -> None:
    draft = ShareOps(replay_client).load("test_share")
    kept = [item if isinstance(item, str) else item["name"] for item in draft.kept_objects]
    assert kept == ["catalog.schema.notebook1", "catalog.schema1"]
    validate(draft.to_data(), source="share form")  # the document the form would apply loads
