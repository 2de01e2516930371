"""The rules for names, aliases, property keys and IP allow lists: what Unity Catalog accepts, and the stricter
subset sharekit's own documents, forms and magics write.

One definition for both sides. The embedded server enforces the Unity Catalog rules (``FORBIDDEN_IN_NAME``,
``PROPERTY_KEY``, ``RESERVED_PROPERTY_PREFIX``); the client stays stricter (``DOCUMENT_NAME``,
``DOCUMENT_PROPERTY_KEY``, ``is_reserved_property(strict=True)``), so whatever a document or a form creates, any
workspace accepts and a document can manage again. Each side words its own error message; the rule is here.
Names are case-insensitive in Unity Catalog: they are compared in lower case.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_NAME_LENGTH = 255
MAX_IP_ADDRESSES = 100

# Unity Catalog forbids period, space, slash and ASCII control characters. '?' and '#' are refused too: the SDK
# puts names into URL paths unescaped, so such a share could be created but never fetched again.
FORBIDDEN_IN_NAME = re.compile(r"[.\s/?#\x00-\x1f\x7f]")
ALIAS_PART = re.compile(r"^[A-Za-z0-9_]+$")  # each part of a shared_as alias <schema>.<table>
PROPERTY_KEY = re.compile(r"^[A-Za-z0-9_.\-:]{1,255}$")
RESERVED_PROPERTY_PREFIX = "databricks."  # the workspace's predefined, read-only recipient properties

# The client's stricter subset: letters, digits, '_' and '-' (lower case), and property keys without ':'.
DOCUMENT_NAME = re.compile(r"^[a-z0-9_][a-z0-9_\-]{0,254}$")
DOCUMENT_PROPERTY_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")
_CLIENT_RESERVED_PREFIX = RESERVED_PROPERTY_PREFIX.rstrip(".")  # the client refuses "databricks…" without the dot


# -- recipients (databricks-sdk ``sharing.AuthenticationType``). What sharekit creates and a document names; the
# SDK's fourth value, OAUTH_CLIENT_CREDENTIALS, is for provider imports only (its docstring) and never created.
RECIPIENT_TYPES = ("TOKEN", "DATABRICKS", "OIDC_FEDERATION")
# Open-sharing recipients (bearer token or OIDC JWT): the ones that take an IP access list (the Terraform provider's
# resource_recipient.go: data_recipient_global_metastore_id ConflictsWith ip_access_list).
OPEN_RECIPIENT_TYPES = frozenset({"TOKEN", "OIDC_FEDERATION"})
# OIDC federation policies (the SDK's FederationPolicy / OidcFederationPolicy docstrings): a policy name has only
# lowercase letters, digits and hyphens; the subject claim is one of the four Databricks supports; a token's aud
# must match one of the audiences (at least one; the server caps the list).
FEDERATION_POLICY_NAME = re.compile(r"^[a-z0-9][a-z0-9\-]{0,254}$")
SUBJECT_CLAIMS = ("oid", "azp", "groups", "sub")
MAX_AUDIENCES = 100
# A DATABRICKS recipient's sharing identifier, ``<cloud>:<region>:<metastore uuid>`` (``current_metastore()``).
SHARING_IDENTIFIER = re.compile(r"^[a-z0-9\-]+:[a-z0-9\-]+:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def is_issuer_url(value: str) -> bool:
    """An OIDC issuer: an absolute http(s) URL without query or fragment (the ``iss`` claim, and where
    ``/.well-known/openid-configuration`` is found)."""
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and not parts.query and not parts.fragment


def is_reserved_property(key: str, *, strict: bool = False) -> bool:
    """A key the workspace predefines (``databricks.*``); ``strict``: every key starting with ``databricks``."""
    return key.lower().startswith(_CLIENT_RESERVED_PREFIX if strict else RESERVED_PROPERTY_PREFIX)


def is_ip_entry(value: str) -> bool:
    """An IPv4/IPv6 address or CIDR block (host bits may be set, as Databricks accepts)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def like_pattern(pattern: str, *, ignore_case: bool = True) -> re.Pattern[str]:
    """A SQL LIKE pattern (``%`` any run, ``_`` one character) as a regular expression for the whole text."""
    out = [".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern]
    return re.compile("^" + "".join(out) + "$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


# -- shared data object types (databricks-sdk ``sharing.SharedDataObjectDataObjectType``) and the fields each takes.
# Sources: the SDK's ``SharedDataObject`` docstrings (``shared_as`` for table-like objects, ``string_shared_as`` for
# volumes, functions, models and notebook files, ``content`` for notebook files) and docs.databricks.com
# delta-sharing/create-share (partitions and history on tables). The server enforces them; the client validates
# documents with them.
OBJECT_TYPES = ("TABLE", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN_TABLE", "SCHEMA", "VOLUME", "MODEL",
                "FUNCTION", "NOTEBOOK_FILE", "FEATURE_SPEC")
TABLE_LIKE_TYPES = frozenset({"TABLE", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN_TABLE"})  # shared_as
STRING_ALIAS_TYPES = frozenset({"VOLUME", "FUNCTION", "MODEL", "NOTEBOOK_FILE"})  # string_shared_as
# Partition filters: tables only. Databricks' ALTER SHARE grammar has a PARTITION clause for ADD/ALTER TABLE alone;
# ADD MATERIALIZED VIEW takes only COMMENT and AS, and a view is filtered in its own SQL
# (docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-alter-share). Streaming tables are absent
# from that grammar, so they stay without partitions too.
PARTITION_TYPES = frozenset({"TABLE"})
# history, cdf_enabled, start_version: Delta-backed tables, and whole schemas (ALTER SHARE … ADD SCHEMA … WITH HISTORY)
HISTORY_TYPES = frozenset({"TABLE", "MATERIALIZED_VIEW", "STREAMING_TABLE", "SCHEMA"})
CONTENT_TYPES = frozenset({"NOTEBOOK_FILE"})  # content (base64); the share needs a storage_root
# What an open (token or OIDC) recipient can read through the Delta Sharing protocol: tabular data only. Volumes,
# models, notebooks, functions and feature specs are Databricks-to-Databricks only (docs: "What is Delta Sharing?",
# open sharing shares tabular data; databrickslabs partner-architecture: volumes, notebooks, models are D2D only).
OPEN_READABLE_TYPES = frozenset({"TABLE", "VIEW", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN_TABLE", "SCHEMA"})
# Unity Catalog ``TableInfo.table_type`` -> the share's ``data_object_type`` of such a table.
OBJECT_TYPE_OF_TABLE_TYPE = {"MANAGED": "TABLE", "EXTERNAL": "TABLE", "VIEW": "VIEW",
                             "MATERIALIZED_VIEW": "MATERIALIZED_VIEW", "STREAMING_TABLE": "STREAMING_TABLE",
                             "FOREIGN": "FOREIGN_TABLE"}
# What a local Delta folder can be registered as (``TableInfo.table_type``; FOREIGN is a foreign table's type).
REGISTERED_TABLE_TYPES = ("EXTERNAL", "MATERIALIZED_VIEW", "STREAMING_TABLE", "FOREIGN")
NOTEBOOK_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")  # a notebook file's string_shared_as
