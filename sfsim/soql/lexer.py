"""SOQL tokenizer: identifiers, keywords, string/number/date/datetime literals, punctuation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from .errors import SoqlError, located

# Token kinds
IDENT = "IDENT"
STRING = "STRING"
NUMBER = "NUMBER"
DATE = "DATE"
DATETIME = "DATETIME"
OP = "OP"  # = != <> < <= > >=
PUNCT = "PUNCT"  # ( ) , . :
EOF = "EOF"

_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2}))?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_SIMPLE_ESCAPES = {
    "n": "\n",
    "N": "\n",
    "r": "\r",
    "R": "\r",
    "t": "\t",
    "T": "\t",
    "b": "\b",
    "B": "\b",
    "f": "\f",
    "F": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # source text (for messages); upper-cased keyword test uses `upper`
    value: object
    row: int
    col: int
    # For STRING: indexes in `value` of `%`/`_` written as `\%`/`\_` (literal, only valid in LIKE).
    like_escapes: frozenset[int] = frozenset()

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == IDENT else ""

    def shown(self) -> str:
        return "<EOF>" if self.kind == EOF else self.text


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens; raise MALFORMED_QUERY on a character or literal SOQL rejects."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    row, line_start = 1, 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            row += 1
            i += 1
            line_start = i
            continue
        if ch in " \t\r\f":
            i += 1
            continue
        col = i - line_start + 1
        if ch in _IDENT_START:
            j = i + 1
            while j < n and text[j] in _IDENT_CHARS:
                j += 1
            tokens.append(Token(IDENT, text[i:j], text[i:j], row, col))
            i = j
            continue
        if ch == "'":
            tok, i = _string(text, i, row, col)
            tokens.append(tok)
            continue
        if ch.isdigit() or (ch in "+-." and i + 1 < n and (text[i + 1].isdigit() or text[i + 1] == ".")):
            m = _DATETIME.match(text, i) if ch.isdigit() else None
            if m and (m.end() == n or text[m.end()] not in _IDENT_CHARS):
                tokens.append(_date_token(text, m, row, col))
                i = m.end()
                continue
            m = _NUMBER.match(text, i)
            if m:
                j = m.end()
                if j < n and text[j] in _IDENT_CHARS:
                    raise SoqlError("MALFORMED_QUERY", located(text, row, col, f"unexpected token: {text[i : j + 1]}"))
                raw = m.group()
                value: object = float(raw) if ("." in raw) else int(raw)
                tokens.append(Token(NUMBER, raw, value, row, col))
                i = j
                continue
        two = text[i : i + 2]
        if two in ("!=", "<>", "<=", ">="):
            tokens.append(Token(OP, two, two, row, col))
            i += 2
            continue
        if ch in "=<>":
            tokens.append(Token(OP, ch, ch, row, col))
            i += 1
            continue
        if ch in "(),.:":
            tokens.append(Token(PUNCT, ch, ch, row, col))
            i += 1
            continue
        raise SoqlError("MALFORMED_QUERY", located(text, row, col, f"unexpected token: {ch}"))
    tokens.append(Token(EOF, "", None, row, n - line_start + 1))
    return tokens


def _string(text: str, start: int, row: int, col: int) -> tuple[Token, int]:
    out: list[str] = []
    like_escapes: set[int] = set()
    i, n = start + 1, len(text)
    while True:
        if i >= n:
            raise SoqlError("MALFORMED_QUERY", located(text, row, col, f"unexpected token: {text[start:]}"))
        ch = text[i]
        if ch == "'":
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt in _SIMPLE_ESCAPES and nxt:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in ("%", "_") and nxt:
            like_escapes.add(len(out))
            out.append(nxt)
            i += 2
        elif nxt == "u" and i + 6 <= n and all(c in _HEX for c in text[i + 2 : i + 6]):
            out.append(chr(int(text[i + 2 : i + 6], 16)))
            i += 6
        else:
            end = text.find("'", i + 2)
            literal = text[start : end + 1] if end > 0 else text[start:]
            raise SoqlError(
                "MALFORMED_QUERY",
                located(
                    text,
                    row,
                    col,
                    f"Invalid string literal {literal}. Illegal escape sequence: \\{nxt}",
                ),
            )
    raw = text[start : i + 1]
    return Token(STRING, raw, "".join(out), row, col, frozenset(like_escapes)), i + 1


def _date_token(text: str, m: re.Match[str], row: int, col: int) -> Token:
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        day = date(int(y), int(mo), int(d))
        if hh is None:
            return Token(DATE, m.group(), day, row, col)
        micro = int((frac or "0").ljust(6, "0")[:6])
        if tz == "Z":
            tzinfo: timezone = UTC
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        value = datetime(day.year, day.month, day.day, int(hh), int(mi), int(ss), micro, tzinfo=tzinfo)
    except ValueError:
        raise SoqlError("MALFORMED_QUERY", located(text, row, col, f"unexpected token: {m.group()}")) from None
    return Token(DATETIME, m.group(), value.astimezone(UTC), row, col)
