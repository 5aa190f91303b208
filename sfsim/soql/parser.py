"""Recursive-descent SOQL parser: tokens -> syntax tree (names not yet checked against a schema).

Grammar (the supported subset; anything else is MALFORMED_QUERY "unexpected token: X"):

    query      := SELECT items FROM ident [WHERE cond] [ORDER BY order (',' order)*]
                  [LIMIT int] [OFFSET int]
    items      := item (',' item)*
    item       := path | COUNT '(' ')' | '(' query ')'          -- the last is a child subquery
    path       := ident ('.' ident)*
    cond       := unary (AND unary)* | unary (OR unary)*        -- AND and OR never mix unparenthesized
    unary      := NOT unary | '(' cond ')' | simple
    simple     := path op value
                | path [NOT] IN '(' (value (',' value)* | query) ')'
                | path LIKE string
    op         := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
    value      := string | number | date | datetime | TRUE | FALSE | NULL | dateliteral [':' int]
    order      := path [ASC | DESC] [NULLS (FIRST | LAST)]
"""

from __future__ import annotations

from dataclasses import dataclass

from .dates import DATE_LITERALS, N_DATE_LITERALS
from .errors import MAX_STATEMENT, SoqlError, located
from .lexer import DATE, DATETIME, EOF, IDENT, NUMBER, OP, PUNCT, STRING, Token, tokenize

# Words that cannot be a field or object name in the subset (they end a clause).
_RESERVED = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE", "ORDER", "BY",
        "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "GROUP", "HAVING", "WITH", "FOR",
        "USING", "INCLUDES", "EXCLUDES", "TYPEOF", "UPDATE", "VIEW", "REFERENCE", "ROLLUP", "CUBE",
    }
)  # fmt: skip


@dataclass(frozen=True)
class RawPath:
    parts: tuple[str, ...]
    row: int
    col: int

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class RawValue:
    token: Token
    # "string" | "number" | "date" | "datetime" | "bool" | "null" | "dateliteral"
    kind: str
    value: object
    n: int | None = None  # for LAST_N_DAYS:n and friends


@dataclass(frozen=True)
class RawCompare:
    path: RawPath
    op: str
    value: RawValue


@dataclass(frozen=True)
class RawIn:
    path: RawPath
    negate: bool
    values: tuple[RawValue, ...] | None
    subquery: RawQuery | None
    token: Token


@dataclass(frozen=True)
class RawLike:
    path: RawPath
    value: RawValue


@dataclass(frozen=True)
class RawBool:
    op: str  # "AND" | "OR"
    items: tuple[RawCond, ...]
    token: Token  # first AND/OR


@dataclass(frozen=True)
class RawNot:
    item: RawCond
    token: Token


RawCond = RawCompare | RawIn | RawLike | RawBool | RawNot


@dataclass(frozen=True)
class RawCount:
    token: Token


@dataclass(frozen=True)
class RawOrder:
    path: RawPath
    desc: bool
    nulls_last: bool | None


@dataclass(frozen=True)
class RawQuery:
    items: tuple[RawPath | RawCount | RawQuery, ...]
    sobject: str
    sobject_token: Token
    where: RawCond | None
    order: tuple[RawOrder, ...]
    limit: int | None
    offset: int | None
    select_token: Token
    limit_token: Token | None = None
    offset_token: Token | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != EOF:
            self.pos += 1
        return tok

    def fail(self, tok: Token | None = None, message: str | None = None) -> SoqlError:
        tok = tok or self.tok
        msg = message or f"unexpected token: {tok.shown()}"
        return SoqlError("MALFORMED_QUERY", located(self.text, tok.row, tok.col, msg))

    def is_kw(self, word: str, tok: Token | None = None) -> bool:
        tok = tok or self.tok
        return tok.kind == IDENT and tok.upper == word

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.fail()
        return self.advance()

    def is_punct(self, ch: str, tok: Token | None = None) -> bool:
        tok = tok or self.tok
        return tok.kind == PUNCT and tok.text == ch

    def expect_punct(self, ch: str) -> Token:
        if not self.is_punct(ch):
            raise self.fail()
        return self.advance()

    def name(self) -> Token:
        tok = self.tok
        if tok.kind != IDENT or tok.upper in _RESERVED:
            raise self.fail()
        return self.advance()

    # -- grammar
    def query(self, nested: bool) -> RawQuery:
        select_tok = self.expect_kw("SELECT")
        items: list[RawPath | RawCount | RawQuery] = [self.item(nested)]
        while self.is_punct(","):
            self.advance()
            items.append(self.item(nested))
        self.expect_kw("FROM")
        sobject_tok = self.name()
        where = None
        if self.is_kw("WHERE"):
            self.advance()
            where = self.cond()
        order: list[RawOrder] = []
        if self.is_kw("ORDER"):
            self.advance()
            self.expect_kw("BY")
            order.append(self.order_item())
            while self.is_punct(","):
                self.advance()
                order.append(self.order_item())
        limit = offset = None
        limit_tok = offset_tok = None
        if self.is_kw("LIMIT"):
            limit_tok = self.advance()
            limit = self.integer()
        if self.is_kw("OFFSET"):
            offset_tok = self.advance()
            offset = self.integer()
        return RawQuery(
            items=tuple(items),
            sobject=sobject_tok.text,
            sobject_token=sobject_tok,
            where=where,
            order=tuple(order),
            limit=limit,
            offset=offset,
            select_token=select_tok,
            limit_token=limit_tok,
            offset_token=offset_tok,
        )

    def integer(self) -> int:
        tok = self.tok
        if tok.kind != NUMBER or not isinstance(tok.value, int) or tok.text[0] in "+-":
            raise self.fail()
        self.advance()
        return tok.value

    def item(self, nested: bool) -> RawPath | RawCount | RawQuery:
        if self.is_punct("("):
            if nested:
                # Child subqueries inside child subqueries: not in the subset.
                raise self.fail()
            self.advance()
            sub = self.query(nested=True)
            self.expect_punct(")")
            return sub
        if self.is_kw("COUNT") and self.is_punct("(", self.peek()):
            tok = self.advance()
            self.advance()
            self.expect_punct(")")
            return RawCount(tok)
        return self.path()

    def path(self) -> RawPath:
        first = self.name()
        parts = [first.text]
        while self.is_punct("."):
            self.advance()
            tok = self.tok
            if tok.kind != IDENT:
                raise self.fail()
            parts.append(self.advance().text)
        return RawPath(tuple(parts), first.row, first.col)

    def order_item(self) -> RawOrder:
        path = self.path()
        desc = False
        nulls_last: bool | None = None
        if self.is_kw("ASC"):
            self.advance()
        elif self.is_kw("DESC"):
            self.advance()
            desc = True
        if self.is_kw("NULLS"):
            self.advance()
            if self.is_kw("FIRST"):
                nulls_last = False
            elif self.is_kw("LAST"):
                nulls_last = True
            else:
                raise self.fail()
            self.advance()
        return RawOrder(path, desc, nulls_last)

    def cond(self) -> RawCond:
        first = self.unary()
        if not (self.is_kw("AND") or self.is_kw("OR")):
            return first
        op_tok = self.tok
        op = op_tok.upper
        items = [first]
        while self.is_kw(op):
            self.advance()
            items.append(self.unary())
        other = "OR" if op == "AND" else "AND"
        if self.is_kw(other):
            # Salesforce refuses `a AND b OR c`: parentheses are required.
            raise self.fail()
        return RawBool(op, tuple(items), op_tok)

    def unary(self) -> RawCond:
        if self.is_kw("NOT"):
            tok = self.advance()
            return RawNot(self.unary(), tok)
        if self.is_punct("("):
            self.advance()
            inner = self.cond()
            self.expect_punct(")")
            return inner
        return self.simple()

    def simple(self) -> RawCond:
        path = self.path()
        tok = self.tok
        if tok.kind == OP:
            self.advance()
            return RawCompare(path, tok.text, self.value())
        if self.is_kw("LIKE"):
            self.advance()
            if self.tok.kind != STRING:
                raise self.fail()
            return RawLike(path, self.value())
        negate = False
        if self.is_kw("NOT") and self.is_kw("IN", self.peek()):
            self.advance()
            negate = True
        if self.is_kw("IN"):
            in_tok = self.advance()
            self.expect_punct("(")
            if self.is_kw("SELECT"):
                sub = self.query(nested=True)
                self.expect_punct(")")
                return RawIn(path, negate, None, sub, in_tok)
            values = [self.value()]
            while self.is_punct(","):
                self.advance()
                values.append(self.value())
            self.expect_punct(")")
            return RawIn(path, negate, tuple(values), None, in_tok)
        raise self.fail()

    def value(self) -> RawValue:
        tok = self.tok
        if tok.kind == STRING:
            self.advance()
            return RawValue(tok, "string", tok.value)
        if tok.kind == NUMBER:
            self.advance()
            return RawValue(tok, "number", tok.value)
        if tok.kind == DATE:
            self.advance()
            return RawValue(tok, "date", tok.value)
        if tok.kind == DATETIME:
            self.advance()
            return RawValue(tok, "datetime", tok.value)
        if tok.kind == IDENT:
            word = tok.upper
            if word in ("TRUE", "FALSE"):
                self.advance()
                return RawValue(tok, "bool", word == "TRUE")
            if word == "NULL":
                self.advance()
                return RawValue(tok, "null", None)
            if word in DATE_LITERALS:
                self.advance()
                return RawValue(tok, "dateliteral", word)
            if word in N_DATE_LITERALS:
                self.advance()
                self.expect_punct(":")
                n = self.integer()
                return RawValue(tok, "dateliteral", word, n)
        raise self.fail()


def parse_syntax(text: str) -> RawQuery:
    """Parse SOQL text into a syntax tree; raise SoqlError MALFORMED_QUERY on bad syntax."""
    if len(text) > MAX_STATEMENT:
        raise SoqlError("MALFORMED_QUERY", f"SOQL statements can not be longer than {MAX_STATEMENT} characters")
    p = _Parser(text)
    q = p.query(nested=False)
    if p.tok.kind != EOF:
        raise p.fail()
    return q
