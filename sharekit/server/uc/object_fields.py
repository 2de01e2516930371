"""Which fields of a ``SharedDataObject`` go with which ``data_object_type``, checked before anything is written.

The rules are ``sharekit.names`` (shared with the client's document validation); the wording and error code
(``INVALID_PARAMETER_VALUE``, HTTP 400) are the server's. Sources: databricks-sdk ``sharing.SharedDataObject``
docstrings; the Terraform provider's ``suppressCDFEnabledDiff`` ("API does not accept both fields to be set").
"""

from __future__ import annotations

import base64
import binascii

from sharekit.names import (
    ALIAS_PART,
    CONTENT_TYPES,
    HISTORY_TYPES,
    NOTEBOOK_FILE_NAME,
    PARTITION_TYPES,
    STRING_ALIAS_TYPES,
    TABLE_LIKE_TYPES,
)
from sharekit.server.body import opt_bool, opt_enum, opt_int, opt_list, opt_str
from sharekit.server.errors import BadRequest
from sharekit.server.metastore import names
from sharekit.types import JSONObject

_TABLE_LIKE = ", ".join(sorted(TABLE_LIKE_TYPES))


def check_fields(kind: str, data: JSONObject, where: str) -> None:
    """Refuse every field that does not belong to ``kind``, and the combinations the API refuses."""
    label = kind.lower().replace("_", " ")
    if data.get("shared_as") is not None and kind not in TABLE_LIKE_TYPES:
        hint = " (use string_shared_as)" if kind in STRING_ALIAS_TYPES else ""
        raise BadRequest(f"shared_as applies only to table-like objects ({_TABLE_LIKE}), not to a {label}{hint} "
                         f"({where})")
    if data.get("string_shared_as") is not None and kind not in STRING_ALIAS_TYPES:
        hint = " (use shared_as)" if kind in TABLE_LIKE_TYPES else ""
        raise BadRequest(f"string_shared_as applies only to volumes, functions, models and notebook files, not to "
                         f"a {label}{hint} ({where})")
    if data.get("content") is not None and kind not in CONTENT_TYPES:
        raise BadRequest(f"content applies only to notebook files, not to a {label} ({where})")
    if opt_list(data, "partitions", where) and kind not in PARTITION_TYPES:
        raise BadRequest(f"partitions can only be set on tables, not on a {label} ({where})")
    history = opt_enum(data, "history_data_sharing_status", {"ENABLED", "DISABLED"}, where)
    cdf = opt_bool(data, "cdf_enabled", where)
    start = opt_int(data, "start_version", where)
    if kind not in HISTORY_TYPES and (history == "ENABLED" or cdf or start is not None):
        raise BadRequest(f"A {label} is shared without history, change data feed or start version "
                         f"(history_data_sharing_status, cdf_enabled and start_version apply to tables, materialized "
                         f"views, streaming tables and schemas) ({where})")
    if history == "ENABLED" and cdf:
        raise BadRequest("history_data_sharing_status ENABLED and cdf_enabled cannot both be set: sharing history "
                         f"shares the change data feed too; send one of them ({where})")
    if start is not None and start < 0:
        raise BadRequest(f"start_version must not be negative ({where})")


def string_alias(kind: str, data: JSONObject, where: str) -> str | None:
    """The validated ``string_shared_as``: ``<schema>.<name>`` for a volume, function or model, a file name for a
    notebook file."""
    alias = opt_str(data, "string_shared_as", where)
    if alias is None:
        return None
    if kind == "NOTEBOOK_FILE":
        if not NOTEBOOK_FILE_NAME.match(alias):
            raise BadRequest(f"Invalid string_shared_as '{alias}' for a notebook file: a file name of letters, digits, "
                             f"'_', '-' and '.' ({where})")
        return alias
    pieces = alias.split(".")
    if len(pieces) != 2 or not all(ALIAS_PART.match(piece) for piece in pieces):
        raise BadRequest(f"Invalid string_shared_as '{alias}': it must be <schema>.<name> with only alphanumeric "
                         f"characters and underscores in each part ({where})")
    return alias.lower()


def table_alias(data: JSONObject, where: str) -> str | None:
    alias = opt_str(data, "shared_as", where)
    return None if alias is None else names.shared_as(alias)


def notebook_content(data: JSONObject, where: str) -> bytes | None:
    raw = opt_str(data, "content", where)
    if raw is None:
        return None
    try:
        return base64.b64decode(raw.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as err:
        raise BadRequest(f"content must be base64 ({where})") from err
