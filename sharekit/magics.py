"""IPython magics: %%share, %recipient, %sharekit."""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (filled in by the configuration engine)."""
