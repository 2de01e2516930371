"""Statement execution and the one warehouse: read-only SQL over ``system.access.audit`` and the local tables and
views, plus ``CREATE VIEW`` / ``DROP VIEW``, in the wire shapes of ``databricks.sdk.service.sql``."""
