"""The server's URL prefixes, written once, and the URLs built from a base URL."""

from __future__ import annotations

import re

UC_API = "/api/2.1/unity-catalog"  # the Unity Catalog REST subset databricks-sdk calls
DATA_SHARING_API = "/api/2.0/data-sharing"  # recipient federation policies (w.recipient_federation_policies)
SQL_API = "/api/2.0/sql"  # statement execution and the warehouse
SCIM_ME = "/api/2.0/preview/scim/v2/Me"
DATABRICKS_CONFIG = "/.well-known/databricks-config"
PROTOCOL = "/delta-sharing"  # the open Delta Sharing protocol
PROTOCOL_TABLE = PROTOCOL + "/shares/{share}/schemas/{schema}/tables/{table}"
FILES = "/files/"  # signed file URLs
ACTIVATION_PAGE = "/delta_sharing/retrieve_config.html"
SHAREKIT = "/sharekit"
ADMIN = SHAREKIT + "/admin"
HEALTH = SHAREKIT + "/health"
OPENAPI = SHAREKIT + "/openapi.json"


def is_protocol(path: str) -> bool:
    """A path of the Delta Sharing protocol (its errors have the protocol's shape)."""
    return path.startswith(PROTOCOL + "/")


_SLASH_RUNS = re.compile(r"//+")


def collapse_protocol_slashes(path: str) -> str:
    """A protocol path with runs of ``/`` made single (``/delta-sharing//shares`` -> ``/delta-sharing/shares``);
    any other path unchanged. Profiles end their ``endpoint`` with ``/`` and many clients append ``/shares``;
    protocol names never contain ``/``, so a doubled slash there can only be such a join."""
    if not path.startswith(PROTOCOL + "/") or "//" not in path:
        return path
    return _SLASH_RUNS.sub("/", path)


def profile_endpoint(base_url: str) -> str:
    """The ``endpoint`` of a recipient's profile file."""
    return f"{base_url.rstrip('/')}{PROTOCOL}/"


def activation_url(base_url: str, activation_token: str) -> str:
    return f"{base_url}{ACTIVATION_PAGE}?{activation_token}"
