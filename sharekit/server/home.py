"""The server's home folder: where every piece of state lives, readable by its owner only.

Privacy has two halves. What the server process writes (the metastore and its WAL/SHM files, the audit log,
caches, Delta tables written by deltalake or pyarrow in native code) is private through the process umask
(``PRIVATE_UMASK``, set once by ``runtime.serve``): native writers honour the umask, and no chmod after the fact
can race a reader. What was written before, by another process or under another umask (a home from an older
version, tables copied in by hand, the demo written by the client), is tightened by ``tighten()``.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OWNER_ONLY = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077  # no group or other bits on anything created
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
        """Create the folders (owner only) and, on first use, the server secret and the admin token."""
        self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.root, PRIVATE_DIR)
        for folder in (self.tables_dir, self.audit_dir, self.cache_dir):
            folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        _create_secret_file(self.secret_file, secrets.token_hex(32))
        _create_secret_file(self.admin_token_file, "dapi" + secrets.token_hex(16))

    def tighten(self) -> int:
        """Take the group and other bits off every folder and file under the home; how many needed it.

        Symbolic links are not followed (a link may point outside the home, to data that is not ours to change)."""
        changed = 0
        for folder, dirs, files in os.walk(self.root):
            for name in (*dirs, *files):
                changed += _make_private(os.path.join(folder, name))
        return changed + _make_private(str(self.root))

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


def _make_private(path: str) -> int:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:  # removed meanwhile (a cache pruned, a temporary file renamed)
        return 0
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
        return 0
    os.chmod(path, stat.S_IMODE(mode) & ~0o077)
    return 1


def _create_secret_file(path: Path, value: str) -> None:
    """Write ``value`` to a new file that only the owner can read; leave an existing file alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        os.chmod(path, OWNER_ONLY)
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
