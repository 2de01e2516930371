"""Signed, expiring file URLs.

A file URL is ``{base_url}/files/<area>/<key>/<relative path>?X-Amz-Expires=<epoch s>&X-Amz-Signature=<hex>``:

- ``area`` is ``t`` (a file inside a table folder), ``c`` (a file the server materialised in its cache,
  e.g. change-data files) or ``v`` (a shared view materialised for one recipient); ``key`` is an opaque id of the table (an HMAC of its full name), so the URL reveals
  nothing of the server's filesystem beyond the table folder's own layout;
- the signature is HMAC-SHA256 with the server secret over the *decoded* path and the expiry (clients such as
  yarl may re-encode the path, so the encoded form is not stable);
- the query key is ``X-Amz-Signature`` because delta-kernel-rs only treats URLs carrying one of a few cloud
  signature keys as pre-signed (anything else it reads as a local path). ``X-Amz-Expires`` here carries the
  absolute expiry in epoch seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from sharekit.server.paths import FILES
from sharekit.server.settings import SIGNED_URL_TTL_S

EXPIRES_KEY = "X-Amz-Expires"
SIGNATURE_KEY = "X-Amz-Signature"
AREAS = ("t", "c", "v")


def table_key(secret: bytes, full_name: str) -> str:
    """An opaque, stable id of a table for URLs (does not reveal its name or folder)."""
    return hmac.new(secret, b"table-key:" + full_name.lower().encode(), hashlib.sha256).hexdigest()[:32]


def _signature(secret: bytes, path: str, expires_s: int) -> str:
    message = f"sharekit-file\n{path}\n{expires_s}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_ms: int


# What ``quote(path, safe="/")`` leaves as it is; anything else is percent-encoded (as UTF-8 bytes).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.~/-]+")


def quote_path(path: str) -> str:
    """``quote(path, safe="/")``, the same text, without its per-byte Python loop over the safe characters (a
    file URL is built for every file of every answer)."""
    return _UNSAFE.sub(_escaped, path)


def _escaped(run: re.Match[str]) -> str:
    return _escape(run.group())


@lru_cache(maxsize=1024)  # the same few runs recur in every path ("=" of hive partition folders)
def _escape(text: str) -> str:
    return quote(text, safe="")


def file_path(area: str, key: str, relative: str) -> str:
    """The decoded URL path of a file (what the signature covers)."""
    return f"{FILES}{area}/{key}/{relative.lstrip('/')}"


def sign(secret: bytes, base_url: str, area: str, key: str, relative: str, now_ms: int,
         ttl_s: int = SIGNED_URL_TTL_S) -> SignedUrl:
    path = file_path(area, key, relative)
    expires_s = now_ms // 1000 + ttl_s
    url = (f"{base_url.rstrip('/')}{quote_path(path)}?{EXPIRES_KEY}={expires_s}"
           f"&{SIGNATURE_KEY}={_signature(secret, path, expires_s)}")
    return SignedUrl(url, expires_s * 1000)


def verify(secret: bytes, path: str, expires: str | None, signature: str | None, now_ms: int) -> str | None:
    """``None`` if the decoded ``path`` carries a valid, unexpired signature, else the reason for refusing."""
    if not expires or not signature or not expires.isdigit() or len(expires) > 12:
        return "missing or malformed signature"
    if not hmac.compare_digest(_signature(secret, path, int(expires)).encode(), signature.encode()):
        return "signature does not match"
    if int(expires) * 1000 <= now_ms:
        return "URL expired"
    return None
