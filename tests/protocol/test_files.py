"""Signed file URLs: HEAD, Range, tampering, expiry, path escapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from sharekit.server import settings
from sharekit.server.app import create_app
from sharekit.server.metastore.changes import GrantChange, ObjectChange
from sharekit.server.metastore.records import SharedObject
from sharekit.server.security import signing
from sharekit.server.state import build_state
from tests.protocol.conftest import Provider, Shared


def file_urls(shared: Shared, table: str = "sales/tables/orders") -> list[dict[str, object]]:
    profile = json.loads(shared.profile.read_text())
    response = requests.post(f"{profile['endpoint']}shares/{shared.share}/schemas/{table}/query", json={}, timeout=10,
                             headers={"Authorization": f"Bearer {profile['bearerToken']}"})
    return [json.loads(line)["file"] for line in response.text.splitlines()[2:]]


def test_head_range_and_get(provider: Provider) -> None:
    shared = provider.setup({"name": "main.sales.orders"})
    f = file_urls(shared)[0]
    url, size = str(f["url"]), int(str(f["size"]))
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == size
    assert "Content-Encoding" not in head.headers and head.headers["Accept-Ranges"] == "bytes"
    whole = requests.get(url, timeout=10).content
    assert len(whole) == size and whole[:4] == b"PAR1" and whole[-4:] == b"PAR1"
    part = requests.get(url, headers={"Range": "bytes=4-99"}, timeout=10)
    assert part.status_code == 206 and part.headers["Content-Range"] == f"bytes 4-99/{size}"
    assert part.content == whole[4:100]
    tail = requests.get(url, headers={"Range": "bytes=-8"}, timeout=10)
    assert tail.status_code == 206 and tail.content == whole[-8:]
    assert requests.get(url, headers={"Range": f"bytes={size + 10}-"}, timeout=10).status_code == 416


def test_tampered_urls_are_refused_and_audited(provider: Provider) -> None:
    shared = provider.setup({"name": "main.sales.orders"})
    files = file_urls(shared)
    url = str(files[0]["url"])
    base, query = url.split("?")
    signature = query.split("X-Amz-Signature=")[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    other_base = str(files[1]["url"]).split("?")[0]
    expires = query.split("&")[0].split("=")[1]
    attempts = {
        "bad signature": url.replace(signature, flipped),
        "other file, same signature": f"{other_base}?{query}",
        "later expiry": url.replace(f"X-Amz-Expires={expires}", f"X-Amz-Expires={int(expires) + 3600}"),
        "no signature": base,
        "escape": base.rsplit("/", 2)[0] + "/..%2F..%2F..%2Fcatalog.db?" + query,
    }
    for what, bad in attempts.items():
        response = requests.get(bad, timeout=10)
        assert response.status_code == 403, what
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    denied = provider.audit("deltaSharingGetFile")
    assert len(denied) >= len(attempts) and {e["response"]["status_code"] for e in denied} == {403}


class InProcess:
    """The real app in-process through httpx's ASGI transport (no socket)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def local_app(home: Path) -> Iterator[tuple[InProcess, Clock, str, str]]:
    """An in-process server with a settable clock; share + recipient arranged directly in the catalog."""
    clock = Clock(1_800_000_000.0)
    state = build_state(home, clock=clock, base_url="http://testserver")
    catalog = state.metastore
    catalog.create_share("s", user="admin")
    catalog.update_share("s", user="admin", updates=[ObjectChange("ADD", SharedObject("main.sales.orders"))])
    catalog.create_recipient("r", user="admin", expiration_time=int((clock.now + 7200) * 1000))
    catalog.update_share_grants("s", [GrantChange("r", add=("SELECT",))])
    token = catalog.get_recipient("r").tokens[0].activation_token
    assert token is not None
    _, bearer, _ = catalog.retrieve_activation(token, state.now_ms())
    try:
        yield InProcess(create_app(state)), clock, bearer, str(home)
    finally:
        state.audit.close()
        catalog.close()


def test_urls_expire_after_an_hour_and_tokens_at_expiration(local_app: tuple[InProcess, Clock, str, str]) -> None:
    client, clock, bearer, _ = local_app
    auth = {"Authorization": f"Bearer {bearer}"}
    lines = client.post("/delta-sharing/shares/s/schemas/sales/tables/orders/query", json={}, headers=auth).text
    first = json.loads(lines.splitlines()[2])["file"]
    assert first["expirationTimestamp"] == int(clock.now * 1000) + settings.SIGNED_URL_TTL_S * 1000
    path = first["url"].removeprefix("http://testserver")
    assert client.head(path).status_code == 200
    clock.now += settings.SIGNED_URL_TTL_S - 1
    assert client.get(path).status_code == 200
    clock.now += 2
    expired = client.get(path)
    assert expired.status_code == 403 and "expired" in expired.json()["message"]
    assert client.get("/delta-sharing/shares", headers=auth).status_code == 200
    clock.now += 7200  # past the recipient's expiration_time
    assert client.get("/delta-sharing/shares", headers=auth).status_code == 401


@examples(max_examples=200, deadline=None)
@given(st.binary(max_size=150), st.text(alphabet="abc/=é %", max_size=30), st.integers(0, 2**41),
       st.sampled_from(["http://h", "http://127.0.0.1:8080/", "http://[::1]:1/x/"]), st.sampled_from(signing.AREAS))
def test_an_answers_signer_signs_as_the_rule_says(secret: bytes, relative: str, now_ms: int, base: str,
                                                  area: str) -> None:
    """The URLs of one answer (``UrlSigner``: its HMAC states and URL head made once) are the URLs of the rule in
    the module's docstring, written here with the standard library: any key length, path and expiry."""
    import hashlib
    import hmac
    from urllib.parse import quote

    path = f"/files/{area}/key/{relative.lstrip('/')}"
    expires = now_ms // 1000 + 60
    digest = hmac.new(secret, f"sharekit-file\n{path}\n{expires}".encode(), hashlib.sha256).hexdigest()
    expected = f"{base.rstrip('/')}{quote(path, safe='/')}?X-Amz-Expires={expires}&X-Amz-Signature={digest}"
    signer = signing.UrlSigner(secret, base, area, "key", now_ms, 60)
    assert signer.url(relative) == signer.url(relative, signing.quote_path(relative.lstrip("/"))) == expected
    assert signer.expires_ms == expires * 1000
    assert signing.sign(secret, base, area, "key", relative, now_ms, 60).url == expected
    assert signing.verify(secret, path, str(expires), digest, now_ms) is None


def test_signature_covers_path_and_expiry() -> None:
    secret = b"k" * 32
    signed = signing.sign(secret, "http://h", "t", "key", "region=EU/part-0.parquet", now_ms=1_000_000)
    path = "/files/t/key/region=EU/part-0.parquet"
    expires = signed.url.split("X-Amz-Expires=")[1].split("&")[0]
    signature = signed.url.split("X-Amz-Signature=")[1]
    assert "region%3DEU" in signed.url  # encoded in the URL, signed decoded
    assert signing.verify(secret, path, expires, signature, now_ms=1_000_000) is None
    assert signing.verify(secret, path + "x", expires, signature, now_ms=1_000_000) == "signature does not match"
    assert signing.verify(b"x" * 32, path, expires, signature, now_ms=1_000_000) == "signature does not match"
    assert signing.verify(secret, path, str(int(expires) + 1), signature, 1_000_000) == "signature does not match"
    assert signing.verify(secret, path, expires, signature, now_ms=int(expires) * 1000) == "URL expired"
    assert signing.verify(secret, path, "abc", signature, 0) == "missing or malformed signature"
    assert signing.table_key(secret, "main.a.b") == signing.table_key(secret, "MAIN.A.B") != signing.table_key(secret, "main.a.c")
