"""Validation of the names and values the management API accepts, with Databricks' rules and error codes.

The rules are ``sharekit.names`` (one definition for the server and the client); this module words the server's
400 answers. Unity Catalog names are case-insensitive: every securable name is stored and compared in lower case.
"""

from __future__ import annotations

from sharekit.names import (
    ALIAS_PART,
    FORBIDDEN_IN_NAME,
    MAX_IP_ADDRESSES,
    MAX_NAME_LENGTH,
    PROPERTY_KEY,
    RESERVED_PROPERTY_PREFIX,
    is_ip_entry,
    is_reserved_property,
)
from sharekit.server.errors import BadRequest


def securable_name(value: str, kind: str) -> str:
    """A share, recipient, catalog, schema or table name part: returned lower-cased."""
    if not value:
        raise BadRequest(f"{kind} name must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise BadRequest(f"{kind} name is longer than {MAX_NAME_LENGTH} characters")
    bad = FORBIDDEN_IN_NAME.search(value)
    if bad:
        raise BadRequest(f"Invalid {kind} name '{value}': it must not contain {bad.group()!r} "
                         "(periods, spaces, slashes, '?', '#' and control characters are not allowed)")
    return value.lower()


def split_full_name(full_name: str, parts: int, kind: str = "table") -> tuple[str, ...]:
    """``catalog.schema.table`` (parts=3) or ``catalog.schema`` (parts=2), each part validated, lower-cased."""
    pieces = full_name.split(".")
    if len(pieces) != parts or not all(pieces):
        shape = "<catalog>.<schema>.<table>" if parts == 3 else "<catalog>.<schema>"
        raise BadRequest(f"Invalid {kind} name '{full_name}': expected {shape}")
    return tuple(securable_name(piece, kind) for piece in pieces)


def shared_as(value: str) -> str:
    """The alias a recipient sees: ``<schema>.<table>``, alphanumerics and underscores only."""
    pieces = value.split(".")
    if len(pieces) != 2 or not all(ALIAS_PART.match(piece) for piece in pieces):
        raise BadRequest(f"Invalid shared_as name '{value}': it must be <schema>.<table> with only "
                         "alphanumeric characters and underscores in each part")
    return value.lower()


def cidr(value: str) -> str:
    """An IP address or CIDR block; returned as given (stripped) once it parses."""
    text = value.strip()
    if not is_ip_entry(text):
        raise BadRequest(f"Invalid IP address or CIDR block '{value}' in ip_access_list")
    return text


def ip_access_list(values: list[str]) -> tuple[str, ...] | None:
    if len(values) > MAX_IP_ADDRESSES:
        raise BadRequest(f"ip_access_list allows at most {MAX_IP_ADDRESSES} entries, got {len(values)}")
    checked = tuple(cidr(value) for value in values)
    return checked or None


def property_key(key: str) -> str:
    if not PROPERTY_KEY.match(key):
        raise BadRequest(f"Invalid recipient property key '{key}': use 1-255 letters, digits, '_', '-', '.', ':'")
    if is_reserved_property(key):
        raise BadRequest(f"Recipient property '{key}' is reserved: keys starting with "
                         f"'{RESERVED_PROPERTY_PREFIX}' are predefined and read-only")
    return key
