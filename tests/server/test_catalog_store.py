"""The catalog store on its own: persistence, atomicity, tokens, activation, concurrency."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.metastore.changes import GrantChange, ObjectChange
from sharekit.server.metastore.records import SharedObject
from sharekit.server.metastore.schema import MIGRATIONS
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.security.tokens import activation_token, hash_token
from tests.server.conftest import Clock

SECRET = b"s" * 32


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> MetastoreStore:
    return MetastoreStore(tmp_path / "catalog.db", clock=clock, secret=SECRET)


def add(name: str, **kw: object) -> ObjectChange:
    return ObjectChange("ADD", SharedObject(name=name, **kw))  # type: ignore[arg-type]


def test_sqlite_settings_and_schema_version(store: MetastoreStore, tmp_path: Path) -> None:
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    MetastoreStore(tmp_path / "catalog.db", secret=SECRET).close()  # reopening does not re-run migrations
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_state_survives_reopen_and_change_seq_grows(store: MetastoreStore, tmp_path: Path) -> None:
    seq0 = store.change_seq()
    store.create_share("s", user="u", comment="c")
    store.update_share("s", user="u", updates=[add("main.sales.orders", shared_as="sales.o")])
    store.create_recipient("r", user="u", properties={"region": "EU"}, ip_access_list=["10.0.0.0/8"])
    store.update_share_grants("s", [GrantChange("r", ("SELECT",))])
    assert store.change_seq() == seq0 + 4
    store.close()
    again = MetastoreStore(tmp_path / "catalog.db", secret=SECRET)
    share = again.get_share("s")
    assert share.comment == "c" and share.objects[0].shared_as == "sales.o"
    recipient = again.get_recipient("r")
    assert recipient.properties == {"region": "EU"} and recipient.ip_access_list == ("10.0.0.0/8",)
    assert again.shares_for_recipient("r") == ["s"]
    assert again.change_seq() == seq0 + 4


def test_failed_update_changes_nothing(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    seq = store.change_seq()
    with pytest.raises(Conflict) as err:
        store.update_share("s", user="u", changes={"comment": "new"},
                           updates=[add("main.a.t1"), add("main.a.t2"), add("main.a.t1")])
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS" and "Shared Table 'main.a.t1' already exists" in err.value.message
    share = store.get_share("s")
    assert share.objects == () and share.comment is None and store.change_seq() == seq


def test_alias_must_be_unique_in_share(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    store.update_share("s", user="u", updates=[add("main.a.t")])
    with pytest.raises(Conflict):
        store.update_share("s", user="u", updates=[add("other.a.t")])  # same automatic alias a.t
    with pytest.raises(Conflict):
        store.update_share("s", user="u", updates=[add("main.b.x", shared_as="a.t")])
    store.update_share("s", user="u", updates=[add("other.a.t", shared_as="a.t2")])
    assert [o.recipient_name for o in store.get_share("s").objects] == ["a.t", "a.t2"]


def test_update_keeps_fields_not_sent_and_remove_then_add(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    store.update_share("s", user="u", updates=[add("main.a.t", comment="first", history_data_sharing_status="ENABLED")])
    change = ObjectChange("UPDATE", SharedObject(name="main.a.t", comment="second"), frozenset({"comment"}))
    obj = store.update_share("s", user="u", updates=[change]).objects[0]
    assert obj.comment == "second" and obj.history_shared
    with pytest.raises(NotFound):
        store.update_share("s", user="u", updates=[ObjectChange("REMOVE", SharedObject(name="main.a.zzz"))])
    again = store.update_share("s", user="u", updates=[ObjectChange("REMOVE", SharedObject(name="main.a.t")),
                                                       add("main.a.t")])
    assert again.objects[0].comment is None


def test_rename_keeps_grants(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    store.create_recipient("r", user="u")
    store.update_share_grants("s", [GrantChange("r", ("SELECT",))])
    store.update_share("s", user="u", changes={"new_name": "s2"})
    store.update_recipient("r", user="u", changes={"new_name": "r2"})
    assert store.shares_for_recipient("r2") == ["s2"]
    with pytest.raises(NotFound) as err:
        store.get_share("s")
    assert err.value.error_code == "SHARE_DOES_NOT_EXIST"


def test_grants_need_a_known_recipient_and_cascade_on_delete(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    with pytest.raises(NotFound) as err:
        store.update_share_grants("s", [GrantChange("ghost", ("SELECT",))])
    assert err.value.error_code == "RECIPIENT_DOES_NOT_EXIST"
    store.create_recipient("r", user="u")
    store.update_share_grants("s", [GrantChange("r", ("SELECT",))])
    store.delete_recipient("r")
    store.create_recipient("r", user="u")
    assert store.shares_for_recipient("r") == [] and store.share_grants("s") == []


def test_activation_is_single_use_and_only_the_hash_is_stored(store: MetastoreStore, clock: Clock) -> None:
    recipient = store.create_recipient("r", user="u")
    link = recipient.tokens[0].activation_token
    assert link == activation_token(SECRET, recipient.tokens[0].id)
    assert store.activation_info(link).name == "r"
    got, bearer, expiry = store.retrieve_activation(link, store.now_ms())
    assert got.activated and expiry is None and got.tokens[0].activation_token is None
    with pytest.raises(NotFound):
        store.retrieve_activation(link, store.now_ms())
    with pytest.raises(NotFound):
        store.activation_info(link)
    rows = sqlite3.connect(store.path).execute("SELECT token_hash FROM recipient_tokens").fetchall()
    assert rows == [(hash_token(bearer),)]
    raw = store.path.read_bytes() + Path(str(store.path) + "-wal").read_bytes()
    assert bearer.encode() not in raw and link.encode() not in raw
    found = store.recipient_for_token(bearer, store.now_ms())
    assert found is not None and found[0].name == "r"
    assert store.recipient_for_token("not-a-token", store.now_ms()) is None


def test_expired_tokens_are_refused(store: MetastoreStore, clock: Clock) -> None:
    expires = store.now_ms() + 60_000
    recipient = store.create_recipient("r", user="u", expiration_time=expires)
    _, bearer, expiry = store.retrieve_activation(recipient.tokens[0].activation_token or "", store.now_ms())
    assert expiry == expires
    assert store.recipient_for_token(bearer, expires - 1) is not None
    assert store.recipient_for_token(bearer, expires) is None
    clock.now += 120
    assert store.get_recipient("r").tokens == ()


def test_rotation_shortens_never_lengthens_and_caps_live_tokens(store: MetastoreStore, clock: Clock) -> None:
    store.create_recipient("r", user="u", expiration_time=store.now_ms() + 10_000)
    rotated = store.rotate_recipient_token("r", existing_token_expire_in_seconds=3600, user="u")
    old, new = rotated.tokens
    assert old.expiration_time == store.now_ms() + 10_000, "rotation never lengthens a token's life"
    with pytest.raises(BadRequest, match="There are already two active tokens for recipient r"):
        store.rotate_recipient_token("r", existing_token_expire_in_seconds=5, user="u")
    assert len(store.get_recipient("r").tokens) == 2, "the refused rotation changed nothing"
    after = store.rotate_recipient_token("r", existing_token_expire_in_seconds=0, user="u")
    assert len(after.tokens) == 1 and after.tokens[0].id not in (old.id, new.id)
    with pytest.raises(BadRequest):
        store.rotate_recipient_token("r", existing_token_expire_in_seconds=-1, user="u")


def test_rotation_with_zero_expires_a_used_token_at_once(store: MetastoreStore) -> None:
    recipient = store.create_recipient("r", user="u")
    _, bearer, _ = store.retrieve_activation(recipient.tokens[0].activation_token or "", store.now_ms())
    store.rotate_recipient_token("r", existing_token_expire_in_seconds=0, user="u")
    assert store.recipient_for_token(bearer, store.now_ms()) is None


def test_pagination_walks_every_share_once(store: MetastoreStore) -> None:
    for i in range(7):
        store.create_share(f"s{i}", user="u")
    seen, token = [], None
    while True:
        page = store.list_shares(max_results=3, page_token=token)
        seen += [s.name for s in page.items]
        token = page.next_page_token
        if token is None:
            break
    assert seen == [f"s{i}" for i in range(7)]
    with pytest.raises(BadRequest):
        store.list_shares(page_token="garbage!")
    with pytest.raises(BadRequest):
        store.list_shares(max_results=-1)


def test_threads_writing_at_once_lose_nothing(store: MetastoreStore) -> None:
    store.create_share("s", user="u")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                store.create_recipient(f"r{n}_{i}", user="u")
                store.update_share("s", user="u", updates=[add(f"main.w{n}.t{i}")])
        except BaseException as err:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.list_recipients(max_results=1000).items) == 60
    assert len(store.get_share("s").objects) == 60
