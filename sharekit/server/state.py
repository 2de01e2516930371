"""Everything a request handler may need, built once per server process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sharekit.server.audit.log import AuditLog
from sharekit.server.endpoint import RequestWorkers
from sharekit.server.home import Home
from sharekit.server.settings import ADMIN_USER
from sharekit.server.views.materialisation import MaterialisedViews
from sharekit.types import Clock

if TYPE_CHECKING:
    from sharekit.server.metastore.store import MetastoreStore
    from sharekit.server.tables.registry import TableRegistry


@dataclass
class ServerState:
    home: Home
    metastore: MetastoreStore
    tables: TableRegistry
    audit: AuditLog
    views: MaterialisedViews
    workers: RequestWorkers
    secret: bytes
    admin_token: str
    clock: Clock = time.time
    base_url: str = "http://127.0.0.1"  # set once the listening port is known
    admin_user: str = ADMIN_USER
    extras: dict[str, object] = field(default_factory=dict)  # caches owned by individual modules

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


def build_state(root: Path, *, clock: Clock = time.time, base_url: str = "http://127.0.0.1") -> ServerState:
    """Open (creating on first use) the state under ``root``."""
    from sharekit.server.metastore.store import MetastoreStore
    from sharekit.server.tables.registry import TableRegistry

    home = Home(root)
    home.ensure()
    secret = home.secret()
    metastore = MetastoreStore(home.metastore_db, clock=clock, secret=secret)
    tables = TableRegistry(home, store=metastore)
    return ServerState(
        home=home,
        metastore=metastore,
        tables=tables,
        audit=AuditLog(home.audit_dir, clock=clock),
        views=MaterialisedViews(home.cache_dir, secret),
        workers=RequestWorkers(),
        secret=secret,
        admin_token=home.admin_token(),
        clock=clock,
        base_url=base_url,
    )
