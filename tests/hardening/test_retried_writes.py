"""Retried writes converge (issue 16). A proxy between databricks-sdk and the server drops the first answer of
chosen calls after the server committed them (the SDK retries a dropped connection, see databricks-sdk
``_BaseClient._is_retryable``); the retry gets the first attempt's answer instead of "already exists", so one
apply completes. With a kill -9 after the commit, the restarted server still recognises the retry. A request with
different content, or an identical one after the client read the first answer, still conflicts.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.errors import ResourceConflict
from databricks.sdk.service import sharing as S

from sharekit.config.apply import apply
from sharekit.config.loader import loads
from sharekit.connect import local_client
from tests.hardening.conftest import ServerProcess, audit_events, unique

UC = "/api/2.1/unity-catalog"


class DroppingProxy:
    """HTTP/1.1 proxy (one upstream connection per client connection) that, for the first request matching each
    chosen ``(method, path)``, reads the server's whole answer and then closes the client's connection unanswered.
    ``on_drop`` runs after the answer was read, before the client sees its connection close."""

    def __init__(self, upstream_port: int, drop: set[tuple[str, str]],
                 on_drop: Callable[[], None] | None = None) -> None:
        self.upstream_port, self.drop, self.on_drop = upstream_port, set(drop), on_drop
        self.dropped: list[tuple[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            while True:
                request = _read_message(client)
                if request is None:
                    return
                method, path = request.split(b" ", 2)[:2]
                call = (method.decode(), path.decode().split("?")[0])
                upstream = upstream or socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
                upstream.sendall(request)
                answer = _read_message(upstream)
                if answer is None:
                    return
                with self._lock:
                    dropping = call in self.drop
                    self.drop.discard(call)
                if dropping:
                    self.dropped.append(call)
                    if self.on_drop is not None:
                        self.on_drop()
                    return  # the committed answer is lost with the connection
                client.sendall(answer)
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()


def _read_message(sock: socket.socket) -> bytes | None:
    """One HTTP message with a Content-Length body (what the SDK sends and the API answers), or None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def proxied(server: ServerProcess) -> Iterator[Callable[..., tuple[DroppingProxy, Any]]]:
    proxies: list[DroppingProxy] = []

    def make(drop: set[tuple[str, str]], on_drop: Callable[[], None] | None = None) -> tuple[DroppingProxy, Any]:
        proxy = DroppingProxy(server.port, drop, on_drop)
        proxies.append(proxy)
        return proxy, local_client(proxy.url, server.admin_token)

    yield make
    for proxy in proxies:
        proxy.close()


def recognised_retries(home: Path) -> list[str]:
    return [e["action_name"] for e in audit_events(home) if (e["request_params"] or {}).get("retried") == "true"]


def test_one_apply_completes_when_answers_are_lost(server: ServerProcess, proxied: Any) -> None:
    share, recipient = unique("lost"), unique("lost_reader")
    proxy, client = proxied({("POST", f"{UC}/shares"), ("PATCH", f"{UC}/shares/{share}"),
                             ("POST", f"{UC}/recipients")})
    document = loads(f"""
shares:
  - name: {share}
    comment: answers get lost
    tables: [main.sales.orders, main.inventory.stock_levels]
recipients:
  - name: {recipient}
    authentication_type: TOKEN
grants:
  - {{share: {share}, recipient: {recipient}}}
""")
    result = apply(client, document, pii=False)
    assert result.ok, result.summary()
    assert len(proxy.dropped) == 3
    assert sorted(recognised_retries(server.home)) == ["createRecipient", "createShare", "updateShare"]
    direct = server.client()
    assert direct.shares.get(share).comment == "answers get lost"
    assert sorted(o.name for o in direct.shares.get(share, include_shared_data=True).objects or []) == [
        "main.inventory.stock_levels", "main.sales.orders"]
    assert result.activation_links[recipient] == direct.recipients.get(recipient).tokens[0].activation_url
    again = apply(client, document, pii=False)
    assert again.ok and again.writes == 0
    # different content is a different request: it still conflicts
    with pytest.raises(ResourceConflict):
        client.shares.create(share, comment="another comment")
    with pytest.raises(ResourceConflict):
        client.recipients.create(recipient, S.AuthenticationType.TOKEN, comment="someone else")
    with pytest.raises(ResourceConflict):
        client.shares.update(share, updates=[S.SharedDataObjectUpdate(
            action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(
                name="main.sales.orders", data_object_type=S.SharedDataObjectDataObjectType.TABLE,
                comment="added again, differently"))])


@pytest.mark.crash
def test_a_retry_after_kill_9_gets_the_committed_answer(server: ServerProcess, proxied: Any) -> None:
    share = unique("killed")

    def crash_after_commit() -> None:
        server.kill9()
        server.start()

    proxy, client = proxied({("POST", f"{UC}/shares"), ("POST", f"{UC}/recipients")}, crash_after_commit)
    created = client.shares.create(share, comment="committed, then killed")
    assert created.name == share and created.comment == "committed, then killed"
    # the client read the replayed answer: the identical request is now a new one, and conflicts
    with pytest.raises(ResourceConflict):
        client.shares.create(share, comment="committed, then killed")
    reader = client.recipients.create(unique("killed_reader"), S.AuthenticationType.TOKEN)
    assert reader.tokens and reader.tokens[0].activation_url
    assert reader.tokens[0].activation_url == server.client().recipients.get(reader.name).tokens[0].activation_url
    activation = reader.tokens[0].activation_url.rsplit("?", 1)[-1].encode()
    stored = b"".join(p.read_bytes() for p in server.home.glob("catalog.db*"))
    assert activation not in stored  # the answer kept for the retry holds no activation link
    assert server.starts == 3 and len(proxy.dropped) == 2
    assert sorted(recognised_retries(server.home)) == ["createRecipient", "createShare"]
    assert server.client().shares.get(share).comment == "committed, then killed"


def test_identical_create_after_the_answer_was_read_conflicts(server: ServerProcess) -> None:
    client = server.client()
    share = unique("twice")
    client.shares.create(share)
    with pytest.raises(ResourceConflict):
        client.shares.create(share)


def test_a_pruning_apply_completes_when_delete_answers_are_lost(server: ServerProcess, proxied: Any) -> None:
    direct = server.client()
    keep, gone, gone_reader = unique("keep"), unique("gone"), unique("gone_reader")
    direct.shares.create(keep)
    direct.shares.create(gone)
    direct.recipients.create(gone_reader, S.AuthenticationType.TOKEN)
    proxy, client = proxied({("DELETE", f"{UC}/shares/{gone}"), ("DELETE", f"{UC}/recipients/{gone_reader}")})
    result = apply(client, loads(f"shares:\n  - name: {keep}\n"), prune=True, pii=False)
    assert result.ok, result.summary()
    assert sorted(proxy.dropped) == [("DELETE", f"{UC}/recipients/{gone_reader}"), ("DELETE", f"{UC}/shares/{gone}")]
    assert sorted(recognised_retries(server.home)) == ["deleteRecipient", "deleteShare"]
    assert [s.name for s in direct.shares.list_shares()] == [keep]
    assert [r.name for r in direct.recipients.list()] == []
