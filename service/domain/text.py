"""Cutting text to Salesforce's field limits without breaking a character.

Salesforce measures text in UTF-16 code units (Java strings), Python in code points; we count the
larger of the two, so a cut value fits both. A cut never splits a surrogate pair, never leaves a
combining accent, a variation selector or a skin-tone modifier without its base character, and never
ends on a zero-width joiner (half an emoji sequence).
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_JOINERS = frozenset({"\u200d"})


def length(text: str) -> int:
    """The length Salesforce sees: UTF-16 code units (never fewer than Python's characters)."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def _extends_previous(char: str) -> bool:
    """True for characters that belong to the character before them."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in {"Mn", "Me", "Mc"}
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
        or char in _JOINERS
    )


def cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits in `limit`, else its longest clean prefix followed by `ellipsis`."""
    if length(text) <= limit:
        return text
    budget = limit - length(ellipsis)
    if budget < 0:
        ellipsis, budget = "", limit
    end = 0
    used = 0
    for index, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > budget:
            break
        used += size
        end = index + 1
    # Back off so that the first dropped character starts a new character and we do not end on a joiner.
    # A dropped joiner is fine: what precedes it is a whole character.
    while end > 0 and ((_extends_previous(text[end]) and text[end] not in _JOINERS) or text[end - 1] in _JOINERS):
        end -= 1
    kept = text[:end]
    while kept and (kept[-1].isspace() or kept[-1] in _JOINERS):
        kept = kept[:-1]
    return kept + ellipsis


def cut_keeping_tail(body: str, tail: str, limit: int) -> str:
    """`body` cut so that `body + tail` fits in `limit`; the tail (our marker) is never cut."""
    room = limit - length(tail)
    if room <= 0:
        return tail[:limit]
    return cut(body, room) + tail
