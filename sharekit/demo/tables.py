"""The demo catalog ``main``, written by the embedded server (``sharekit.server.admin.demo_tables``); the tutorials
and tests import it from here."""

from __future__ import annotations

from sharekit.server.admin.demo_tables import DEMO_TABLES, TENANTS, create_demo_tables, create_tenant_events

__all__ = ["DEMO_TABLES", "TENANTS", "create_demo_tables", "create_tenant_events"]
