"""Checks the forms run as the user types: names, CIDRs, property keys, aliases, expiry.

Each check returns ``None`` when the value is fine, else a one-line reason the form shows next to the disabled
button. Names follow the configuration engine's rule (letters, digits, '_' and '-', at most 255 characters,
case-insensitive; the rules are ``sharekit.names``'), a subset of Unity Catalog's (no period, space, slash or
control character), so whatever a form creates a ``%%share`` document can manage too. Property keys follow the same
engine. The workspace stays the final judge; its message is shown when it disagrees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from sharekit import names

MAX_EXPIRY_DAYS = 3650
_TABLE_NAME = re.compile(r"^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$")


def check_name(value: str, kind: str = "name") -> str | None:
    """A share or recipient name: letters, digits, '_' and '-' (the rule ``%%share`` documents use too)."""
    if not value:
        return f"{kind} is required"
    if len(value) > names.MAX_NAME_LENGTH:
        return f"{kind} is longer than {names.MAX_NAME_LENGTH} characters"
    bad = names.FORBIDDEN_IN_NAME.search(value)
    if bad:
        shown = {" ": "a space", ".": "a period", "/": "a slash", "?": "'?'", "#": "'#'"}.get(
            bad.group(), "a control or blank character")
        return f"{kind} {value!r} contains {shown}"
    if not names.DOCUMENT_NAME.match(value.lower()):
        return f"{kind} {value!r} may only contain letters, digits, '_' and '-' (and not start with '-')"
    return None


def check_table_name(value: str) -> str | None:
    """A three-part ``catalog.schema.table`` name."""
    if not _TABLE_NAME.match(value):
        return f"table {value!r} is not a catalog.schema.table name"
    return None


def check_alias(value: str) -> str | None:
    """A ``shared_as`` alias: empty (automatic) or ``schema.table`` with letters, digits and underscores."""
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 2 or not all(names.ALIAS_PART.match(part.lower()) for part in parts):
        return f"alias {value!r} must be schema.table (letters, digits, underscores)"
    return None


def parse_ip_list(text: str) -> list[str]:
    """Split an allow list typed as commas, spaces or one entry per line."""
    return [item for item in re.split(r"[\s,;]+", text.strip()) if item]


def check_cidr(value: str) -> str | None:
    """An IPv4/IPv6 address or CIDR block (host bits may be set, as Databricks accepts)."""
    return None if names.is_ip_entry(value) else f"{value!r} is not an IP address or CIDR block"


def check_ip_list(entries: Iterable[str]) -> str | None:
    items = list(entries)
    if len(items) > names.MAX_IP_ADDRESSES:
        return f"the IP allow list has {len(items)} entries; at most {names.MAX_IP_ADDRESSES} are allowed"
    repeated = _first_repeat(items)
    return first_problem(*map(check_cidr, items),
                         None if repeated is None else f"the IP allow list repeats {repeated!r}")


def check_property_key(key: str) -> str | None:
    if not key:
        return "a property key is empty"
    if len(key) > names.MAX_NAME_LENGTH or not names.DOCUMENT_PROPERTY_KEY.match(key):
        return f"property key {key!r} may only contain letters, digits, '_', '-' and '.'"
    if names.is_reserved_property(key, strict=True):
        return f"property key {key!r}: keys starting with 'databricks' are reserved"
    return None


def check_properties(pairs: Iterable[tuple[str, str]]) -> str | None:
    """Rows of ``(key, value)``: every key valid and used once."""
    keys = [key for key, _ in pairs]
    repeated = _first_repeat(keys)
    return first_problem(*map(check_property_key, keys),
                         None if repeated is None else f"duplicate property key {repeated!r}")


def _first_repeat(items: list[str]) -> str | None:
    """The smallest item listed more than once."""
    return min((item for item, count in Counter(items).items() if count > 1), default=None)


def check_expiry_days(days: int | None) -> str | None:
    """Token lifetime in days; ``None`` or 0 means the token never expires."""
    if days is None or days == 0:
        return None
    if days < 0:
        return "the token lifetime cannot be negative"
    if days > MAX_EXPIRY_DAYS:
        return f"the token lifetime is longer than {MAX_EXPIRY_DAYS} days"
    return None


def first_problem(*problems: str | None) -> str | None:
    return next((problem for problem in problems if problem), None)
