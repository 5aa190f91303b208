"""The one way values enter SOQL: every literal is built here, and `soql()` accepts nothing else.

Salesforce's rules: inside a quoted string `\\` `'` `"` and the control characters `\\n \\r \\t \\b \\f`
are escaped with a backslash; in a LIKE pattern `\\%` and `\\_` stand for a literal `%` and `_`.
A participant's email therefore can never close the literal early or add a wildcard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import LiteralString

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_LIKE_ESCAPES = {**_ESCAPES, "%": "\\%", "_": "\\_"}
_STRING_TRANSLATION = str.maketrans(_ESCAPES)
_LIKE_TRANSLATION = str.maketrans(_LIKE_ESCAPES)


@dataclass(frozen=True)
class SoqlLiteral:
    """A fragment of SOQL that is safe to paste: only this module creates one."""

    text: str


def quote(value: str) -> SoqlLiteral:
    """A quoted SOQL string literal that matches `value` exactly (case-insensitively, as SOQL does)."""
    return SoqlLiteral("'" + value.translate(_STRING_TRANSLATION) + "'")


def like_pattern(value: str, *, prefix_any: bool = False, suffix_any: bool = False) -> SoqlLiteral:
    """A quoted LIKE pattern: `value` literally (its `%` and `_` escaped), with optional `%` around."""
    body = value.translate(_LIKE_TRANSLATION)
    return SoqlLiteral("'" + ("%" if prefix_any else "") + body + ("%" if suffix_any else "") + "'")


def in_list(values: Iterable[str]) -> SoqlLiteral:
    """`('a', 'b')` for an IN clause; an empty list would be a syntax error, so it is refused."""
    items = [quote(v).text for v in values]
    if not items:
        raise ValueError("an IN list needs at least one value")
    return SoqlLiteral("(" + ", ".join(items) + ")")


def datetime_literal(value: datetime) -> SoqlLiteral:
    """An unquoted UTC dateTime literal (`2026-01-31T10:00:00Z`); naive datetimes are refused."""
    if value.tzinfo is None:
        raise ValueError("SOQL dateTime literals need an aware datetime")
    return SoqlLiteral(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def id_literal(value: str) -> SoqlLiteral:
    """A quoted record Id (Ids are alphanumeric; anything else is refused rather than escaped)."""
    if not value.isalnum() or not value.isascii() or len(value) not in (15, 18):
        raise ValueError("not a Salesforce record Id")
    return SoqlLiteral("'" + value + "'")


def soql(template: LiteralString, **values: SoqlLiteral) -> str:
    """Fill `{name}` placeholders of a constant template with literals built by this module."""
    for name, value in values.items():
        if not isinstance(value, SoqlLiteral):
            raise TypeError(f"SOQL value {name!r} must come from quote()/like_pattern()/in_list()")
    return template.format_map({name: value.text for name, value in values.items()})


def or_clauses(template: LiteralString, name: str, values: Iterable[SoqlLiteral]) -> SoqlLiteral:
    """`(tpl(v1) OR tpl(v2) ...)`: e.g. `Website LIKE {p}` over several patterns."""
    parts = [soql(template, **{name: v}) for v in values]
    if not parts:
        raise ValueError("an OR group needs at least one value")
    return SoqlLiteral("(" + " OR ".join(parts) + ")")
