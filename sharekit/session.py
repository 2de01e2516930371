"""The notebook's current workspace: the one ``%sharekit connect`` sets, shared by the magics and the forms.

``current_workspace()`` connects on first use (``sharekit.connect()``: Databricks when configured, else the
embedded server); ``resolve(None)`` is how a public function taking ``target=None`` finds it.
"""

from __future__ import annotations

from sharekit.connect import Workspace, WorkspaceLike, connect

_current: Workspace | None = None


def current_workspace(*, connect_if_needed: bool = True) -> Workspace | None:
    """The notebook's workspace: the one set by ``%sharekit connect``/``use_workspace``, else
    ``sharekit.connect()``."""
    global _current
    if _current is None and connect_if_needed:
        _current = connect()
    return _current


def use_workspace(workspace: Workspace | None) -> Workspace | None:
    """Make ``workspace`` the current one (None forgets it); returns the previous one."""
    global _current
    previous, _current = _current, workspace
    return previous


def resolve(target: WorkspaceLike | None) -> WorkspaceLike:
    """``target`` itself, or the current workspace when it is None."""
    if target is not None:
        return target
    workspace = current_workspace()
    if workspace is None:
        raise RuntimeError("no workspace: run %sharekit connect or sharekit.connect()")
    return workspace
