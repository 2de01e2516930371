"""The metastore summary and its token lifetime through the real databricks-sdk: read, set, applied to new and
rotated tokens (existing ones keep their expiry), bad values refused; and the same rule on the store's clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound
from databricks.sdk.service import sharing

from sharekit.connect import Workspace
from sharekit.server.metastore import metastore_policy
from sharekit.server.metastore.store import MetastoreStore
from sharekit.token_policy import MAX_TOKEN_LIFETIME_S
from tests.server.conftest import Clock

DAY_S = 86_400


def test_the_lifetime_is_read_set_and_applied_to_new_and_rotated_tokens(ws: Workspace) -> None:
    w = ws.client
    summary = w.metastores.summary()
    assert summary.delta_sharing_recipient_token_lifetime_in_seconds is None  # unset: tokens never expire
    metastore = w.metastores.current().metastore_id or ""
    assert metastore == summary.metastore_id and w.metastores.get(metastore).name == summary.name
    w.recipients.create("before", sharing.AuthenticationType.TOKEN)

    info = w.metastores.update(metastore, delta_sharing_recipient_token_lifetime_in_seconds=30 * DAY_S)
    assert info.delta_sharing_recipient_token_lifetime_in_seconds == 30 * DAY_S
    assert w.metastores.summary().delta_sharing_recipient_token_lifetime_in_seconds == 30 * DAY_S
    now_ms = time.time() * 1000
    after = w.recipients.create("after", sharing.AuthenticationType.TOKEN)
    assert after.tokens and abs((after.tokens[0].expiration_time or 0) - now_ms - 30 * DAY_S * 1000) < 60_000
    assert (w.recipients.get("before").tokens or [])[0].expiration_time is None  # existing tokens keep theirs

    rotated = w.recipients.rotate_token("before", existing_token_expire_in_seconds=DAY_S)
    old, new = sorted(rotated.tokens or [], key=lambda t: t.created_at or 0)
    assert abs((old.expiration_time or 0) - now_ms - DAY_S * 1000) < 60_000  # the grace, not the lifetime
    assert abs((new.expiration_time or 0) - now_ms - 30 * DAY_S * 1000) < 60_000

    capped = w.recipients.create("capped", sharing.AuthenticationType.TOKEN,
                                 expiration_time=int(now_ms) + 400 * DAY_S * 1000)
    assert capped.tokens and (capped.tokens[0].expiration_time or 0) < now_ms + 31 * DAY_S * 1000

    w.metastores.update(metastore, delta_sharing_recipient_token_lifetime_in_seconds=0)  # clears it
    assert w.metastores.summary().delta_sharing_recipient_token_lifetime_in_seconds is None


def test_bad_updates_are_refused(ws: Workspace) -> None:
    w = ws.client
    metastore = w.metastores.current().metastore_id or ""
    for seconds in (-1, MAX_TOKEN_LIFETIME_S + 1):
        with pytest.raises(InvalidParameterValue, match="one year"):
            w.metastores.update(metastore, delta_sharing_recipient_token_lifetime_in_seconds=seconds)
    with pytest.raises(InvalidParameterValue, match="owner"):
        w.metastores.update(metastore, owner="someone")
    with pytest.raises(NotFound):
        w.metastores.update("00000000-0000-0000-0000-000000000000",
                            delta_sharing_recipient_token_lifetime_in_seconds=DAY_S)
    assert w.metastores.summary().delta_sharing_recipient_token_lifetime_in_seconds is None


def test_the_store_applies_the_lifetime_on_its_clock(tmp_path: Path) -> None:
    clock = Clock()
    store = MetastoreStore(tmp_path / "catalog.db", clock=clock, secret=b"s" * 32)
    metastore_policy.set_token_lifetime(store, 10 * DAY_S, now_ms=store.now_ms())
    created = store.create_recipient("r", user="admin")
    assert created.tokens[0].expiration_time == store.now_ms() + 10 * DAY_S * 1000
    clock.now += 11 * DAY_S
    assert store.get_recipient("r").tokens == ()  # expired under the lifetime
    store.close()
