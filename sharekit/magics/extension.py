"""``ShareMagics`` (``%%share``, ``%recipient``, ``%sharekit``) and ``%load_ext sharekit``.

Each magic parses its input in its own module (``share``, ``recipient``, ``connection``) and calls the
engines; this class holds the settings (``%config ShareMagics.x``), the notebook plumbing every magic shares
(the current workspace, one-line errors, ``-o`` variables) and the router to the command modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, Int
from traitlets.config.configurable import Configurable

from sharekit import errors
from sharekit.connect import ConnectError
from sharekit.magics.parsing import first_line
from sharekit.session import current_workspace

# The command modules import the config engine, pydantic and the SDK's service types; `%load_ext sharekit`
# must stay fast and import none of them (tests/test_exports.py): each is imported on its magic's first use.
COMMAND_MODULES = {"share": "sharekit.magics.share", "recipient": "sharekit.magics.recipient",
                   "sharekit": "sharekit.magics.connection"}


def command(name: str) -> ModuleType:
    """The module of the magic ``name``: ``parser()`` builds its arguments, ``run(magics, …)`` runs it."""
    return importlib.import_module(COMMAND_MODULES[name])  # on first use: see COMMAND_MODULES


@magics_class
class ShareMagics(Magics, Configurable):  # type: ignore[misc]
    """``%%share``, ``%recipient`` and ``%sharekit``."""

    short_errors = Bool(True, config=True, help="Show errors as one line (False: raise the full exception).")
    progress = Bool(True, config=True, help="Show a progress bar on long applies.")
    check_tables = Bool(True, config=True, help="Check that shared tables exist before applying anything.")
    progress_threshold = Int(10, config=True, help="Show the progress bar from this many write calls on.")
    parallel = Int(8, config=True, help="Calls in flight at most when %%share reads and applies (1-20).")

    def __init__(self, shell: Any) -> None:
        Configurable.__init__(self, config=shell.config)
        Magics.__init__(self, shell=shell)
        self.shell.configurables.append(self)
        self.ask: Callable[[str], str] = input  # replaced in tests

    # --- plumbing the command modules share ----------------------------------------------------------------
    def fail(self, err: BaseException, short: UsageError) -> NoReturn:
        if self.short_errors:
            raise short from err
        raise err

    def workspace(self) -> Any:
        """The current workspace, connecting on first use; a failure to connect is a one-line UsageError."""
        try:
            return current_workspace()
        except (ConnectError, ValueError, OSError) as err:
            self.fail(err, errors.usage_error(f"not connected: {err}; run %sharekit connect",
                                              errors.NOT_CONNECTED))

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run a workspace call, turning its errors into one-line UsageErrors."""
        try:
            return fn()
        except OSError as err:  # DatabricksError (and requests errors) are OSErrors
            self.fail(err, errors.from_workspace_error(err, what=what))
        except ValueError as err:  # our own validation (bad name, property, CIDR, expiry)
            self.fail(err, errors.usage_error(f"{what}: {first_line(err)}"))

    def output(self, name: str | None, result: Any) -> Any:
        if name:
            if not name.isidentifier():
                raise errors.usage_error(f"-o {name!r} is not a valid variable name")
            self.shell.user_ns[name] = result
            return None
        return result

    # --- the magics ---------------------------------------------------------------------------------------
    @no_var_expand
    @cell_magic("share")
    def share(self, line: str, cell: str) -> Any:
        """%%share [--dry-run] [--prune] [--strict] [--parallel N] [-o NAME]: apply a YAML share configuration (shares,
        recipients, grants, views). ``$var`` is not expanded."""
        return command("share").run(self, line, cell)

    @line_magic("recipient")
    def recipient(self, line: str) -> Any:
        """%recipient list | show NAME | create NAME [..] | update NAME [..] | rotate NAME |
        grant NAME SHARE | revoke NAME SHARE | delete NAME [--yes] | activation NAME |
        preview NAME SHARE [--limit N]"""
        return command("recipient").run(self, line)

    @line_magic("sharekit")
    def sharekit(self, line: str) -> Any:
        """%sharekit connect [local|databricks] [--profile P] [--home DIR] | status"""
        return command("sharekit").run(self, line)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sharekit``: register the magics. The connection is made on first use."""
    ipython.register_magics(ShareMagics(ipython))
