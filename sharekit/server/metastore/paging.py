"""Page tokens, one codec for both schemes (the token formats on the wire are those clients already hold):

- keyset, for Unity Catalog listings (``max_results`` / ``page_token``): ``{"after": <last key>}``;
- offset, for Delta Sharing listings (``maxResults`` / ``pageToken``): ``{"o": <offset>, "s": <scope>}``, bound to
  the listing it came from (``scope``).

A token is the JSON payload, URL-safe base64 without padding. A token that does not decode is a 400.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from sharekit.server.errors import BadRequest
from sharekit.server.settings import UC_MAX_PAGE_SIZE, UC_PAGE_SIZE

T = TypeVar("T")
_KEYSET_ERROR = "Invalid page_token"
_OFFSET_ERROR = "Invalid pageToken"


def _encode(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(token: str, error: str, *keys: str) -> list[Any]:
    """The values of ``keys`` in the token's payload; a 400 with ``error`` when it is not such a token."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return [payload[key] for key in keys]
    except (ValueError, TypeError, KeyError) as err:
        raise BadRequest(error) from err


# -- keyset (Unity Catalog) ---------------------------------------------------------------------------------

def encode_page_token(after: str) -> str:
    return _encode({"after": after})


def decode_page_token(token: str | None) -> str | None:
    if not token:
        return None
    (after,) = _decode(token, _KEYSET_ERROR, "after")
    if not isinstance(after, str):
        raise BadRequest(_KEYSET_ERROR)
    return after


def page_size(max_results: int | None) -> int:
    if max_results is None or max_results == 0:
        return UC_PAGE_SIZE
    if max_results < 0:
        raise BadRequest("max_results must not be negative")
    return min(max_results, UC_MAX_PAGE_SIZE)


def paginate(keys: Sequence[str], max_results: int | None, page_token: str | None) -> tuple[list[str], str | None]:
    """Keyset pagination over sorted keys (used by listings that are not backed by SQL)."""
    after, size = decode_page_token(page_token), page_size(max_results)
    rest = [key for key in keys if after is None or key > after]
    chunk = rest[:size]
    return chunk, encode_page_token(chunk[-1]) if len(rest) > size else None


# -- offset (Delta Sharing) ---------------------------------------------------------------------------------

def decode_offset(token: str | None, scope: str) -> int:
    """Where a page starts: 0 without a token; a token of another listing (``scope``) is refused."""
    if not token:
        return 0
    raw, bound = _decode(token, _OFFSET_ERROR, "o", "s")
    try:
        offset = int(raw)
    except (ValueError, TypeError) as err:
        raise BadRequest(_OFFSET_ERROR) from err
    if offset < 0 or bound != scope:
        raise BadRequest(_OFFSET_ERROR)
    return offset


def offset_page(items: Sequence[T], offset: int, size: int, scope: str) -> tuple[list[T], str | None]:
    """The page of ``items`` at ``offset`` and the token of the next page (None on the last page)."""
    chunk = list(items[offset:offset + size])
    token = _encode({"o": offset + size, "s": scope}) if offset + size < len(items) else None
    return chunk, token
