"""Decoding upstream bytes: a valid meeting or config, or a Rejection that says what is wrong and whose it was."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pipeline_builders import JOHN, ORG_ID, meeting_bytes, meeting_dict

from service.domain.messages import ActionItemStatus, MeetingSummary, OrgConfig
from service.pipeline.codec import Rejection, decode_meeting, decode_org_config

LIMIT = 1_000_000


def rejected(value: bytes | None, max_bytes: int = LIMIT) -> Rejection:
    decoded = decode_meeting(value, max_bytes=max_bytes)
    assert isinstance(decoded, Rejection), f"expected a rejection, got {decoded!r}"
    return decoded


def as_bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_a_valid_meeting_decodes_with_its_fields() -> None:
    decoded = decode_meeting(meeting_bytes(meeting_id="m-7", revision=3), max_bytes=LIMIT)

    assert isinstance(decoded, MeetingSummary)
    assert (decoded.org_id, decoded.meeting_id, decoded.revision, decoded.event_id) == (ORG_ID, "m-7", 3, "m-7-r3")
    assert [p.email for p in decoded.participants] == ["dana@acme.io", JOHN]
    assert decoded.action_items[0].status is ActionItemStatus.OPEN


def test_a_meeting_without_schema_version_is_read_as_version_1() -> None:
    doc = meeting_dict()
    del doc["schema_version"]
    assert isinstance(decode_meeting(as_bytes(doc), max_bytes=LIMIT), MeetingSummary)


@pytest.mark.parametrize("value", [b"{not json", b"\xff\xfe\x00", b"", b"{\"org_id\": \"o\""])
def test_bytes_that_are_not_json_are_rejected_as_a_whole(value: bytes) -> None:
    rejection = rejected(value)
    assert rejection.field == "(message)"
    assert "not valid JSON" in rejection.problem
    assert rejection.org_id is None


def test_a_null_value_is_rejected() -> None:
    rejection = rejected(None)
    assert rejection.field == "(message)"
    assert "null" in rejection.problem


@pytest.mark.parametrize(
    ("value", "kind"), [(b"[1, 2]", "list"), (b"42", "int"), (b'"m-1"', "str"), (b"null", "NoneType")]
)
def test_json_that_is_not_an_object_is_rejected_naming_what_it_is(value: bytes, kind: str) -> None:
    rejection = rejected(value)
    assert rejection.field == "(message)"
    assert rejection.problem == f"expected a JSON object, got {kind}"


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_an_unknown_schema_version_is_rejected_on_that_field_and_keeps_the_ids(version: object) -> None:
    rejection = rejected(meeting_bytes(schema_version=version, meeting_id="m-9", revision=4))

    assert rejection.field == "schema_version"
    assert repr(version) in rejection.problem
    assert (rejection.org_id, rejection.meeting_id, rejection.revision, rejection.event_id) == (
        ORG_ID, "m-9", 4, "m-9-r4",
    )


def test_a_schema_violation_names_the_dotted_path_of_the_field() -> None:
    items = [{"id": "ai-1", "text": "Send the proposal", "status": "done"}]
    rejection = rejected(meeting_bytes(action_items=items))

    assert rejection.field == "action_items.0.status"
    assert rejection.text.startswith("action_items.0.status: ")
    assert rejection.meeting_id == "m-ocr"  # the org is told which meeting was refused


def test_a_schema_violation_in_a_nested_object_names_every_level() -> None:
    rejection = rejected(meeting_bytes(owner={"email": "x"}))  # min length 3
    assert rejection.field == "owner.email"


def test_several_violations_report_the_first_and_count_the_others() -> None:
    rejection = rejected(meeting_bytes(title=None, revision=0))
    assert rejection.problem.endswith("(and 1 more)")


def test_a_missing_required_field_is_named() -> None:
    doc = meeting_dict()
    del doc["owner"]
    rejection = rejected(as_bytes(doc))
    assert rejection.field == "owner"
    assert rejection.org_id == ORG_ID


def test_a_meeting_that_ends_before_it_starts_is_rejected_on_ended_at() -> None:
    doc = meeting_dict()
    doc["started_at"], doc["ended_at"] = doc["ended_at"], doc["started_at"]
    rejection = rejected(as_bytes(doc))

    assert rejection.field == "ended_at"
    assert "before started_at" in rejection.problem
    assert rejection.org_id == ORG_ID


def test_an_oversized_meeting_is_rejected_and_still_says_whose_it_was() -> None:
    value = meeting_bytes(meeting_id="m-big", revision=2, summary={"text": "x" * 5_000})
    rejection = rejected(value, max_bytes=1_000)

    assert rejection.field == "(message)"
    assert f"{len(value)} bytes" in rejection.problem
    assert "1000 byte limit" in rejection.problem
    assert (rejection.org_id, rejection.meeting_id, rejection.revision, rejection.event_id) == (
        ORG_ID, "m-big", 2, "m-big-r2",
    )


def test_an_oversized_message_that_is_not_json_is_rejected_without_ids() -> None:
    value = meeting_bytes(summary={"text": "x" * 5_000})[:-1]  # truncated: not JSON any more
    rejection = rejected(value, max_bytes=1_000)
    assert "byte limit" in rejection.problem
    assert (rejection.org_id, rejection.meeting_id, rejection.revision, rejection.event_id) == (None, None, None, None)


def test_a_message_exactly_at_the_limit_is_not_oversized() -> None:
    value = meeting_bytes()
    assert isinstance(decode_meeting(value, max_bytes=len(value)), MeetingSummary)
    assert "byte limit" in rejected(value, max_bytes=len(value) - 1).problem


@pytest.mark.parametrize("bad", [{"id": "x"}, ["00Dacme"], True, None, "", "o" * 201])
def test_ids_of_a_rejected_message_are_taken_only_when_they_are_plain_strings(bad: object) -> None:
    rejection = rejected(meeting_bytes(org_id=bad, meeting_id=bad, event_id=bad, schema_version=9))
    assert (rejection.org_id, rejection.meeting_id, rejection.event_id) == (None, None, None)


@pytest.mark.parametrize("bad", [True, "3", 3.0, [3], {"n": 3}])
def test_the_revision_of_a_rejected_message_is_taken_only_when_it_is_a_plain_int(bad: object) -> None:
    rejection = rejected(meeting_bytes(revision=bad, schema_version=9))
    assert rejection.revision is None
    assert rejection.org_id == ORG_ID  # the other ids are still read


def test_deeply_nested_json_is_a_rejection_not_an_exception() -> None:
    depth = 100_000  # 200 kB, well under the size limit
    doc = meeting_dict()
    doc["insights"] = "__nested__"
    value = as_bytes(doc).replace(b'"__nested__"', b"[" * depth + b"]" * depth)

    rejection = rejected(value)

    assert rejection.problem == "JSON nested too deeply"  # a DLQ record that says why; no ids can be read


def test_ids_of_a_rejected_message_can_be_published() -> None:
    # "\ud800" is valid JSON; the meeting is rightly refused, but its ids then break the `rejected` result
    # (app._reject encodes meeting_id as the result key) and the org never hears of the meeting.
    rejection = rejected(meeting_bytes(meeting_id="m-\ud800"))

    for value in (rejection.org_id, rejection.meeting_id, rejection.event_id):
        if value is not None:
            value.encode()


# ---------------------------------------------------------------- org configs

CONFIG: dict[str, Any] = {
    "org_id": ORG_ID,
    "crm": "salesforce",
    "salesforce": {"instance_url": "https://acme.my.salesforce.com", "refresh_token": "gAAAA-enc"},
    "verified_domains": ["acme.io"],
    "settings": {"min_duration_minutes": 10},
    "updated_at": "2026-06-01T12:00:00+00:00",
}


def test_a_valid_org_config_decodes() -> None:
    decoded = decode_org_config(as_bytes(CONFIG), max_bytes=LIMIT)
    assert isinstance(decoded, OrgConfig)
    assert decoded.settings.min_duration_minutes == 10
    assert decoded.settings.auto_sync is True  # the product default


def test_an_org_config_violation_names_the_field_and_keeps_the_org_id() -> None:
    decoded = decode_org_config(as_bytes({**CONFIG, "settings": {"min_duration_minutes": -1}}), max_bytes=LIMIT)
    assert isinstance(decoded, Rejection)
    assert decoded.field == "settings.min_duration_minutes"
    assert decoded.org_id == ORG_ID


def test_an_org_config_with_a_naive_timestamp_is_rejected() -> None:
    decoded = decode_org_config(as_bytes({**CONFIG, "updated_at": "2026-06-01T12:00:00"}), max_bytes=LIMIT)
    assert isinstance(decoded, Rejection)
    assert decoded.field == "updated_at"


@pytest.mark.parametrize("value", [b"not json", b"[1]", b"null"])
def test_an_org_config_that_is_not_a_json_object_is_rejected_as_a_whole(value: bytes) -> None:
    decoded = decode_org_config(value, max_bytes=LIMIT)
    assert isinstance(decoded, Rejection)
    assert decoded.field == "(message)"


def test_an_oversized_org_config_is_rejected_with_its_org_id() -> None:
    decoded = decode_org_config(as_bytes({**CONFIG, "verified_domains": ["d.io"] * 500}), max_bytes=1_000)
    assert isinstance(decoded, Rejection)
    assert "byte limit" in decoded.problem
    assert decoded.org_id == ORG_ID
