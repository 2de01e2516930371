"""sharekit: Delta Sharing from a notebook."""

from __future__ import annotations

from typing import Any

from sharekit._version import __version__
from sharekit.connect import Workspace, connect

__all__ = ["Workspace", "__version__", "connect", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    # Imported here, not above: `import sharekit` in a script or a pipeline needs no IPython magics.
    from sharekit.magics import load_ipython_extension as load

    load(ipython)
