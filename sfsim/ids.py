"""Salesforce record IDs: key prefixes, 15/18-character forms, generation.

A 15-character ID is base-62 and case-sensitive; the API returns 18 characters: the 15 plus a
3-character case-safe suffix (SALESFORCE-API.md section 8). The first 3 characters are the key
prefix of the sObject type.
"""

from __future__ import annotations

import random

KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Note": "002",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "OpportunityContactRole": "00K",
    "EventRelation": "0RE",
    "ContentDocument": "069",
    # A ContentNote's Id is its ContentDocument's Id: same prefix, so prefix -> type is not unique.
    "ContentNote": "069",
}

# Reverse map. 069 resolves to ContentDocument, the type the ID really belongs to.
PREFIX_TO_SOBJECT: dict[str, str] = {}
for _name, _prefix in KEY_PREFIXES.items():
    PREFIX_TO_SOBJECT.setdefault(_prefix, _name)

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62_SET = frozenset(BASE62)
# Characters 4-5 are the pod/instance, character 6 is reserved; the last 9 identify the record.
_POD = "5g"
_SERIAL_LEN = 9


class InvalidIdError(ValueError):
    """Not a well-formed 15- or 18-character Salesforce ID."""


def _suffix(id15: str) -> str:
    out = []
    for chunk_start in (0, 5, 10):
        value = 0
        for bit, ch in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= ch <= "Z":
                value |= 1 << bit
        out.append(_SUFFIX_ALPHABET[value])
    return "".join(out)


def to18(id15: str) -> str:
    """Append the case-safe suffix to a 15-character ID."""
    if len(id15) != 15 or not _BASE62_SET.issuperset(id15):
        raise InvalidIdError(f"not a 15-character Salesforce id: {id15!r}")
    return id15 + _suffix(id15)


def normalize_id(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character ID.

    An 18-character ID whose suffix was mangled in case (e.g. lower-cased by a spreadsheet) is
    repaired: the suffix tells which of the first 15 characters are upper case.
    """
    if len(record_id) == 15:
        return to18(record_id)
    if len(record_id) != 18 or not _BASE62_SET.issuperset(record_id):
        raise InvalidIdError(f"not a Salesforce id: {record_id!r}")
    head, suffix = record_id[:15], record_id[15:].upper()
    if _suffix(head) == suffix:
        return head + suffix
    # Rebuild the case of the first 15 characters from the suffix bits.
    chars = list(head)
    for chunk, code in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.find(code)
        if bits < 0:
            raise InvalidIdError(f"not a Salesforce id: {record_id!r}")
        for i in range(5):
            pos = chunk * 5 + i
            chars[pos] = chars[pos].upper() if bits & (1 << i) else chars[pos].lower()
    fixed = "".join(chars)
    if _suffix(fixed) != suffix:
        raise InvalidIdError(f"not a Salesforce id: {record_id!r}")
    return fixed + suffix


def is_valid_id(value: str) -> bool:
    """True for a well-formed 15-character ID or an 18-character ID with a matching suffix."""
    if len(value) == 15:
        return _BASE62_SET.issuperset(value)
    return len(value) == 18 and _BASE62_SET.issuperset(value) and _suffix(value[:15]) == value[15:]


def sobject_of(record_id: str) -> str | None:
    """The sObject type named by an ID's key prefix, or None for an unknown prefix."""
    return PREFIX_TO_SOBJECT.get(record_id[:3])


def new_id(sobject: str, counter_or_rng: int | random.Random) -> str:
    """A new 18-character ID for ``sobject``.

    With an int, the ID is deterministic and distinct per counter value (same counter, same ID);
    with a ``random.Random``, the 9 record characters are drawn from it.
    """
    try:
        prefix = KEY_PREFIXES[sobject]
    except KeyError:
        raise InvalidIdError(f"no key prefix for sObject {sobject!r}") from None
    if isinstance(counter_or_rng, random.Random):
        serial = "".join(counter_or_rng.choice(BASE62) for _ in range(_SERIAL_LEN))
    else:
        n = counter_or_rng
        if n < 0 or n >= 62**_SERIAL_LEN:
            raise InvalidIdError(f"id counter out of range: {n}")
        digits = []
        for _ in range(_SERIAL_LEN):
            n, r = divmod(n, 62)
            digits.append(BASE62[r])
        serial = "".join(reversed(digits))
    return to18(prefix + _POD + "0" + serial)
