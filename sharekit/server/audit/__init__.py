"""The audit log in the shape of Databricks' ``system.access.audit``: writing it (``log``) and its file layout
(``store``, the contract readers in other processes rely on)."""
