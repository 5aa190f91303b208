"""Emails in logs are masked: enough to tell two apart and see the domain, never the address itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.observability.logging import mask_email

MASK = re.compile(r"^(?P<start>.{0,2})…@(?P<domain>.*)#(?P<digest>[0-9a-f]{6})$", re.DOTALL)

locals_ = st.text(st.characters(exclude_characters="@", exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s
)
domains = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)


def test_a_mask_shows_two_letters_and_the_domain() -> None:
    masked = mask_email("Jane.Doe@TechCorp.com")
    assert masked.startswith("ja…@techcorp.com#")
    assert "jane" not in masked.lower()
    assert "doe" not in masked.lower()


@given(locals_, domains)
def test_a_mask_never_shows_more_than_two_characters_of_the_local_part(local: str, domain: str) -> None:
    masked = mask_email(f"{local}@{domain}")

    shape = MASK.match(masked)
    assert shape is not None, masked
    assert shape["start"] == local.lower()[:2]
    assert shape["domain"] == domain.lower()


@given(locals_, locals_, domains)
def test_two_different_emails_get_different_masks(a: str, b: str, domain: str) -> None:
    if a.lower() != b.lower():
        assert mask_email(f"{a}@{domain}") != mask_email(f"{b}@{domain}")


def test_the_same_address_in_another_case_or_with_spaces_gets_the_same_mask() -> None:
    assert mask_email(" Jane@TechCorp.com ") == mask_email("jane@techcorp.com")


@pytest.mark.parametrize("value", [None, "", "not-an-email"])
def test_something_that_is_not_an_email_is_masked_as_none(value: str | None) -> None:
    assert mask_email(value) == "<none>"
