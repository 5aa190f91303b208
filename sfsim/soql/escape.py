"""Salesforce string-literal escaping (the simulator's own; the service has its own escaper)."""

from __future__ import annotations

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


def quote(value: str) -> str:
    """`value` as a quoted SOQL string literal: `O'Brien` -> `'O\\'Brien'`."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def quote_like(value: str) -> str:
    """`value` as a quoted LIKE pattern matching only itself (`%` and `_` escaped too)."""
    return "'" + "".join(_LIKE_ESCAPES.get(ch, ch) for ch in value) + "'"
