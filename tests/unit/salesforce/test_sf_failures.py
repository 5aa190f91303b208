"""Salesforce error bodies and redaction: what reaches results and logs."""

from __future__ import annotations

import pytest

from service.salesforce.failures import SfError, errors_in, redact


def test_a_successful_collection_item_holds_no_error() -> None:
    assert errors_in([]) == []
    assert errors_in({"id": "00T000000000001AAA", "success": True, "errors": []}) == []


def test_error_arrays_and_unreadable_bodies_are_errors() -> None:
    body = [{"errorCode": "STRING_TOO_LONG", "message": "too long", "fields": ["Subject"]}]
    assert errors_in(body) == [SfError("STRING_TOO_LONG", "too long", ("Subject",))]
    assert [e.code for e in errors_in({"errors": [{"statusCode": "X", "message": "m"}]})] == ["X"]
    assert [e.code for e in errors_in("<html>502</html>")] == ["UNKNOWN_ERROR"]
    assert [e.code for e in errors_in(["not a dict"])] == ["UNKNOWN_ERROR"]


@pytest.mark.parametrize(
    "email",
    [
        "plain@x.example",
        "per%cent@x.example",
        "o'brien@x.example",
        "slash/and!bang@sub.x.example",
        'dq"uote@x.example',
        "a+tag@x.co.uk",
    ],
)
def test_redact_masks_the_whole_local_part(email: str) -> None:
    text = f"duplicate value found: Email duplicates value {email}, id 003"
    masked = redact(text)
    local = email.split("@", maxsplit=1)[0]
    assert "@" not in masked and local not in masked
    assert masked.startswith("duplicate value found: Email duplicates value <email>")


def test_redact_keeps_text_without_emails_and_stays_linear() -> None:
    assert redact("Required fields are missing: [LastName]") == "Required fields are missing: [LastName]"
    long_run = "x" * 200_000  # no '@': must not backtrack once per character
    assert redact(long_run) == long_run
