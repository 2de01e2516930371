"""Which fields each shared-object type takes, and which changes need REMOVE + ADD instead of UPDATE.

Sources: the SDK's wire model (``databricks/sdk/service/sharing.py``: ``SharedDataObjectDataObjectType``, the
docstrings of ``SharedDataObject.shared_as`` / ``string_shared_as`` / ``content``) and the Terraform provider
(terraform-provider-databricks ``sharing/resource_share.go``: an object whose alias or type changes is removed
and added again; ``suppressCDFEnabledDiff``: "API does not accept both fields to be set").
"""

from __future__ import annotations

from sharekit import names

# The rules themselves are ``sharekit.names`` (one definition, enforced by the embedded server too); this module
# words them for documents and adds what only the config engine needs (nameable kinds, default aliases).
TABLE_LIKE = names.TABLE_LIKE_TYPES  # aliased with shared_as, a 2-part <schema>.<table>
STRING_ALIASED = names.STRING_ALIAS_TYPES  # aliased with string_shared_as (a file name for notebooks)
OBJECT_TYPES = names.OBJECT_TYPES
# Every kind a document can name. An object of any other kind (a type added to the API after this SDK, which the
# SDK hands over as None) is never removed, replaced or pruned: sharekit cannot say what it would delete.
NAMEABLE = frozenset(OBJECT_TYPES)
UNKNOWN = "UNKNOWN"
HISTORY_TYPES = names.HISTORY_TYPES
PARTITION_TYPES = names.PARTITION_TYPES
NOTEBOOK_ALIAS = names.NOTEBOOK_FILE_NAME
# How many dot-separated parts the full name has (schemas are catalog.schema; the rest catalog.schema.object).
NAME_PARTS = {kind: (2 if kind == "SCHEMA" else 3) for kind in OBJECT_TYPES}


def aliasable(kind: str) -> bool:
    return kind in TABLE_LIKE or kind in STRING_ALIASED


def wire_alias_field(kind: str) -> str | None:
    """The SharedDataObject field that carries the alias of ``kind`` on the wire (None: no alias)."""
    if kind in TABLE_LIKE:
        return "shared_as"
    if kind in STRING_ALIASED:
        return "string_shared_as"
    return None


def default_alias(name: str, kind: str) -> str | None:
    """The alias the workspace generates when none is given: ``<schema>.<object>`` (None where unknown)."""
    if kind == "NOTEBOOK_FILE" or not aliasable(kind):
        return None
    return ".".join(name.split(".")[-2:])


def check_alias(alias: str, kind: str) -> str:
    """The alias in canonical form, or ValueError saying what the type accepts."""
    if kind == "NOTEBOOK_FILE":
        if not NOTEBOOK_ALIAS.match(alias):
            raise ValueError(f"shared_as {alias!r} of a notebook must be a file name (letters, digits, '_', '.', '-')")
        return alias
    text = alias.strip().lower()
    pieces = text.split(".")
    if len(pieces) != 2 or not all(names.ALIAS_PART.match(p) for p in pieces):
        raise ValueError(f"shared_as {alias!r} must be <schema>.<name> (letters, digits, '_')")
    return text


def field_problems(kind: str, *, alias: bool, string_alias: bool, partitions: bool, history: bool,
                   start_version: bool, content: bool) -> list[str]:
    """What the API refuses for this type; each entry is a sentence for the document's error message."""
    out = []
    if (alias or string_alias) and not aliasable(kind):
        out.append(f"a {kind} object takes no shared_as")
    if string_alias and kind in TABLE_LIKE:
        out.append(f"a {kind} object is aliased with shared_as, not string_shared_as")
    if partitions and kind not in PARTITION_TYPES:
        out.append(f"a {kind} object takes no partitions (only {', '.join(sorted(PARTITION_TYPES))})")
    if (history or start_version) and kind not in HISTORY_TYPES:
        out.append(f"a {kind} object is shared without history (history only for "
                   f"{', '.join(sorted(HISTORY_TYPES))})")
    if content and kind not in names.CONTENT_TYPES:
        out.append("content_file is only for NOTEBOOK_FILE objects")
    return out


# Changes an UPDATE cannot express (the provider removes and re-adds the object, resource_share.go Update).
REPLACED_FIELDS = frozenset({"type", "shared_as"})
