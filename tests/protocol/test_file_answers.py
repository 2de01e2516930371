"""The files route answers HEADs, small single ranges and small files in one piece from the request thread
(no FileResponse thread hops), with the same headers FileResponse sends; everything else (several ranges,
If-Range, unsatisfiable ranges, large files) still goes through FileResponse. Checked byte for byte."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.server.security import signing
from sharekit.server.sharing.routes import files
from tests.protocol.conftest import Provider
from tests.protocol.test_files import Clock, InProcess, file_urls, local_app

__all__ = ["local_app"]  # the in-process server fixture, shared with test_files


def audit_events(state: Any) -> list[dict[str, Any]]:
    """The events in the in-process server's write-ahead files (flushed)."""
    from sharekit.server.audit import store

    return [json.loads(line) for wal in store.live_files(state.audit.directory).wals
            for line in Path(wal).read_text().splitlines() if line]


@pytest.fixture
def signed(provider: Provider) -> tuple[str, bytes]:
    shared = provider.setup({"name": "main.sales.orders"})
    url = str(file_urls(shared)[0]["url"])
    return url, requests.get(url, timeout=10).content


def test_head_carries_fileresponse_headers(signed: tuple[str, bytes], provider: Provider) -> None:
    url, whole = signed
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(whole)
    assert head.headers["Accept-Ranges"] == "bytes" and head.headers["Content-Type"] == "application/octet-stream"
    assert head.headers["Cache-Control"].startswith("private, max-age=") and head.headers["Last-Modified"]
    assert head.headers["ETag"].startswith('"') and len(head.headers["ETag"]) == 34
    ranged = requests.get(url, headers={"Range": "bytes=0-9"}, timeout=10)
    assert ranged.headers["ETag"] == head.headers["ETag"]  # the same validator from both paths
    # If-Range with that validator goes through FileResponse, which must agree on it and honour the range
    again = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": head.headers["ETag"]}, timeout=10)
    assert again.status_code == 206 and again.content == whole[:10]
    stale = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == whole


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes=0-65535", slice(0, 65536)), ("bytes=4-99", slice(4, 100)), ("bytes=-8", slice(-8, None)),
    ("bytes=10-", slice(10, None)), ("bytes=0-999999999", slice(0, None)),
])
def test_single_ranges_byte_for_byte(signed: tuple[str, bytes], header: str, expected: slice) -> None:
    url, whole = signed
    part = requests.get(url, headers={"Range": header}, timeout=10)
    body = whole[expected]
    start = expected.start if expected.start is None or expected.start >= 0 else len(whole) + expected.start
    start = start or 0
    assert part.status_code == 206 and part.content == body
    assert part.headers["Content-Range"] == f"bytes {start}-{start + len(body) - 1}/{len(whole)}"
    assert int(part.headers["Content-Length"]) == len(body)


def test_other_ranges_fall_back_to_fileresponse(signed: tuple[str, bytes]) -> None:
    url, whole = signed
    several = requests.get(url, headers={"Range": "bytes=0-3,10-13"}, timeout=10)
    assert several.status_code == 206 and several.headers["Content-Type"].startswith("multipart/byteranges")
    assert requests.get(url, headers={"Range": f"bytes={len(whole)}-"}, timeout=10).status_code == 416
    assert requests.get(url, headers={"Range": "bytes=5-2"}, timeout=10).status_code in (400, 416)
    assert requests.get(url, headers={"Range": "bits=0-3"}, timeout=10).status_code in (200, 400)


def test_span_arithmetic() -> None:
    assert files._span("bytes=0-15", 100) == (0, 15) and files._span("bytes=90-200", 100) == (90, 99)
    assert files._span("bytes=-10", 100) == (90, 99) and files._span("bytes=-500", 100) == (0, 99)
    assert files._span("bytes=-0", 100) is None and files._span("bytes=-", 100) is None
    assert files._span("bytes=100-", 100) is None and files._span("bytes=5-2", 100) is None
    assert files._span("bytes=3-", 0) is None and files._span("bytes=-4", 0) is None
    assert files._span("bytes=0-1,3-4", 100) is None and files._span("items=0-1", 100) is None


def test_symlinks_out_of_the_table_are_refused(local_app: tuple[InProcess, Clock, str, str], tmp_path: Path) -> None:
    """The path check walks the URL's segments with lstat; a symlink is followed only while it stays inside."""
    client, clock, bearer, home = local_app
    auth = {"Authorization": f"Bearer {bearer}"}
    lines = client.post("/delta-sharing/shares/s/schemas/sales/tables/orders/query", json={}, headers=auth).text
    url = json.loads(lines.splitlines()[2])["file"]["url"].removeprefix("http://testserver")
    key, relative = url.split("/files/t/")[1].split("?")[0].split("/", 1)
    folder = Path(home) / "tables" / "main" / "sales" / "orders"
    secret_file = tmp_path / "outside.txt"
    secret_file.write_text("not shared")
    (folder / "outside.parquet").symlink_to(secret_file)
    (folder / "outside_dir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "inside.parquet").symlink_to(folder / unquote(relative))
    state = client.app.state.sharekit
    now_ms = int(clock.now * 1000)

    def signed(name: str) -> str:
        return signing.sign(state.secret, "http://testserver", "t", key, name, now_ms).url.removeprefix(
            "http://testserver")

    assert client.get(signed("outside.parquet")).status_code == 403
    assert client.get(signed("outside_dir/outside.txt")).status_code == 403
    assert client.head(signed("outside.parquet")).status_code == 403
    inside = client.get(signed("inside.parquet"), headers={"Range": "bytes=0-3"})
    assert inside.status_code == 206 and inside.content == b"PAR1"
    assert client.get(signed("no_such.parquet")).status_code == 404


def test_inline_answers_match_the_route(signed: tuple[str, bytes]) -> None:
    """HEADs and small ranges answered on the event loop (``files.inline_answer``) say what the route says: the
    same request with ``If-Range`` (which only the route handles) is the reference."""
    url, whole = signed
    quick = requests.get(url, headers={"Range": "bytes=0-65535"}, timeout=10)
    head = requests.head(url, timeout=10)
    routed = requests.get(url, headers={"Range": "bytes=0-65535", "If-Range": head.headers["ETag"]}, timeout=10)
    assert quick.status_code == routed.status_code == 206 and quick.content == routed.content == whole[:65536]
    for name in ("Content-Range", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges"):
        assert quick.headers[name] == routed.headers[name], name
    assert quick.headers["Content-Type"] == "application/octet-stream" and quick.headers["x-request-id"]
    assert files.inline_answer is not None and 65536 <= files.INLINE_BYTES


def test_the_fast_path_checks_every_url(local_app: tuple[InProcess, Clock, str, str]) -> None:
    """Bad signatures, expired URLs and other areas never get an inline answer: the route refuses and audits."""
    client, clock, bearer, _ = local_app
    auth = {"Authorization": f"Bearer {bearer}"}
    lines = client.post("/delta-sharing/shares/s/schemas/sales/tables/orders/query", json={}, headers=auth).text
    url = json.loads(lines.splitlines()[2])["file"]["url"].removeprefix("http://testserver")
    assert client.head(url).status_code == 200
    assert client.get(url, headers={"Range": "bytes=0-3"}).content == b"PAR1"
    forged = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert client.head(forged).status_code == 403
    assert client.get(forged, headers={"Range": "bytes=0-3"}).status_code == 403
    assert client.head(url.replace("/files/t/", "/files/x/")).status_code in (403, 404)
    clock.now += 7200
    assert client.get(url, headers={"Range": "bytes=0-3"}).status_code == 403
    state = client.app.state.sharekit
    state.audit.flush()
    refused = [e for e in audit_events(state) if e["action_name"] == "deltaSharingGetFile"]
    assert len(refused) >= 3 and all(e["response"]["status_code"] == 403 for e in refused)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aX=&%+;2e-_.Zs", max_size=40))
def test_the_quick_query_parse_is_parse_qs(text: str) -> None:
    """The signature's query parse (``files._query``) reads every query as ``parse_qs`` does."""
    assert files._query(text) == parse_qs(text)


def test_stat_headers_follow_the_file_version(tmp_path: Path) -> None:
    """The encoded stat headers are kept per (mtime, size): a rewritten file gets its own ETag and date."""
    target = tmp_path / "f.parquet"
    target.write_bytes(b"PAR1")
    first = files._encoded_stat_headers(os.stat(target))
    assert first is files._encoded_stat_headers(os.stat(target))
    assert dict(first) == {k.encode(): v.encode() for k, v in
                           {**files._stat_headers(os.stat(target)), "content-type": files.MEDIA_TYPE}.items()}
    target.write_bytes(b"PAR1PAR1")
    os.utime(target, (1_700_000_000, 1_700_000_000))
    second = dict(files._encoded_stat_headers(os.stat(target)))
    assert second[b"etag"] != dict(first)[b"etag"] and second[b"last-modified"] != dict(first)[b"last-modified"]
