"""A minimal Delta Sharing server for ``bench_protocol.py`` to compare with: standard library HTTP (threads,
keep-alive, TCP_NODELAY), one bearer token, the tables of one folder, file URLs signed with HMAC-SHA256 over path
and expiry like sharekit's. Just enough protocol for the unmodified ``delta-sharing`` client (version, metadata,
query in the parquet and delta formats) and the file reads it makes (HEAD, single ranges, whole files). No
audit log, no metastore, no predicates: the lower bound of what serving the same bytes costs in Python."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+

PREFIX = "/delta-sharing"
_TABLE = re.compile(rf"^{PREFIX}/shares/([^/]+)/schemas/([^/]+)/tables/([^/]+)/(version|metadata|query)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class Baseline:
    """``with Baseline(folder, token) as server:`` serves ``folder/<schema>/<table>`` as share ``share``."""

    def __init__(self, folder: Path, token: str, share: str = "share") -> None:
        self.folder, self.token, self.share = folder, token, share
        self.secret = os.urandom(32)
        self.tables: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients hang up
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def table(self, schema: str, name: str) -> Any:
        from deltalake import DeltaTable

        path = str(self.folder / schema / name)
        with self.lock:
            table = self.tables.get(path)
            if table is None:
                table = self.tables[path] = DeltaTable(path)
            else:
                table.update_incremental()  # a query sees the latest version, as on sharekit
            return table

    def sign(self, relative: str) -> str:
        expires = int(time.time()) + 3600
        signature = hmac.new(self.secret, f"{relative}\n{expires}".encode(), hashlib.sha256).hexdigest()
        return f"http://127.0.0.1:{self.server.server_address[1]}/files/{quote(relative)}" \
               f"?X-Amz-Expires={expires}&X-Amz-Signature={signature}"

    def verified(self, relative: str, query: dict[str, list[str]]) -> bool:
        expires = (query.get("X-Amz-Expires") or [""])[0]
        signature = (query.get("X-Amz-Signature") or [""])[0]
        if not expires.isdigit() or int(expires) < time.time():
            return False
        wanted = hmac.new(self.secret, f"{relative}\n{expires}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(wanted, signature)

    def query_lines(self, schema: str, name: str, delta: bool) -> list[dict[str, Any]]:
        table = self.table(schema, name)
        meta = table.metadata()
        protocol = table.protocol()
        expires_ms = (int(time.time()) + 3600) * 1000
        import pyarrow as pa

        adds = pa.table(table.get_add_actions(flatten=False)).to_pylist()
        common = {"id": meta.id, "schemaString": table.schema().to_json(),
                  "partitionColumns": list(meta.partition_columns), "configuration": dict(meta.configuration)}
        if delta:
            lines: list[dict[str, Any]] = [
                {"protocol": {"deltaProtocol": {"minReaderVersion": protocol.min_reader_version,
                                                "minWriterVersion": protocol.min_writer_version}}},
                {"metaData": {"deltaMetadata": {**common, "format": {"provider": "parquet", "options": {}},
                                                "createdTime": meta.created_time}, "version": table.version()}}]
        else:
            lines = [{"protocol": {"minReaderVersion": 1}},
                     {"metaData": {**common, "format": {"provider": "parquet"}, "version": table.version()}}]
        for add in adds:
            relative = f"{schema}/{name}/{unquote(add['path'])}"
            values = {k: None if v is None else str(v) for k, v in (add.get("partition") or {}).items()}
            file_id = hashlib.md5(add["path"].encode()).hexdigest()
            url, size = self.sign(relative), int(add["size_bytes"])
            if delta:
                action = {"path": url, "partitionValues": values, "size": size, "dataChange": True,
                          "modificationTime": int(add.get("modification_time") or 0)}
                lines.append({"file": {"id": file_id, "expirationTimestamp": expires_ms,
                                       "deltaSingleAction": {"add": action}}})
            else:
                lines.append({"file": {"url": url, "id": file_id, "partitionValues": values, "size": size,
                                       "expirationTimestamp": expires_ms}})
        return lines


def _handler(server: Baseline) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:
            return

        def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                  length: int | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/files/"):
                self.serve_file(unquote(parts.path[len("/files/"):]), parse_qs(parts.query))
            else:
                self.protocol(parts.path)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.protocol(urlsplit(self.path).path)

        def protocol(self, path: str) -> None:
            if self.headers.get("Authorization") != f"Bearer {server.token}":
                self.reply(401, b'{"errorCode":"UNAUTHENTICATED"}', {"Content-Type": "application/json"})
                return
            match = _TABLE.match(path)
            if match is None or match.group(1) != server.share:
                self.reply(404, b'{"errorCode":"RESOURCE_DOES_NOT_EXIST"}', {"Content-Type": "application/json"})
                return
            _, schema, name, what = match.groups()
            if what == "version":
                table = server.table(schema, name)
                self.reply(200, b"", {"Delta-Table-Version": str(table.version())})
                return
            delta = "responseformat=delta" in (self.headers.get("delta-sharing-capabilities") or "").lower() \
                and "parquet" not in (self.headers.get("delta-sharing-capabilities") or "").lower()
            lines = server.query_lines(schema, name, delta)
            if what == "metadata":
                lines = lines[:2]
            body = b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines)
            headers = {"Content-Type": "application/x-ndjson",
                       "Delta-Table-Version": str(lines[1]["metaData"]["version"])}
            if delta:
                headers["delta-sharing-capabilities"] = "responseformat=delta"
            self.reply(200, body, headers)

        def serve_file(self, relative: str, query: dict[str, list[str]]) -> None:
            if not server.verified(relative, query) or ".." in relative.split("/"):
                self.reply(403, b"denied")
                return
            try:
                with open(server.folder / relative, "rb") as handle:
                    size = os.fstat(handle.fileno()).st_size
                    match = _RANGE.match(self.headers.get("Range") or "")
                    if match is None:
                        self.reply(200, b"" if self.command == "HEAD" else handle.read(),
                                   {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}, size)
                        return
                    start = int(match.group(1))
                    end = min(int(match.group(2) or size - 1), size - 1)
                    handle.seek(start)
                    self.reply(206, handle.read(end - start + 1),
                               {"Content-Range": f"bytes {start}-{end}/{size}", "Accept-Ranges": "bytes"})
            except FileNotFoundError:
                self.reply(404, b"missing")

    return Handler
