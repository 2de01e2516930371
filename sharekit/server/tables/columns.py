"""Delta schema fields as Unity Catalog ``ColumnInfo`` objects (type names and type texts)."""

from __future__ import annotations

import json
import re
from typing import Any

_PRIMITIVES = {
    "string": ("STRING", "string"), "long": ("LONG", "bigint"), "integer": ("INT", "int"),
    "short": ("SHORT", "smallint"), "byte": ("BYTE", "tinyint"), "float": ("FLOAT", "float"),
    "double": ("DOUBLE", "double"), "boolean": ("BOOLEAN", "boolean"), "binary": ("BINARY", "binary"),
    "date": ("DATE", "date"), "timestamp": ("TIMESTAMP", "timestamp"),
    "timestamp_ntz": ("TIMESTAMP_NTZ", "timestamp_ntz"),
    "variant": ("VARIANT", "variant"), "void": ("NULL", "void"),
}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def column_info(struct_field: dict[str, Any], position: int, partition_columns: list[str]) -> dict[str, Any]:
    """A Delta schema field as a Unity Catalog ``ColumnInfo``."""
    type_name, type_text = _type(struct_field["type"])
    info: dict[str, Any] = {
        "name": struct_field["name"],
        "type_name": type_name,
        "type_text": type_text,
        "type_json": json.dumps(struct_field, separators=(",", ":")),
        "position": position,
        "nullable": bool(struct_field.get("nullable", True)),
    }
    decimal = _DECIMAL.match(struct_field["type"]) if isinstance(struct_field["type"], str) else None
    if decimal:
        info["type_precision"], info["type_scale"] = int(decimal.group(1)), int(decimal.group(2))
    comment = (struct_field.get("metadata") or {}).get("comment")
    if comment:
        info["comment"] = comment
    if struct_field["name"].lower() in partition_columns:
        info["partition_index"] = partition_columns.index(struct_field["name"].lower())
    return info


def columns_of(schema_json: str, partition_columns: list[str]) -> list[dict[str, Any]]:
    """Every field of a Delta schema (its JSON form) as ``ColumnInfo``, in order."""
    return [column_info(f, i, partition_columns) for i, f in enumerate(json.loads(schema_json)["fields"])]


def _type(delta_type: Any) -> tuple[str, str]:
    if isinstance(delta_type, str):
        if delta_type in _PRIMITIVES:
            return _PRIMITIVES[delta_type]
        if _DECIMAL.match(delta_type):
            return "DECIMAL", delta_type.replace(" ", "")
        return "USER_DEFINED_TYPE", delta_type
    kind = delta_type.get("type")
    if kind == "array":
        return "ARRAY", f"array<{_type(delta_type['elementType'])[1]}>"
    if kind == "map":
        return "MAP", f"map<{_type(delta_type['keyType'])[1]},{_type(delta_type['valueType'])[1]}>"
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{_type(f['type'])[1]}" for f in delta_type["fields"])
        return "STRUCT", f"struct<{inner}>"
    return "USER_DEFINED_TYPE", json.dumps(delta_type)
