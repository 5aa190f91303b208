from datetime import timedelta

from domain_builders import START, item, meeting, org

from service.domain.ledger import LedgerEntry
from service.domain.messages import Insights, Meddic, Person
from service.domain.planning import event_subject, note_title, task_subject
from service.domain.reads import CREATED_AFTER_MARGIN, read_request
from service.domain.sync_keys import event_sync_key, note_sync_key, task_sync_key

INSIGHTS = Insights(competitors=["Globex"], meddic=Meddic(champion=["Amy"]))


def test_contact_emails_are_the_external_participants_normalised_deduplicated_and_sorted() -> None:
    request = read_request(
        meeting(" Zed@TechCorp.com", "amy@acme.com", "zed@techcorp.com", "bob@icecubes.io", None), org(), None
    )
    assert request.contact_emails == ("amy@acme.com", "zed@techcorp.com")


def test_owner_is_never_looked_up_as_a_contact() -> None:
    request = read_request(meeting("amy@acme.com", owner="me@gmail.com"), org(), None)
    assert request.contact_emails == ("amy@acme.com",)


def test_account_domains_skip_free_mail_and_verified_domains() -> None:
    request = read_request(meeting("amy@acme.com", "x@gmail.com", "bob@icecubes.io", "d@zeta.io"), org(), None)
    assert request.account_domains == ("acme.com", "zeta.io")


def test_a_subdomain_also_searches_the_parent_company_domain() -> None:
    # john@eu.techcorp.com must find the Account whose Website is techcorp.com; the parent's LIKE
    # pattern also fetches every Website the subdomain's would, so only the parent is sent.
    request = read_request(meeting("john@eu.techcorp.com"), org(), None)
    assert request.account_domains == ("techcorp.com",)


def test_parent_domains_stop_at_the_registrable_domain() -> None:
    request = read_request(meeting("a@sales.uk.acme.co.uk", "b@mail.ibm.com", "c@dept.uni.ac.jp"), org(), None)
    assert request.account_domains == ("acme.co.uk", "ibm.com", "uni.ac.jp")


def test_parent_domains_of_several_people_are_searched_once() -> None:
    request = read_request(meeting("a@eu.acme.com", "b@us.acme.com", "c@acme.com", "d@globex.de"), org(), None)
    assert request.account_domains == ("acme.com", "globex.de")


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


def test_anchor_covers_every_new_action_item_in_one_query() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    items = [item("a"), item("b", "New follow-up"), item("c", "Another one"), item("b", "duplicate id")]
    request = read_request(meeting("amy@acme.com", revision=2, action_items=items), org(), known)
    assert request.anchor is not None
    assert request.anchor.sync_keys == (task_sync_key("m-1", "b"), task_sync_key("m-1", "c"))
    assert request.anchor.subjects == ("New follow-up", "Another one")


def test_anchor_is_the_note_when_a_later_revision_first_brings_insights() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    m = meeting("amy@acme.com", revision=2, insights=INSIGHTS, action_items=[item("a"), item("b")])
    request = read_request(m, org(), known)
    assert request.anchor is not None
    assert (request.anchor.sobject, request.anchor.sync_key) == ("Note", note_sync_key("m-1"))
    assert request.anchor.subject == note_title(m)
    assert request.known_event_id == "00U1"  # the recovery read lists that Event's attendees


def test_no_note_anchor_once_the_ledger_knows_the_note_or_without_insights() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", note_id="0021")
    assert read_request(meeting("amy@acme.com", revision=2, insights=INSIGHTS), org(), known).anchor is None
    no_note = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1")
    assert read_request(meeting("amy@acme.com", revision=2, insights=Insights()), org(), no_note).anchor is None
    unlogged = read_request(meeting("amy@acme.com", insights=INSIGHTS), org(log_meetings=False), no_note)
    assert unlogged.anchor is None  # the Note is written only with the Event


def test_anchor_is_the_event_when_log_meetings_is_switched_on_later() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, task_ids={"a": "00T1"})
    request = read_request(meeting("amy@acme.com", revision=2, action_items=[item("a")]), org(), known)
    assert request.anchor is not None
    assert (request.anchor.sobject, request.anchor.sync_key) == ("Event", event_sync_key("m-1"))


def test_no_anchor_when_nothing_would_be_written() -> None:
    request = read_request(meeting("amy@acme.com"), org(log_meetings=False), None)
    assert request.anchor is None


def test_participant_named_twice_with_different_case_is_one_lookup() -> None:
    m = meeting(participants=[Person(email="A@Acme.com", name="Amy"), Person(email="a@acme.com ", name=None)])
    assert read_request(m, org(), None).contact_emails == ("a@acme.com",)
