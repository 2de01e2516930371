"""Everything a request handler may need, typed, built once per server process and closed on shutdown."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sharekit.server.audit.log import AuditLog
from sharekit.server.home import Home
from sharekit.server.metastore.replies import WriteReplies
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.security.federated_tokens import JwksCache
from sharekit.server.settings import ADMIN_USER
from sharekit.server.sql.statements import StatementRegistry
from sharekit.server.tables.keys import TableKeys
from sharekit.server.tables.registry import TableRegistry
from sharekit.server.tables.snapshots import SnapshotCache
from sharekit.server.views.materialisation import MaterialisedViews
from sharekit.server.workers import RequestWorkers
from sharekit.types import Clock


@dataclass
class ServerState:
    home: Home
    metastore: MetastoreStore  # the SQLite store: shares, recipients, tokens, grants, registrations
    tables: TableRegistry
    audit: AuditLog
    snapshots: SnapshotCache  # Delta snapshots, histories, change-data files
    table_keys: TableKeys  # file-URL key -> table folder
    views: MaterialisedViews  # shared views materialised per recipient
    statements: StatementRegistry  # the SQL statements and the pool that runs them
    workers: RequestWorkers  # the threads request work runs in
    replies: WriteReplies  # the answers of recent writes, for retries whose first answer was lost
    secret: bytes
    admin_token: str
    clock: Clock = time.time
    base_url: str = "http://127.0.0.1"  # set once the listening port is known
    admin_user: str = ADMIN_USER
    jwks: JwksCache = field(default_factory=JwksCache)  # OIDC issuers' signing keys (federated recipients)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def close(self) -> None:
        """Stop the statement pool and the request threads, then make the audit log and the store durable."""
        self.statements.close()
        self.workers.close()
        self.audit.close()
        self.metastore.close()


def build_state(root: Path, *, clock: Clock = time.time, base_url: str = "http://127.0.0.1") -> ServerState:
    """Open (creating on first use) the state under ``root``."""
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
        snapshots=SnapshotCache(home.cache_dir),
        table_keys=TableKeys(secret, tables),
        views=MaterialisedViews(home.cache_dir, secret),
        statements=StatementRegistry(),
        workers=RequestWorkers(),
        replies=WriteReplies(metastore),
        secret=secret,
        admin_token=home.admin_token(),
        clock=clock,
        base_url=base_url,
    )
