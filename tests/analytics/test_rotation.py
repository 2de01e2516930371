"""Rotation campaigns against a real server: the plan (grace only shortens, the two-token limit, the workspace's
token lifetime), apply with the project's own notifiers (logging, and the webhook on a real local HTTP server),
and convergence when the same campaign runs again."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import delta_sharing
import pytest
from databricks.sdk.service import sharing as S

from sharekit.activation import activate
from sharekit.analytics import logging_notifier, webhook_notifier
from sharekit.connect import Workspace
from sharekit.rotation import RotationNotice, duration_s, plan_rotation

DAY_MS = 86_400_000


def _lifetime(ws: Workspace, seconds: int) -> None:
    ws.client.metastores.update(ws.client.metastores.current().metastore_id or "",
                                delta_sharing_recipient_token_lifetime_in_seconds=seconds)


def _recipient(ws: Workspace, name: str, tmp: Path, expiration_time: int | None = None) -> Path:
    ws.client.recipients.create(name, authentication_type=S.AuthenticationType.TOKEN, expiration_time=expiration_time)
    ws.client.shares.update_permissions("orders_share", changes=[S.PermissionsChange(principal=name, add=["SELECT"])])
    return activate(ws, name, tmp / f"{name}.share")


@pytest.fixture
def campaign_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    """forever (never expires), soon (5 days left), fresh (90 days), twice (rotated and re-activated: two live)."""
    ws.client.shares.create("orders_share")
    ws.client.shares.update("orders_share", updates=[S.SharedDataObjectUpdate(
        action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(name="main.sales.orders"))])
    _recipient(ws, "forever", tmp_path)
    _lifetime(ws, 5 * 86_400)
    _recipient(ws, "soon", tmp_path)
    _lifetime(ws, 90 * 86_400)
    _recipient(ws, "fresh", tmp_path)
    _recipient(ws, "twice", tmp_path)
    ws.client.recipients.rotate_token("twice", existing_token_expire_in_seconds=2 * 86_400)
    activate(ws, "twice", tmp_path / "twice-new.share")
    return ws


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    finally:
        server.shutdown()
        server.server_close()


def _steps(plan: Any) -> dict[str, tuple[str, str]]:
    return {s.recipient: (s.action, s.why) for s in plan.steps}


def test_the_plan_chooses_limits_and_explains(campaign_ws: Workspace) -> None:
    now = time.time()
    plan = plan_rotation(campaign_ws, ["twice"], expiring_within="30d", never_expires=True, grace="7d",
                         clock=lambda: now)
    steps = _steps(plan)
    assert set(steps) == {"forever", "soon", "twice"}  # fresh is neither named, due nor everlasting
    assert steps["forever"] == ("rotate", "its token never expires")
    assert steps["soon"][0] == "rotate"
    assert steps["twice"][0] == "blocked" and "two live tokens" in steps["twice"][1]
    by_name = {s.recipient: s for s in plan.steps}
    now_ms = int(now * 1000)
    assert by_name["forever"].old_expires is None and by_name["forever"].old_after == now_ms + 7 * DAY_MS
    assert by_name["soon"].old_after == by_name["soon"].old_expires  # 5 days left: a 7-day grace cannot lengthen
    assert by_name["forever"].new_expires == now_ms + 90 * DAY_MS  # the workspace's lifetime
    assert "2 to rotate, 1 blocked" in repr(plan)
    at_once = plan_rotation(campaign_ws, ["twice"], grace=0)  # two live tokens: only a grace of 0 can rotate
    assert _steps(at_once)["twice"][0] == "rotate" and at_once.apply(lambda notice: None).ok
    assert len(campaign_ws.client.recipients.get("twice").tokens or []) == 1  # both old ones ended, one new


def test_apply_hands_each_link_to_the_notifiers_and_a_rerun_converges(
        campaign_ws: Workspace, webhook: tuple[str, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture,
        tmp_path: Path) -> None:
    url, received = webhook
    logger = logging_notifier(logging.getLogger("test.rotation"), logging.INFO)
    hook = webhook_notifier(url)
    notices: list[RotationNotice] = []

    def notify(notice: RotationNotice) -> None:
        notices.append(notice)
        logger(notice)
        hook(notice)

    plan = plan_rotation(campaign_ws, expiring_within="30d", never_expires=True, grace="7d")
    with caplog.at_level(logging.INFO, logger="test.rotation"):
        result = plan.apply(notify)
    assert result.ok and [o.recipient for o in result.outcomes] == ["forever", "soon"]
    assert sorted(n.recipient for n in notices) == ["forever", "soon"]
    assert sorted(r["alert"]["recipient"] for r in received) == ["forever", "soon"]
    for notice in notices:
        tokens = campaign_ws.client.recipients.get(notice.recipient).tokens or []
        assert notice.activation_url == [t for t in tokens if t.activation_url][-1].activation_url
        assert notice.activation_url not in caplog.text and notice.activation_url not in repr(notice)
        assert notice.activation_url not in repr(result) + repr(plan)
    assert {r["alert"]["activation_url"] for r in received} == {n.activation_url for n in notices}
    assert not any(n.activation_url in r["text"] for r in received for n in notices)
    # the old token keeps working through the grace; the new link gives a working credential
    profile = activate(campaign_ws, "forever", tmp_path / "forever-new.share")
    assert len(delta_sharing.load_as_pandas(f"{profile}#orders_share.sales.orders", limit=3)) == 3
    assert len(delta_sharing.load_as_pandas(f"{tmp_path / 'forever.share'}#orders_share.sales.orders", limit=3)) == 3

    again = plan_rotation(campaign_ws, expiring_within="30d", never_expires=True, grace="7d")
    assert again.rotations == [] and again.apply(notify).outcomes == []


def test_plans_refuse_what_a_rotation_cannot_fix(ws: Workspace, tmp_path: Path) -> None:
    ws.client.recipients.create("forever", authentication_type=S.AuthenticationType.TOKEN)
    plan = plan_rotation(ws, never_expires=True, grace="1d")
    assert _steps(plan)["forever"][0] == "blocked" and "no token lifetime" in _steps(plan)["forever"][1]
    _lifetime(ws, 10 * 86_400)
    due = plan_rotation(ws, expiring_within="30d", never_expires=True, grace="1d")
    assert _steps(due)["forever"][0] == "rotate"
    ws.client.recipients.rotate_token("forever", existing_token_expire_in_seconds=0)  # now 10 days left
    short = plan_rotation(ws, expiring_within="30d", grace="1d")
    assert _steps(short)["forever"][0] == "blocked"
    assert "token lifetime ends the new token within the window" in _steps(short)["forever"][1]
    ws.client.recipients.create("capped", authentication_type=S.AuthenticationType.TOKEN,
                                expiration_time=int(time.time() * 1000) + 3 * DAY_MS)
    capped = _steps(plan_rotation(ws, expiring_within="30d", grace="1d"))["capped"]
    assert capped[0] == "blocked" and "recipient's own expiration" in capped[1]


@pytest.mark.parametrize("bad", [{}, {"grace": "soon", "names": ["x"]}, {"expiring_within": "-3d"}])
def test_bad_campaigns_are_refused_before_anything_runs(ws: Workspace, bad: dict[str, Any]) -> None:
    names = bad.pop("names", ())
    with pytest.raises(ValueError):
        plan_rotation(ws, names, **bad)
    with pytest.raises(ValueError, match="unknown recipient"):
        plan_rotation(ws, ["nobody"])
    with pytest.raises(TypeError, match="notifier"):
        plan_rotation(ws, never_expires=True).apply(None)  # type: ignore[arg-type]
    assert duration_s("7d", "grace") == 7 * 86_400 and duration_s(0, "grace") == 0 == duration_s("0", "grace")
