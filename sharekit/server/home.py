"""The server's home folder: where every piece of state lives, and the secrets only its owner may read."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OWNER_ONLY = 0o600
HOME_ENV = "SHAREKIT_HOME"


def default_home() -> Path:
    """The home every entry point uses unless told otherwise: ``$SHAREKIT_HOME``, else ``~/.sharekit``."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".sharekit")


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def metastore_db(self) -> Path:
        return self.root / "catalog.db"  # the name homes have always used

    @property
    def tables_dir(self) -> Path:
        return self.root / "tables"

    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def secret_file(self) -> Path:
        return self.root / "server.secret"

    @property
    def admin_token_file(self) -> Path:
        return self.root / "admin.token"

    @property
    def server_json(self) -> Path:
        return self.root / "server.json"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def table_path(self, catalog: str, schema: str, table: str) -> Path:
        return self.tables_dir / catalog / schema / table

    def ensure(self) -> None:
        """Create the folders and, on first use, the server secret and the admin token."""
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in (self.tables_dir, self.audit_dir, self.cache_dir):
            folder.mkdir(exist_ok=True)
        _create_secret_file(self.secret_file, secrets.token_hex(32))
        _create_secret_file(self.admin_token_file, "dapi" + secrets.token_hex(16))

    def secret(self) -> bytes:
        return bytes.fromhex(self.secret_file.read_text().strip())

    def admin_token(self) -> str:
        return self.admin_token_file.read_text().strip()

    def read_server_info(self) -> dict[str, Any] | None:
        try:
            info = json.loads(self.server_json.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return info if isinstance(info, dict) else None

    def write_server_info(self, info: dict[str, Any]) -> None:
        tmp = self.server_json.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info))
        os.replace(tmp, self.server_json)


def _create_secret_file(path: Path, value: str) -> None:
    """Write ``value`` to a new file that only the owner can read; leave an existing file alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        os.chmod(path, OWNER_ONLY)
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
