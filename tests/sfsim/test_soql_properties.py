"""Properties of SOQL string literals: any value, escaped per Salesforce's rules, matches only itself."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfsim.ids import new_id
from sfsim.schema import Schema
from sfsim.soql import execute, quote, quote_like

NOW = datetime(2026, 3, 15, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that stress the lexer: quotes, backslashes, wildcards, control characters, non-ASCII.
_TRICKY = st.sampled_from(list("'\"\\%_\n\r\t\b\f\u00e9\u00df\u0130\u212a\U0001f600 aAzZ@.-+()=,"))
values = st.text(alphabet=st.one_of(_TRICKY, st.characters(blacklist_categories=("Cs",))), max_size=30)


class Source:
    def __init__(self, emails: list[str | None], indexed: bool) -> None:
        self.schema = Schema.default()
        n = itertools.count(1)
        self.contacts = [
            {"Id": new_id("Contact", next(n)), "LastName": f"c{i}", "Email": e, "IsDeleted": False}
            for i, e in enumerate(emails)
        ]
        self.by_id = {c["Id"]: c for c in self.contacts}
        self.indexed = indexed

    def records(self, sobject: str) -> list[dict[str, Any]]:
        return self.contacts if sobject == "Contact" else []

    def get(self, record_id: str) -> dict[str, Any] | None:
        return self.by_id.get(record_id)

    def index_lookup(self, sobject: str, field: str, value_lower: str) -> list[dict[str, Any]] | None:
        if not self.indexed or field != "Email":
            return None
        return [c for c in self.contacts if (c["Email"] or "").lower() == value_lower]


def _case_variants(draw: st.DrawFn, value: str) -> str:
    return draw(st.sampled_from([value, value.upper(), value.lower(), value.swapcase()]))


@st.composite
def org_and_probe(draw: st.DrawFn) -> tuple[list[str | None], str]:
    probe = draw(values.filter(bool))
    others = draw(st.lists(values, max_size=5))
    emails: list[str | None] = [_case_variants(draw, probe) for _ in range(draw(st.integers(0, 2)))]
    emails += others
    emails += [None] if draw(st.booleans()) else []
    return draw(st.permutations(emails)), _case_variants(draw, probe)


def _expected(src: Source, wanted: list[str]) -> list[str]:
    lowered = {w.lower() for w in wanted}
    return [c["Id"] for c in src.contacts if c["Email"] and c["Email"].lower() in lowered]


@SETTINGS
@given(org_and_probe(), st.booleans())
def test_equality_matches_exactly_the_same_email_ignoring_case(case: tuple[list[str | None], str], indexed: bool):
    emails, probe = case
    src = Source(emails, indexed)
    result = execute(f"SELECT Id FROM Contact WHERE Email = {quote(probe)}", src, now=NOW)
    assert sorted(r["Id"] for r in result) == sorted(_expected(src, [probe]))


@SETTINGS
@given(st.lists(values.filter(bool), min_size=1, max_size=6), st.lists(values, max_size=6), st.booleans())
def test_in_list_matches_exactly_the_listed_emails(wanted: list[str], others: list[str], indexed: bool):
    src = Source([*wanted[::2], *(w.swapcase() for w in wanted[1::2]), *others, None], indexed)
    in_list = ", ".join(quote(w) for w in wanted)
    result = execute(f"SELECT Id FROM Contact WHERE Email IN ({in_list})", src, now=NOW)
    assert sorted(r["Id"] for r in result) == sorted(_expected(src, wanted))
    negated = execute(f"SELECT Id FROM Contact WHERE Email NOT IN ({in_list})", src, now=NOW)
    assert sorted(r["Id"] for r in negated) == sorted(set(src.by_id) - set(_expected(src, wanted)))


@SETTINGS
@given(org_and_probe())
def test_like_with_escaped_wildcards_is_equality(case: tuple[list[str | None], str]):
    emails, probe = case
    src = Source(emails, indexed=False)
    result = execute(f"SELECT Id FROM Contact WHERE Email LIKE {quote_like(probe)}", src, now=NOW)
    assert sorted(r["Id"] for r in result) == sorted(_expected(src, [probe]))


@SETTINGS
@given(values)
def test_quoted_value_round_trips_through_the_result(value: str):
    src = Source([value or None], indexed=False)
    result = execute(f"SELECT Email FROM Contact WHERE Email = {quote(value)}", src, now=NOW)
    # Salesforce stores no empty strings: '' in a filter means null.
    assert [r["Email"] for r in result] == ([value] if value else [None])
