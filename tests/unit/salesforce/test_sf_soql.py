"""SOQL escaping: no value can change a query's meaning (invariant 8)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.lookup import ReadRequest
from service.salesforce.queries import MAX_STATEMENT_CHARS, contact_queries, read_queries
from service.salesforce.soql import SoqlLiteral, in_list, like_pattern, quote, soql

_UNESCAPE = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_LIKE_UNESCAPE = {**_UNESCAPE, "%": "%", "_": "_"}


def read_literal(text: str, start: int, *, like: bool = False) -> tuple[list[tuple[str, bool]], int]:
    """A tiny SOQL literal reader: ([(char, is_wildcard)], index after the closing quote)."""
    assert text[start] == "'"
    table = _LIKE_UNESCAPE if like else _UNESCAPE
    out: list[tuple[str, bool]] = []
    i = start + 1
    while True:
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1]
            if nxt not in table:
                raise ValueError(f"invalid escape \\{nxt}")
            out.append((table[nxt], False))
            i += 2
        elif ch == "'":
            return out, i + 1
        else:
            out.append((ch, like and ch in "%_"))
            i += 1


@given(st.text())
def test_a_quoted_value_reads_back_exactly_and_closes_at_the_end(value: str) -> None:
    literal = quote(value).text
    chars, end = read_literal(literal, 0)
    assert "".join(c for c, _ in chars) == value
    assert end == len(literal)  # nothing after the literal: the value cannot append SOQL


@given(st.text())
def test_a_like_pattern_has_wildcards_only_where_we_put_them(value: str) -> None:
    literal = like_pattern(value, prefix_any=True, suffix_any=True).text
    chars, end = read_literal(literal, 0, like=True)
    assert end == len(literal)
    assert chars[0] == ("%", True) and chars[-1] == ("%", True)
    assert not any(wild for _, wild in chars[1:-1])
    assert "".join(c for c, _ in chars[1:-1]) == value


@given(st.lists(st.emails() | st.text(min_size=1), min_size=1, max_size=20))
def test_an_in_list_holds_exactly_the_values(values: list[str]) -> None:
    statement = soql("SELECT Id FROM Contact WHERE Email IN {emails}", emails=in_list(values))
    prefix = "SELECT Id FROM Contact WHERE Email IN ("
    assert statement.startswith(prefix)
    i, read = len(prefix), []
    while True:
        chars, i = read_literal(statement, i)
        read.append("".join(c for c, _ in chars))
        if statement[i] == ")":
            break
        assert statement[i : i + 2] == ", "
        i += 2
    assert read == values
    assert i == len(statement) - 1


def test_obrien_is_escaped_not_closed() -> None:
    assert quote("o'brien@x.com").text == r"'o\'brien@x.com'"
    assert like_pattern("a_b%c").text == r"'a\_b\%c'"


def test_soql_refuses_raw_strings() -> None:
    with pytest.raises(TypeError):
        soql("SELECT Id FROM Contact WHERE Email = {e}", e="x' OR Name != '")  # type: ignore[arg-type]
    assert soql("X = {e}", e=SoqlLiteral("'a'")) == "X = 'a'"


def test_two_hundred_participants_fit_one_statement_each_and_long_lists_are_chunked() -> None:
    emails = [f"person.with.a.long.name{i}@some-company-domain.example.com" for i in range(200)]
    queries = read_queries(ReadRequest(tuple(emails), ("example.com",), None))
    assert [q.kind for q in queries] == ["contacts", "leads", "opportunities", "accounts"]
    assert all(len(q.statement) <= MAX_STATEMENT_CHARS for q in queries)
    huge = [("x" * 300) + f"{i}@x.com" for i in range(1000)]
    chunks = contact_queries(huge)
    assert len(chunks) > 1 and all(len(q.statement) <= MAX_STATEMENT_CHARS for q in chunks)
    found = [m for q in chunks for m in re.findall(r"'([^']*)'", q.statement.split("FROM Contact WHERE")[1])]
    assert found == huge
