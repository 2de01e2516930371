"""Secrets: after a full run (management calls, activations, rotations, reads, refused requests, SQL over the
audit log, notebook magics, a graceful stop and a ``kill -9``), no bearer token, admin token or server secret
appears anywhere in the home folder (catalog, logs, audit write-ahead files and Parquet segments), in error
messages or in notebook outputs; the admin token and secret files are readable only by their owner.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from databricks.sdk.errors import DatabricksError

from sharekit import sharing
from sharekit.connect import Workspace
from tests.hardening.conftest import ServerProcess, activate, make_reader, make_share, ndjson

pytestmark = pytest.mark.hostile

OWNER_ONLY = 0o600


def texts_of(path: Path) -> list[bytes]:
    """The bytes of a file plus, for Parquet and SQLite files, their decoded contents (compression hides text)."""
    raw = path.read_bytes()
    found = [raw]
    if raw[:4] == b"PAR1":
        import pyarrow.parquet as pq

        found.append(str(pq.read_table(path).to_pylist()).encode())
    if raw[:16] == b"SQLite format 3\x00":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                found.append(repr(conn.execute(f'SELECT * FROM "{table}"').fetchall()).encode())
        finally:
            conn.close()
    return found


def leaks(home: Path, secrets: dict[str, str]) -> list[str]:
    found = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        if path.name in ("admin.token", "server.secret"):
            continue  # where those two are meant to live
        for blob in texts_of(path):
            for label, value in secrets.items():
                if value.encode() in blob:
                    found.append(f"{label} in {path.relative_to(home)}")
    return sorted(set(found))


def test_no_secret_anywhere_after_a_full_run(server: ServerProcess, tmp_path: Path) -> None:
    home = server.home
    secrets: dict[str, str] = {"admin token": server.admin_token,
                               "server secret": (home / "server.secret").read_text().strip()}
    client = server.client()
    share = make_share(client, "secret_share", "main.sales.orders", "main.inventory.stock_levels",
                       region_partitioned=True)
    readers = [make_reader(client, share, {"region": region}) for region in ("EU", "US")]
    for index, reader in enumerate(readers):
        secrets[f"bearer token {index}"] = reader.token
    messages: list[str] = []

    # recipient traffic, good and bad
    for reader in readers:
        base = f"{reader.endpoint}shares/{share}/schemas/sales/tables/orders"
        answer = requests.post(base + "/query", json={}, headers=reader.headers, timeout=30)
        url = ndjson(answer.text)[2]["file"]["url"]
        assert requests.get(url, timeout=30).status_code == 200
        for bad in (reader.token + "x", reader.token[:-1], "Bearer " + reader.token):
            refused = requests.get(base + "/metadata", headers={"Authorization": f"Bearer {bad}"}, timeout=30)
            assert refused.status_code == 401
            messages.append(refused.text)
        tampered = requests.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=30)
        messages.append(tampered.text)

    # rotation: the first reader's token is expired, a new link is spent, and a new link is left unspent
    client.recipients.rotate_token(readers[0].name, existing_token_expire_in_seconds=0)
    token, _ = activate(client, readers[0].name)
    secrets["rotated bearer token"] = token
    rotated = client.recipients.rotate_token(readers[1].name, existing_token_expire_in_seconds=3600)
    pending = next(t.activation_url for t in rotated.tokens or [] if t.activation_url)
    secrets["unspent activation token"] = pending.rsplit("?", 1)[-1]

    # management errors and SQL over the audit log
    from sharekit.connect import local_client

    for call in (lambda: local_client(server.url, server.admin_token + "x").shares.list_shares().__next__(),
                 lambda: client.recipients.get("no_such_recipient"),
                 lambda: client.recipient_activation.retrieve_token(readers[1].token),
                 lambda: client.recipient_activation.retrieve_token(server.admin_token)):
        with pytest.raises(DatabricksError) as err:
            call()
        messages.append(str(err.value))
    statement = client.statement_execution.execute_statement(
        statement="SELECT action_name, request_params, response FROM system.access.audit", warehouse_id="sharekit-local",
        wait_timeout="30s")
    rows = statement.result.data_array if statement.result else []
    assert rows
    messages.append(repr(rows))

    # notebook outputs: the magics against this server
    outputs = notebook_outputs(Workspace(client, "local", server.url, home=home), readers[1].name, share)

    server.stop()  # graceful: write-ahead files roll into Parquet segments
    server.start()
    requests.get(f"{readers[1].endpoint}shares", headers=readers[1].headers, timeout=30)
    server.kill9()  # and a crash: a write-ahead file is left behind for the next server

    assert leaks(home, secrets) == []
    for label, value in secrets.items():
        assert not any(value in text for text in messages), f"{label} in an error message"
        assert not any(value in text for text in outputs), f"{label} in a notebook output"
    assert any(p.suffix == ".parquet" for p in (home / "audit").rglob("*"))  # the grep covered segments
    assert list((home / "audit").glob("wal-*.jsonl"))  # and write-ahead files
    for name in ("admin.token", "server.secret"):
        assert stat.S_IMODE((home / name).stat().st_mode) == OWNER_ONLY, name


def notebook_outputs(ws: Workspace, recipient: str, share: str) -> list[str]:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    previous = sharing.use_workspace(ws)
    config = Config()
    config.HistoryAccessor.enabled = False
    shell = InteractiveShell(config=config)
    shell.displayhook.flush = lambda: None  # type: ignore[method-assign]
    outputs: list[str] = []
    try:
        shell.run_line_magic("load_ext", "sharekit")
        results: list[Any] = [
            shell.run_cell_magic("share", "", "shares:\n  - name: nb_share\n    tables: [main.sales.orders]\n"
                                              "recipients:\n  - name: nb_reader\n"
                                              "grants:\n  - {share: nb_share, recipient: nb_reader}\n"),
            shell.run_line_magic("recipient", "list"),
            shell.run_line_magic("recipient", f"show {recipient}"),
            shell.run_line_magic("recipient", "rotate nb_reader"),
            shell.run_line_magic("sharekit", "status") if "sharekit" in shell.magics_manager.magics["line"] else None,
        ]
        for result in results:
            if result is None:
                continue
            outputs.append(repr(result))
            html = getattr(result, "_repr_html_", None)
            if callable(html):
                outputs.append(str(html()))
    finally:
        shell.cleanup()
        sharing.use_workspace(previous)
    assert share and outputs
    return outputs


def test_the_grep_sees_through_parquet_and_sqlite(tmp_path: Path) -> None:
    """Negative control: a secret hidden in a compressed Parquet segment, a SQLite row or a log line is found."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    secret = "dapi" + "5" * 32
    pq.write_table(pa.table({"request_params": [f"token={secret}"] * 50}), tmp_path / "seg.parquet",
                   compression="zstd", use_dictionary=False, write_statistics=False)
    assert secret.encode() not in (tmp_path / "seg.parquet").read_bytes()  # compression hides it from a plain grep
    conn = sqlite3.connect(tmp_path / "catalog.db")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (secret,))
    conn.commit()
    conn.close()
    (tmp_path / "server.log").write_text(f"oops {secret}\n")
    assert leaks(tmp_path, {"s": secret}) == ["s in catalog.db", "s in seg.parquet", "s in server.log"]
