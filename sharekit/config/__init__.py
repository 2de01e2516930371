"""Configuration as code: a YAML document of shares, recipients, grants and views; plan, apply, export.

The names are imported eagerly: the functions ``apply`` and ``export`` share their names with their modules,
and a lazy ``__getattr__`` would hand out the module once the submodule had been imported elsewhere. Nothing
imports this package on ``%load_ext sharekit``, so start-up stays fast.
"""

from __future__ import annotations

from sharekit.config.apply import ApplyResult, apply, apply_plan
from sharekit.config.export import export
from sharekit.config.loader import ConfigError, Document, Issue, load, loads, validate
from sharekit.config.model import ShareConfig
from sharekit.config.plan import Plan, make_plan
from sharekit.config.tenant import setup_tenant

__all__ = ["ApplyResult", "ConfigError", "Document", "Issue", "Plan", "ShareConfig", "apply", "apply_plan", "export",
           "load", "loads", "make_plan", "setup_tenant", "validate"]
