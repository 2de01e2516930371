"""Usage analytics over the audit log (``system.access.audit`` shape) on DuckDB, Spark or a SQL warehouse.

>>> from sharekit.analytics import SharingAnalytics, UsageMonitor
>>> SharingAnalytics(ws).most_accessed_tables(days=7)      # doctest: +SKIP
"""

from __future__ import annotations

from sharekit.analytics.engines import (
    AuditSource,
    DuckDBSource,
    SparkSource,
    WarehouseSource,
    register_local_audit,
    source_for,
)
from sharekit.analytics.notify import NotifyError, ThresholdAlert, logging_notifier, webhook_notifier
from sharekit.analytics.queries import QueryError
from sharekit.analytics.results import AnalysisResult
from sharekit.analytics.sharing_analytics import SharingAnalytics, detect_anomalies
from sharekit.analytics.usage import UsageMonitor

__all__ = [
    "AnalysisResult",
    "AuditSource",
    "DuckDBSource",
    "NotifyError",
    "QueryError",
    "SharingAnalytics",
    "SparkSource",
    "ThresholdAlert",
    "UsageMonitor",
    "WarehouseSource",
    "detect_anomalies",
    "logging_notifier",
    "register_local_audit",
    "source_for",
    "webhook_notifier",
]
