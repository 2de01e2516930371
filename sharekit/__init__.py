"""sharekit: Delta Sharing from a notebook."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from sharekit.connect import Workspace, connect

__all__ = ["Workspace", "__version__", "connect", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from sharekit.magics import load_ipython_extension as load

    load(ipython)
