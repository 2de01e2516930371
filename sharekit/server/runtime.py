"""Runs the embedded server in this process: bind, record ``server.json``, serve, clean up."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

from sharekit.server import settings
from sharekit.server.admin.demo_tables import create_demo_tables
from sharekit.server.app import create_app
from sharekit.server.connections import HttpName, http_protocol
from sharekit.server.home import PRIVATE_UMASK, Home
from sharekit.server.state import build_state
from sharekit.server.tables.snapshots import import_readers

log = logging.getLogger("sharekit.server")


def serve(home: Path, *, host: str = "127.0.0.1", port: int = 0, demo: bool = False, log_level: str = "warning",
          http: HttpName = "auto") -> None:
    """``http`` picks the guarded protocol (``connections.http_protocol``); the event loop is uvicorn's ``auto``
    (uvloop when installed)."""
    import uvicorn

    make_private(Home(home))
    sock, base_url = _listen(host, port)
    state = build_state(home, base_url=base_url)
    if demo:
        create_demo_tables(state.home.tables_dir)
    info = {"url": base_url, "pid": os.getpid(), "started_at": int(time.time() * 1000), "home": str(state.home.root)}

    def shutdown() -> None:
        _remove_server_info(state.home, os.getpid())
        state.close()

    app = create_app(state, on_shutdown=[shutdown])
    protocol = http_protocol(http, quick=app.quick_answer)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_keep_alive=settings.KEEP_ALIVE_S,
                            http=protocol, loop="auto",
                            limit_concurrency=settings.MAX_CONCURRENCY,
                            h11_max_incomplete_event_size=settings.MAX_INCOMPLETE_EVENT_BYTES)
    server = uvicorn.Server(config)
    threading.Thread(target=import_readers, name="sharekit-import-readers", daemon=True).start()
    state.home.write_server_info(info)
    log.warning("sharekit server listening on %s (home %s, %s)", base_url, home, protocol.__name__)
    server.run(sockets=[sock])


def make_private(home: Home) -> None:
    """Everything this process creates from now on is its owner's only (the umask covers files that deltalake,
    pyarrow and SQLite write in native code, WAL and SHM included); what is already in the home is tightened."""
    os.umask(PRIVATE_UMASK)
    home.ensure()
    tightened = home.tighten()
    if tightened:
        log.warning("home %s: took group and other access off %d existing files and folders (a home is readable "
                    "by its owner only)", home.root, tightened)


def _listen(host: str, port: int) -> tuple[socket.socket, str]:
    """The bound socket and the base URL clients reach it under."""
    # IPPROTO_TCP explicitly: asyncio disables Nagle only on accepted sockets whose proto says TCP; with proto 0
    # every keep-alive response waits ~40 ms for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        url_host = "127.0.0.1"
    return sock, f"http://{url_host}:{bound_port}"


def _remove_server_info(home: Home, pid: int) -> None:
    info = home.read_server_info()
    if info and info.get("pid") == pid:
        home.server_json.unlink(missing_ok=True)
