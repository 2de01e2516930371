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
    return hmac.digest(secret, f"sharekit-file\n{path}\n{expires_s}".encode(), "sha256").hex()  # one-shot, in C


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_ms: int


# What ``quote(path, safe="/")`` leaves as it is; anything else is percent-encoded (as UTF-8 bytes).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.~/-]+")


# Safe characters and "=": the paths of hive-style partition folders (``region=EU/part-0.parquet``), most paths.
_SAFE_BUT_EQUALS = re.compile(r"[A-Za-z0-9_.~/=-]*")


def quote_path(path: str) -> str:
    """``quote(path, safe="/")``, the same text, without its per-byte Python loop over the safe characters (a
    file URL is built for every file of every answer)."""
    if _SAFE_BUT_EQUALS.fullmatch(path):
        return path.replace("=", "%3D")
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
    signer = UrlSigner(secret, base_url, area, key, now_ms, ttl_s)
    return SignedUrl(signer.url(relative), signer.expires_ms)


class UrlSigner:
    """Signs the files of one table area for one answer, with one expiry: what every URL shares (the message's
    and the URL's head, the query string) is built once, and a file's quoted path can be passed in when known."""

    def __init__(self, secret: bytes, base_url: str, area: str, key: str, now_ms: int,
                 ttl_s: int = SIGNED_URL_TTL_S) -> None:
        expires_s = now_ms // 1000 + ttl_s
        self.expires_ms = expires_s * 1000
        head = file_path(area, key, "")  # ends with "/", so quoting it apart from the rest quotes the same
        self._mac = _Hmac(secret)
        self._message = (f"sharekit-file\n{head}", f"\n{expires_s}")
        self._url = (f"{base_url.rstrip('/')}{quote_path(head)}", f"?{EXPIRES_KEY}={expires_s}&{SIGNATURE_KEY}=")

    def url(self, relative: str, quoted: str | None = None) -> str:
        """The signed URL of ``relative`` (``quoted``: ``quote_path`` of it, when the caller keeps it)."""
        relative = relative.lstrip("/")
        message_head, message_tail = self._message
        signature = self._mac.hexdigest(f"{message_head}{relative}{message_tail}".encode())
        url_head, query = self._url
        return f"{url_head}{quote_path(relative) if quoted is None else quoted}{query}{signature}"


class _Hmac:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer states made once: the same digest as ``hmac.digest``
    in well under half the time, for the many URLs of one answer."""

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


_BLOCK = 64  # SHA-256's block size
_INNER_PAD = bytes(b ^ 0x36 for b in range(256))
_OUTER_PAD = bytes(b ^ 0x5C for b in range(256))


def verify(secret: bytes, path: str, expires: str | None, signature: str | None, now_ms: int) -> str | None:
    """``None`` if the decoded ``path`` carries a valid, unexpired signature, else the reason for refusing."""
    if not expires or not signature or not expires.isdigit() or len(expires) > 12:
        return "missing or malformed signature"
    if not hmac.compare_digest(_signature(secret, path, int(expires)).encode(), signature.encode()):
        return "signature does not match"
    if int(expires) * 1000 <= now_ms:
        return "URL expired"
    return None
