"""Query pagination and refresh tokens (issue 16), by direct protocol calls: the Python client 1.4.2 sends neither
(``maxFiles``/``pageToken``/``includeRefreshToken`` are the Spark connector's and the reference server's, see the
delta-sharing proto ``QueryTableRequest``), and it must never get an EndStreamAction it did not ask for.

Every page of one query reads the version the first page resolved; the pages together are the unpaged answer, each
file once; a token that was tampered with, or is used for another query, table or recipient, is a 400.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from typing import Any

import delta_sharing
import pyarrow as pa
import pytest
import requests
from deltalake import DeltaTable, write_deltalake

from tests.protocol.conftest import Provider, Shared

ORDERS = "main.sales.orders"
STOCK = "main.inventory.stock_levels"
DELTA_CAPS = {"delta-sharing-capabilities": "responseformat=delta"}


class Recipient:
    """Direct protocol calls with the profile's bearer token."""

    def __init__(self, shared: Shared) -> None:
        profile = json.loads(shared.profile.read_text())
        self.endpoint = profile["endpoint"].rstrip("/")
        self.headers = {"Authorization": f"Bearer {profile['bearerToken']}"}
        self.share = shared.share

    def table_url(self, schema_table: str) -> str:
        schema, table = schema_table.split(".")
        return f"{self.endpoint}/shares/{self.share}/schemas/{schema}/tables/{table}"

    def query(self, schema_table: str, body: dict[str, Any], headers: dict[str, str] | None = None,
              expect: int = 200) -> requests.Response:
        answer = requests.post(self.table_url(schema_table) + "/query", json=body,
                               headers={**self.headers, **(headers or {})}, timeout=30)
        assert answer.status_code == expect, answer.text
        return answer

    def changes(self, schema_table: str, params: dict[str, Any], headers: dict[str, str] | None = None,
                expect: int = 200) -> requests.Response:
        answer = requests.get(self.table_url(schema_table) + "/changes", params=params,
                              headers={**self.headers, **(headers or {})}, timeout=30)
        assert answer.status_code == expect, answer.text
        return answer


def lines(answer: requests.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in answer.text.splitlines() if line.strip()]


def file_actions(answer: requests.Response) -> list[dict[str, Any]]:
    """The file actions of an answer, whatever their wrapper (``file``, ``add``, ``remove``, ``cdf``)."""
    return [line[key] for line in lines(answer) for key in ("file", "add", "remove", "cdf") if key in line]


def ids(answer: requests.Response) -> list[str]:
    return [action["id"] for action in file_actions(answer)]


def end_stream(answer: requests.Response) -> dict[str, Any] | None:
    last = lines(answer)[-1]
    return last.get("endStreamAction")


def all_pages(fetch: Any, first: dict[str, Any]) -> list[requests.Response]:
    pages = [fetch(first)]
    while (end_stream(pages[-1]) or {}).get("nextPageToken"):
        assert len(pages) < 50
        pages.append(fetch({**first, "pageToken": end_stream(pages[-1])["nextPageToken"]}))
    return pages


def test_query_pages_are_the_unpaged_answer_and_pin_the_version(provider: Provider) -> None:
    name = provider.copy_table("sales.orders")
    schema_table = name.split(".", 1)[1]
    shared = provider.setup({"name": name})
    who = Recipient(shared)
    whole = who.query(schema_table, {})
    assert end_stream(whole) is None  # nothing the client did not ask for
    assert len(ids(whole)) == 4

    first = who.query(schema_table, {"maxFiles": 1})
    assert len(ids(first)) == 1 and [next(iter(x)) for x in lines(first)[:2]] == ["protocol", "metaData"]
    token = end_stream(first)["nextPageToken"]
    assert end_stream(first)["minUrlExpirationTimestamp"] == file_actions(first)[0]["expirationTimestamp"]
    # the table moves on between pages: the pages still read version 0
    write_deltalake(provider.table_path(name), pa.table(who_rows(provider, name)), mode="append")
    rest = all_pages(lambda body: who.query(schema_table, body), {"maxFiles": 2, "pageToken": token})
    pages = [first, *rest]
    assert [len(ids(p)) for p in pages] == [1, 2, 1]
    assert all(p.headers["Delta-Table-Version"] == "0" for p in pages)
    assert sorted(i for p in pages for i in ids(p)) == sorted(ids(whole))
    assert "nextPageToken" not in end_stream(pages[-1])
    assert who.query(schema_table, {}).headers["Delta-Table-Version"] == "1"

    # the unmodified client is unaffected (it would fail on an EndStreamAction line)
    assert len(delta_sharing.load_as_pandas(shared.url(schema_table))) == 2000 + len(who_rows(provider, name)["order_id"])


def who_rows(provider: Provider, name: str) -> dict[str, Any]:
    """Ten rows in the table's own schema (the last file's first ten rows, appended again)."""
    return DeltaTable(provider.table_path(name), version=0).to_pyarrow_table().slice(0, 10).to_pydict()


def _tamper(token: str) -> str:
    payload, _, mac = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["v"] += 1  # another version (or any other claim)
    forged = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{forged}.{mac}"


def test_tampered_and_misused_tokens_are_refused(provider: Provider) -> None:
    shared = provider.setup({"name": ORDERS}, {"name": STOCK, "history": True, "cdf": True})
    who = Recipient(shared)
    token = end_stream(who.query("sales.orders", {"maxFiles": 1}))["nextPageToken"]
    for bad in (_tamper(token), token[:-2] + ("00" if not token.endswith("00") else "11"), "garbage", "a.b"):
        refused = who.query("sales.orders", {"maxFiles": 1, "pageToken": bad}, expect=400)
        assert refused.json()["errorCode"] == "INVALID_PARAMETER_VALUE"
    # another query: different parameters, another table, the change feed, another recipient
    assert "parameters differ" in who.query("sales.orders", {"limitHint": 5, "pageToken": token},
                                            expect=400).json()["message"]
    who.query("inventory.stock_levels", {"pageToken": token}, expect=400)
    who.changes("inventory.stock_levels", {"startingVersion": 0, "pageToken": token}, expect=400)
    other = Recipient(Shared(shared.share, *_second_recipient(provider, shared.share)))
    other.query("sales.orders", {"maxFiles": 1, "pageToken": token}, expect=400)
    who.query("sales.orders", {"maxFiles": 0}, expect=400)
    who.query("sales.orders", {"refreshToken": token}, expect=400)  # a page token is no refresh token
    # the genuine token still works
    assert len(ids(who.query("sales.orders", {"maxFiles": 1, "pageToken": token}))) == 1


def _second_recipient(provider: Provider, share: str) -> tuple[str, Any]:
    name = provider.recipient()
    provider.grant(share, name)
    return name, provider.profile(name)


@pytest.mark.parametrize("caps", [{}, DELTA_CAPS], ids=["parquet", "delta"])
def test_change_feed_and_starting_version_pages(provider: Provider, caps: dict[str, str]) -> None:
    shared = provider.setup({"name": STOCK, "history": True, "cdf": True})
    who = Recipient(shared)
    params = {"startingVersion": 0, "endingVersion": 3}
    whole = who.changes("inventory.stock_levels", params, caps)
    assert end_stream(whole) is None and len(ids(whole)) >= 3
    pages = all_pages(lambda p: who.changes("inventory.stock_levels", p, caps), {**params, "maxFiles": 1})
    assert len(pages) == len(ids(whole))
    assert sorted(i for p in pages for i in ids(p)) == sorted(ids(whole))
    assert {p.headers["Delta-Table-Version"] for p in pages} == {"0"}

    body = {"startingVersion": 1}
    versions = who.query("inventory.stock_levels", body, caps)
    assert end_stream(versions) is None
    paged = all_pages(lambda b: who.query("inventory.stock_levels", b, caps), {**body, "maxFiles": 1})
    assert sorted(i for p in paged for i in ids(p)) == sorted(ids(versions)) and len(paged) == len(ids(versions))
    for answer in (whole, versions, *pages, *paged):
        assert all(isinstance(a["expirationTimestamp"], int) for a in file_actions(answer))


def test_refresh_token_re_signs_the_same_snapshot(provider: Provider) -> None:
    name = provider.copy_table("sales.orders")
    schema_table = name.split(".", 1)[1]
    shared = provider.setup({"name": name})
    who = Recipient(shared)
    body = {"jsonPredicateHints": json.dumps({"op": "equal", "children": [
        {"op": "column", "name": "region", "valueType": "string"},
        {"op": "literal", "value": "EU", "valueType": "string"}]})}
    first = who.query(schema_table, {**body, "includeRefreshToken": True})
    refresh = end_stream(first)["refreshToken"]
    assert "nextPageToken" not in end_stream(first)
    write_deltalake(provider.table_path(name), pa.table(who_rows(provider, name)), mode="append")
    time.sleep(1.1)  # signed URLs carry their expiry in seconds
    again = who.query(schema_table, {**body, "refreshToken": refresh, "includeRefreshToken": True})
    assert again.headers["Delta-Table-Version"] == "0"
    assert ids(again) == ids(first)
    old, new = file_actions(first), file_actions(again)
    assert all(b["expirationTimestamp"] > a["expirationTimestamp"] and b["url"] != a["url"] for a, b in zip(old, new))
    assert all(requests.get(action["url"], timeout=10).status_code == 200 for action in new)
    assert end_stream(again)["refreshToken"]
    # bound to its query and its table; paging a refreshed query stays on the refreshed version
    who.query(schema_table, {"refreshToken": refresh}, expect=400)
    who.query(schema_table, {**body, "refreshToken": _tamper(refresh)}, expect=400)
    who.query(schema_table, {**body, "version": 0, "refreshToken": refresh}, expect=400)
    paged = who.query(schema_table, {**body, "refreshToken": refresh, "maxFiles": 1})
    assert paged.headers["Delta-Table-Version"] == "0" and len(ids(paged)) == 1
    assert who.query(schema_table, body).headers["Delta-Table-Version"] == "1"


@pytest.mark.parametrize("caps", [{}, DELTA_CAPS], ids=["parquet", "delta"])
def test_every_file_action_carries_its_expiry(provider: Provider, caps: dict[str, str]) -> None:
    shared = provider.setup({"name": ORDERS, "history": True}, {"name": STOCK, "history": True, "cdf": True})
    who = Recipient(shared)
    answers = [who.query("sales.orders", {}, caps), who.query("sales.orders", {"version": 0}, caps),
               who.query("inventory.stock_levels", {"startingVersion": 0}, caps),
               who.changes("inventory.stock_levels", {"startingVersion": 0}, caps)]
    now_ms = time.time() * 1000
    for answer in answers:
        actions = file_actions(answer) if not caps else [line["file"] for line in lines(answer) if "file" in line]
        assert actions
        assert all(now_ms < a["expirationTimestamp"] <= now_ms + 3601_000 for a in actions), actions[0]


@pytest.mark.parametrize("files", [12, pytest.param(150, marks=pytest.mark.load)], ids=["short", "long"])
def test_pages_stay_on_their_version_while_commits_land(provider: Provider, files: int) -> None:
    """A table of many files, paged a few files at a time while another writer keeps appending: every page
    answers the first page's version, and the pages together are that version's files, each once."""
    name = f"main.sales.{unique_name()}"
    path = provider.table_path(name)
    for index in range(files):
        write_deltalake(path, pa.table({"n": pa.array([index], pa.int64())}), mode="append")
    shared = provider.setup({"name": name, "history": True})
    who = Recipient(shared)
    schema_table = name.split(".", 1)[1]
    stop = threading.Event()

    def keep_appending() -> None:
        while not stop.is_set():
            write_deltalake(path, pa.table({"n": pa.array([-1], pa.int64())}), mode="append")

    first = who.query(schema_table, {"maxFiles": 5})
    version = int(first.headers["Delta-Table-Version"])
    assert version == files - 1
    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while DeltaTable(path).version() == version and time.monotonic() < deadline:  # a commit lands first
            time.sleep(0.01)
        token = end_stream(first)["nextPageToken"]
        pages = [first, *all_pages(lambda body: who.query(schema_table, body), {"maxFiles": 5, "pageToken": token})]
    finally:
        stop.set()
        writer.join(timeout=60)
    assert {p.headers["Delta-Table-Version"] for p in pages} == {str(version)}
    paged = [i for p in pages for i in ids(p)]
    assert len(paged) == len(set(paged)) == version + 1  # one file per commit, each once
    assert sorted(paged) == sorted(ids(who.query(schema_table, {"version": version})))
    assert int(who.query(schema_table, {}).headers["Delta-Table-Version"]) > version  # the table did move on


def unique_name() -> str:
    return f"paged_{uuid.uuid4().hex[:8]}"
