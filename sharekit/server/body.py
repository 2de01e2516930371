"""Typed accessors for JSON request bodies: wrong input becomes 400 ``INVALID_PARAMETER_VALUE`` (or
``MALFORMED_REQUEST`` for a body that is not JSON at all) instead of a crash."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sharekit.server.errors import BadRequest
from sharekit.types import JSONObject


def parse_body(raw: bytes, fields: Collection[str]) -> JSONObject:
    """An empty body is ``{}``; otherwise a JSON object whose keys are all in ``fields``."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # RecursionError: nested too deeply
        raise BadRequest(f"Malformed JSON request body: {err}", "MALFORMED_REQUEST") from err
    return obj_of(body, "request body", fields)


def obj_of(value: Any, where: str, fields: Collection[str]) -> JSONObject:
    """``value`` must be a JSON object whose keys are all in ``fields``."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be a JSON object, got {_kind(value)}")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BadRequest(f"Unknown field '{unknown[0]}' in {where}")
    return value


def opt_str(body: JSONObject, key: str, where: str = "request") -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Field '{key}' in {where} must be a string, got {_kind(value)}")
    return value


def req_str(body: JSONObject, key: str, where: str = "request") -> str:
    value = opt_str(body, key, where)
    if value is None or value == "":
        raise BadRequest(f"Field '{key}' is required in {where}")
    return value


def opt_bool(body: JSONObject, key: str, where: str = "request") -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise BadRequest(f"Field '{key}' in {where} must be a boolean, got {_kind(value)}")


def opt_int(body: JSONObject, key: str, where: str = "request") -> int | None:
    """An int64 field; numeric strings are accepted, as the SDK accepts them."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"Field '{key}' in {where} must be an integer, got {_kind(value)}")
    if not -(2**63) <= value < 2**63:
        raise BadRequest(f"Field '{key}' in {where} is out of range")
    return value


def opt_list(body: JSONObject, key: str, where: str = "request") -> list[Any] | None:
    value = body.get(key)
    if value is None or isinstance(value, list):
        return value
    raise BadRequest(f"Field '{key}' in {where} must be a list, got {_kind(value)}")


def opt_enum(body: JSONObject, key: str, allowed: Collection[str], where: str = "request") -> str | None:
    value = opt_str(body, key, where)
    if value is not None and value not in allowed:
        raise BadRequest(f"Invalid value '{value}' for {key} in {where}: expected one of {', '.join(sorted(allowed))}")
    return value


def str_list(values: list[Any], where: str) -> list[str]:
    for value in values:
        if not isinstance(value, str):
            raise BadRequest(f"{where} must be a list of strings, got an element of type {_kind(value)}")
    return values


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON (how bodies are written into audit ``request_params``)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def drop_none(payload: JSONObject) -> JSONObject:
    return {k: v for k, v in payload.items() if v is not None}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
