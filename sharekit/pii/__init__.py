"""The PII check for tables about to be shared: detection rules (``rules``), the report (``report``) and
sampling a table through the workspace client (``sampling``). The config engine's ``--strict`` check and
``sharekit.sharing.pii_report`` both run ``pii_report``."""

from __future__ import annotations

from sharekit.pii.report import PiiReport
from sharekit.pii.rules import KINDS, PiiFinding, check_columns, kind_from_name, kind_of_value, luhn_ok
from sharekit.pii.sampling import SAMPLE_ROWS, pii_report, sample_rows

__all__ = ["KINDS", "SAMPLE_ROWS", "PiiFinding", "PiiReport", "check_columns", "kind_from_name",
           "kind_of_value", "luhn_ok", "pii_report", "sample_rows"]
