"""Configuration as code: a YAML document of shares, recipients, grants and views; plan, apply, export.

Light on import: the engine modules load when first used.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ApplyResult": "sharekit.config.apply",
    "ConfigError": "sharekit.config.loader",
    "Document": "sharekit.config.loader",
    "Issue": "sharekit.config.loader",
    "Plan": "sharekit.config.plan",
    "ShareConfig": "sharekit.config.model",
    "apply": "sharekit.config.apply",
    "apply_plan": "sharekit.config.apply",
    "export": "sharekit.config.export",
    "load": "sharekit.config.loader",
    "loads": "sharekit.config.loader",
    "make_plan": "sharekit.config.plan",
    "setup_tenant": "sharekit.config.tenant",
    "validate": "sharekit.config.loader",
}

__all__ = ["ApplyResult", "ConfigError", "Document", "Issue", "Plan", "ShareConfig", "apply", "apply_plan", "export",
           "load", "loads", "make_plan", "setup_tenant", "validate"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sharekit.config' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
