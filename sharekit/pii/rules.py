"""The detection rules of the PII check: what a column name or a sampled value looks like.

Detects e-mail addresses, phone numbers, national ids (US SSN pattern, and id-like column names), payment card
numbers (13-19 digits passing the Luhn check), person names, street addresses, IP addresses and dates of birth.
A column is flagged when its name says so, or when at least half of its sampled non-empty values look like it.
Pure Python; the sampling is in ``sharekit.pii.sampling`` (through the workspace client).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

VALUE_SHARE = 0.5  # at least this share of the sampled non-empty values must match

KINDS = {
    "email": "e-mail address", "phone": "phone number", "national_id": "national id", "card_number": "card number",
    "person_name": "person name", "address": "postal address", "ip_address": "IP address",
    "birth_date": "date of birth",
}

# name tokens (column names split on _ and camelCase) -> kind; checked in this order
_NAME_RULES: tuple[tuple[str, frozenset[str], tuple[tuple[str, str], ...]], ...] = (
    ("email", frozenset({"email", "mail", "emailaddress"}), ()),
    ("ip_address", frozenset({"ip", "ipaddress", "ipv4", "ipv6"}), (("remote", "addr"),)),
    ("phone", frozenset({"phone", "mobile", "telephone", "tel", "fax", "msisdn", "phonenumber"}), ()),
    ("national_id", frozenset({"ssn", "passport", "nationalid", "taxid", "nino", "socialsecurity", "personnummer"}),
     (("national", "id"), ("tax", "id"), ("social", "security"), ("national", "number"))),
    ("card_number", frozenset({"creditcard", "cardnumber", "ccnumber", "iban", "pan"}),
     (("card", "number"), ("card", "no"), ("card", "num"), ("credit", "card"), ("cc", "number"))),
    ("person_name", frozenset({"fullname", "firstname", "lastname", "surname", "givenname", "familyname",
                               "middlename", "maidenname"}),
     (("full", "name"), ("first", "name"), ("last", "name"), ("given", "name"), ("family", "name"),
      ("middle", "name"), ("contact", "name"), ("person", "name"), ("maiden", "name"))),
    ("address", frozenset({"address", "street", "postcode", "zipcode", "zip", "postalcode", "addressline"}),
     (("postal", "code"), ("zip", "code"), ("house", "number"))),
    ("birth_date", frozenset({"dob", "birthdate", "birthday", "dateofbirth"}), (("birth", "date"), ("date", "birth"))),
)

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d(][\d\s().-]{5,20}\d$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")
_CARD = re.compile(r"^[\d][\d -]{11,22}[\d]$")
_NAME = re.compile(r"^[A-Z][a-z'\u2019-]+(?: (?:[A-Z]\.|[A-Z][a-z'\u2019-]+)){1,3}$")
_STREET = re.compile(r"^\d+[A-Za-z]?\s+(?:[A-Za-z0-9.'-]+\s+){0,4}(?:street|st|avenue|ave|road|rd|lane|ln|boulevard|"
                     r"blvd|drive|dr|way|court|ct|place|pl|square|sq|strasse|straße)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PiiFinding:
    column: str
    kind: str  # a key of KINDS
    reason: str

    def __str__(self) -> str:
        return f"{self.column}: {KINDS.get(self.kind, self.kind)} ({self.reason})"


def name_tokens(column: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def kind_from_name(column: str) -> str | None:
    tokens = name_tokens(column)
    joined = "".join(tokens)
    pairs = set(itertools.pairwise(tokens))
    for kind, words, bigrams in _NAME_RULES:
        if joined in words or any(t in words for t in tokens) or any(p in pairs for p in bigrams):
            return kind
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def kind_of_value(value: Any) -> str | None:
    """What one value looks like (None: nothing personal)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        text = str(abs(value))
        return "card_number" if 13 <= len(text) <= 19 and luhn_ok(text) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _EMAIL.match(text):
        return "email"
    if _SSN.match(text):
        return "national_id"
    if _CARD.match(text):
        digits = re.sub(r"[ -]", "", text)
        if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_ok(digits):
            return "card_number"
    if ("." in text or ":" in text) and not _DATE_LIKE.match(text):
        try:
            ipaddress.ip_address(text)
            return "ip_address"
        except ValueError:
            pass
    if _PHONE.match(text) and not _DATE_LIKE.match(text):
        digits = re.sub(r"\D", "", text)
        if 7 <= len(digits) <= 15 and (text.startswith("+") or re.search(r"[\s().-]", text)):
            return "phone"
    if _STREET.match(text):
        return "address"
    if _NAME.match(text):
        return "person_name"
    return None


def check_columns(columns: Sequence[str], rows: Sequence[Sequence[Any]] = ()) -> list[PiiFinding]:
    """Findings for a table: by column name, and by sampled values (``rows`` in ``columns`` order)."""
    findings = []
    for index, column in enumerate(columns):
        by_name = kind_from_name(column)
        values = [row[index] for row in rows if index < len(row) and row[index] not in (None, "")]
        counts: dict[str, int] = {}
        for value in values:
            kind = kind_of_value(value)
            if kind is not None:
                counts[kind] = counts.get(kind, 0) + 1
        by_value, matched = max(counts.items(), key=lambda kv: kv[1]) if counts else (None, 0)
        value_hit = by_value is not None and matched >= max(1, VALUE_SHARE * len(values))
        if by_name is not None:
            reason = "column name"
            if value_hit and by_value == by_name:
                reason += f"; {matched}/{len(values)} sampled values match"
            findings.append(PiiFinding(column, by_name, reason))
        elif value_hit and by_value is not None:
            findings.append(PiiFinding(column, by_value, f"{matched}/{len(values)} sampled values look like "
                                                         f"{KINDS[by_value]}es" if by_value == "address" else
                                       f"{matched}/{len(values)} sampled values look like {KINDS[by_value]}s"))
    return findings
