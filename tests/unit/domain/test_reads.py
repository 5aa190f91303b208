from datetime import timedelta

from domain_builders import START, item, meeting, org

from service.domain.ledger import LedgerEntry
from service.domain.messages import Person
from service.domain.planning import event_subject, task_subject
from service.domain.reads import CREATED_AFTER_MARGIN, read_request
from service.domain.sync_keys import event_sync_key, task_sync_key


def test_contact_emails_are_the_external_participants_normalised_deduplicated_and_sorted() -> None:
    request = read_request(
        meeting(" Zed@TechCorp.com", "amy@acme.com", "zed@techcorp.com", "bob@icecubes.io", None), org(), None
    )
    assert request.contact_emails == ("amy@acme.com", "zed@techcorp.com")


def test_owner_is_never_looked_up_as_a_contact() -> None:
    request = read_request(meeting("amy@acme.com", owner="me@gmail.com"), org(), None)
    assert request.contact_emails == ("amy@acme.com",)


def test_user_emails_are_participants_owner_and_assignees() -> None:
    request = read_request(
        meeting("amy@acme.com", "bob@icecubes.io", action_items=[item(assignee_email="Carl@IceCubes.io")]), org(), None
    )
    assert request.user_emails == ("amy@acme.com", "bob@icecubes.io", "carl@icecubes.io", "owner@icecubes.io")


def test_account_domains_skip_free_mail_and_verified_domains() -> None:
    request = read_request(meeting("amy@acme.com", "x@gmail.com", "bob@icecubes.io", "c@eu.acme.com"), org(), None)
    assert request.account_domains == ("acme.com", "eu.acme.com")


def test_anchor_is_the_event_as_the_plan_writes_it() -> None:
    title = "  Quarterly\nreview " + "x" * 400
    request = read_request(meeting("amy@acme.com", title=title, meeting_id="m-9"), org(), None)
    assert request.anchor is not None
    assert request.anchor.sobject == "Event"
    assert request.anchor.sync_key == event_sync_key("m-9")
    assert request.anchor.subject == event_subject(title)
    assert len(request.anchor.subject) <= 255
    assert request.anchor.start == START
    assert request.anchor.created_after == START + timedelta(minutes=45) - CREATED_AFTER_MARGIN
    assert request.meeting_id == "m-9"


def test_anchor_is_the_first_task_when_meetings_are_not_logged() -> None:
    items = [item("a", "Call back"), item("b", "Send deck")]
    request = read_request(meeting("amy@acme.com", action_items=items), org(log_meetings=False), None)
    assert request.anchor is not None
    assert request.anchor.sobject == "Task"
    assert request.anchor.sync_key == task_sync_key("m-1", "a")
    assert request.anchor.subject == task_subject("Call back")
    assert request.anchor.start is None


def test_no_anchor_when_the_ledger_knows_the_records() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    request = read_request(meeting("amy@acme.com", revision=2, action_items=[item("a")]), org(), known)
    assert request.anchor is None


def test_anchor_is_a_new_action_item_the_ledger_does_not_know() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    items = [item("a"), item("b", "New follow-up")]
    request = read_request(meeting("amy@acme.com", revision=2, action_items=items), org(), known)
    assert request.anchor is not None
    assert (request.anchor.sobject, request.anchor.sync_key) == ("Task", task_sync_key("m-1", "b"))


def test_no_anchor_when_nothing_would_be_written() -> None:
    request = read_request(meeting("amy@acme.com"), org(log_meetings=False), None)
    assert request.anchor is None


def test_participant_named_twice_with_different_case_is_one_lookup() -> None:
    m = meeting(participants=[Person(email="A@Acme.com", name="Amy"), Person(email="a@acme.com ", name=None)])
    assert read_request(m, org(), None).contact_emails == ("a@acme.com",)
