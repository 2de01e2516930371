"""The partition specification of a shared table, applied on the server for one recipient.

Partitions are OR-ed, the values inside one partition AND-ed. A value is either static (``value``) or taken
from the recipient's property (``recipient_property_key``); a recipient without that property matches no
partition that needs it, so it sees no files of that partition rather than all of them. The filter is
fail-closed: a file is listed only when a partition matches it for certain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sharekit.names import like_pattern
from sharekit.server.metastore.records import Partition, Recipient, SharedObject


@dataclass(frozen=True)
class Term:
    column: str  # lower-case
    op: str  # EQUAL | LIKE
    value: str | None  # resolved; None with a property key = the recipient lacks the property


@dataclass(frozen=True)
class PartitionFilter:
    """``None`` alternatives = everything (the object has no partition spec)."""

    alternatives: tuple[tuple[Term, ...], ...] | None

    @property
    def restricts(self) -> bool:
        return self.alternatives is not None

    @property
    def columns(self) -> tuple[str, ...]:
        """The (lower-case) columns the filter reads: its answer for a file depends on these values alone."""
        return tuple(sorted({t.column for terms in self.alternatives or () for t in terms}))

    def allows(self, partition_values: Mapping[str, str | None]) -> bool:
        if self.alternatives is None:
            return True
        values = {k.lower(): v for k, v in partition_values.items()}
        return any(all(_term_matches(term, values) for term in terms) for terms in self.alternatives)


ALLOW_ALL = PartitionFilter(None)


def for_recipient(shared: SharedObject, recipient: Recipient) -> PartitionFilter:
    if not shared.partitions:
        return ALLOW_ALL
    properties = {k.lower(): v for k, v in (recipient.properties or {}).items()}
    return PartitionFilter(tuple(_resolve(p, properties) for p in shared.partitions))


def _resolve(partition: Partition, properties: Mapping[str, str]) -> tuple[Term, ...]:
    terms = []
    for value in partition.values:
        if value.recipient_property_key is not None:
            resolved = properties.get(value.recipient_property_key.lower())
            terms.append(Term(value.name.lower(), value.op.upper(), resolved))
            if resolved is None:
                terms.append(_NEVER)
        else:
            terms.append(Term(value.name.lower(), value.op.upper(), value.value))
    return tuple(terms)


_NEVER = Term("", "NEVER", None)


def _term_matches(term: Term, values: Mapping[str, str | None]) -> bool:
    if term.op == "NEVER" or term.column not in values:
        return False
    actual = values[term.column]
    if term.value is None or actual is None:
        # A static ``value: null`` selects the null partition; a missing property selects nothing.
        return term.op == "EQUAL" and term.value is None and actual is None
    if term.op == "EQUAL":
        return actual == term.value
    if term.op == "LIKE":
        return like_pattern(term.value, ignore_case=False).fullmatch(actual) is not None
    return False
