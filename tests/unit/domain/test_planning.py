from datetime import date, timedelta

from domain_builders import NOW, START, account, contact, item, lead, meeting, opp, org, role, user

from service.domain.ledger import LedgerEntry
from service.domain.matching import match_meeting
from service.domain.messages import (
    ActionItemPriority,
    ActionItemStatus,
    Insights,
    Meddic,
    MeetingSummary,
    OrgConfig,
    Person,
    Platform,
    Reason,
    Summary,
)
from service.domain.plan import SYNC_KEY_FIELD, RecordWrite, Ref, WriteAction, WritePlan
from service.domain.planning import plan_writes
from service.domain.snapshot import PriorSync, SalesforceSnapshot
from service.domain.sync_keys import event_sync_key, marker, note_sync_key, short_tag, task_sync_key
from service.domain.text import length

JANE = "jane@techcorp.com"
JOE = "joe@techcorp.com"
OWNER_USER = user("005OWN", "owner@icecubes.io")
BASE = SalesforceSnapshot(
    users=(OWNER_USER,),
    contacts=(contact("003A", JANE, "001A"),),
    opportunities=(opp("006A", "001A"),),
    contact_roles=(role("006A", "003A"),),
)
INSIGHTS = Insights(
    competitors=["Globex"],
    objections=["Too expensive"],
    meddic=Meddic(metrics=["Cut churn 5%"], champion=["Jane"]),
    pricing=["$40/seat"],
)


def plan(
    m: MeetingSummary,
    snapshot: SalesforceSnapshot = BASE,
    config: OrgConfig | None = None,
    ledger: LedgerEntry | None = None,
) -> WritePlan:
    config = config or org()
    return plan_writes(m, config, snapshot, match_meeting(m, config, snapshot, NOW), ledger, NOW)


def only(p: WritePlan, sobject: str) -> RecordWrite:
    found = [w for w in p.writes if w.sobject == sobject]
    assert len(found) == 1, found
    return found[0]


def every(p: WritePlan, sobject: str) -> list[RecordWrite]:
    return [w for w in p.writes if w.sobject == sobject]


# ---------------------------------------------------------------- Event


def test_event_carries_title_times_location_links_and_owner() -> None:
    event = only(plan(meeting(JANE, platform=Platform.ZOOM)), "Event")
    assert event.action is WriteAction.CREATE
    assert event.ref == "event"
    assert event.fields["Subject"] == "Quarterly review"
    assert event.fields["StartDateTime"] == "2026-06-01T10:00:00Z"
    assert event.fields["EndDateTime"] == "2026-06-01T10:45:00Z"
    assert event.fields["Location"] == "Zoom"
    assert event.fields["WhoId"] == "003A"
    assert event.fields["WhatId"] == "006A"
    assert event.fields["OwnerId"] == "005OWN"


def test_event_times_are_converted_to_utc() -> None:
    from zoneinfo import ZoneInfo

    local = START.astimezone(ZoneInfo("Europe/Paris"))
    event = only(plan(meeting(JANE, started_at=local, ended_at=local + timedelta(hours=1))), "Event")
    assert event.fields["StartDateTime"] == "2026-06-01T10:00:00Z"


def test_event_locations_name_the_platform() -> None:
    names = {
        Platform.GOOGLE_MEET: "Google Meet",
        Platform.MICROSOFT_TEAMS: "Microsoft Teams",
        Platform.OTHER: "Other",
    }
    for platform, name in names.items():
        assert only(plan(meeting(JANE, platform=platform)), "Event").fields["Location"] == name


def test_event_subject_is_cut_to_255_and_empty_title_is_meeting() -> None:
    assert length(str(only(plan(meeting(JANE, title="é" * 600)), "Event").fields["Subject"])) <= 255
    assert only(plan(meeting(JANE, title="  ")), "Event").fields["Subject"] == "Meeting"


def test_event_description_has_summary_and_bulleted_key_points_and_ends_with_marker() -> None:
    m = meeting(JANE, summary=Summary(text="We agreed on a pilot.", key_points=["Pilot in July", "Two seats"]))
    description = str(only(plan(m), "Event").fields["Description"])
    assert description.startswith("We agreed on a pilot.")
    assert "• Pilot in July\n• Two seats" in description
    assert description.endswith(marker(event_sync_key("m-1")))


def test_event_description_is_a_pointer_when_ai_summary_is_off() -> None:
    m = meeting(JANE, summary=Summary(text="Secret summary"))
    description = str(only(plan(m, config=org(include_ai_summary=False)), "Event").fields["Description"])
    assert "Secret summary" not in description
    assert "IceCubes" in description.splitlines()[0]
    assert description.endswith(marker(event_sync_key("m-1")))


def test_event_description_is_cut_to_32000_without_losing_the_marker() -> None:
    m = meeting(JANE, summary=Summary(text="😀" * 40_000))
    description = str(only(plan(m), "Event").fields["Description"])
    assert length(description) <= 32_000
    assert description.endswith("…\n\n" + marker(event_sync_key("m-1")))


def test_meeting_longer_than_a_day_is_capped_at_24_hours_and_says_so() -> None:
    event = only(plan(meeting(JANE, minutes=60 * 30)), "Event")
    assert event.fields["EndDateTime"] == "2026-06-02T10:00:00Z"
    assert "Recorded duration: 30 h 00 min" in str(event.fields["Description"])


def test_event_owner_falls_back_to_first_internal_participant_in_meeting_order() -> None:
    snap = SalesforceSnapshot(
        users=(
            user("005Z", "zoe@icecubes.io"),
            user("005B", "bob@icecubes.io"),
            user("005X", "x@icecubes.io", is_active=False),
        ),
        contacts=(contact("003A", JANE),),
    )
    p = plan(meeting("x@icecubes.io", JANE, "zoe@icecubes.io", "bob@icecubes.io"), snap)
    assert only(p, "Event").fields["OwnerId"] == "005Z"
    assert p.owner_ids["event"] == "005Z"


def test_event_owner_is_omitted_when_nobody_is_an_active_user() -> None:
    p = plan(meeting(JANE), SalesforceSnapshot(contacts=(contact("003A", JANE),)))
    assert "OwnerId" not in only(p, "Event").fields
    assert "event" not in p.owner_ids


def test_other_matched_contacts_and_leads_are_related_as_attendees() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE, last_activity_date=date(2026, 5, 30)), contact("003B", JOE)),
        leads=(lead("00QC", "kim@other.com"),),
    )
    p = plan(meeting(JANE, JOE, "kim@other.com"), snap)
    relations = every(p, "EventRelation")
    assert [(w.ref, w.fields["RelationId"], w.fields["EventId"]) for w in relations] == [
        ("att_0", "003B", Ref("event")),
        ("att_1", "00QC", Ref("event")),
    ]


def test_attendees_already_related_are_not_related_again() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003A", JANE), contact("003B", JOE), contact("003C", "c@techcorp.com")))
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", attendee_ids=["003B"])
    p = plan(meeting(JANE, JOE, "c@techcorp.com", revision=2), snap, ledger=known)
    relations = every(p, "EventRelation")
    assert [w.fields["RelationId"] for w in relations] == ["003C"]
    assert relations[0].fields["EventId"] == "00U1"
    assert p.attendee_ids == ("003B",)


def test_at_most_50_people_are_related_to_an_event() -> None:
    emails = [f"p{i:02d}@techcorp.com" for i in range(60)]
    snap = SalesforceSnapshot(contacts=tuple(contact(f"003{i:02d}", e) for i, e in enumerate(emails)))
    assert len(every(plan(meeting(*emails), snap), "EventRelation")) == 49  # plus the WhoId


# ---------------------------------------------------------------- Lead rule


def test_lead_is_the_who_when_nothing_else_is_found() -> None:
    p = plan(meeting(JANE), SalesforceSnapshot(leads=(lead("00QA", JANE),)))
    event = only(p, "Event")
    assert event.fields["WhoId"] == "00QA"
    assert "WhatId" not in event.fields


def test_lead_with_an_account_keeps_the_what_and_relates_the_lead() -> None:
    snap = SalesforceSnapshot(leads=(lead("00QA", JANE),), accounts=(account("001T", "techcorp.com"),))
    p = plan(meeting(JANE, action_items=[item()]), snap)
    event = only(p, "Event")
    assert event.fields["WhatId"] == "001T"
    assert "WhoId" not in event.fields
    assert [w.fields["RelationId"] for w in every(p, "EventRelation")] == ["00QA"]
    task = only(p, "Task")
    assert task.fields["WhatId"] == "001T"
    assert "WhoId" not in task.fields


def test_lead_rule_clears_an_earlier_lead_who_on_update() -> None:
    snap = SalesforceSnapshot(leads=(lead("00QA", JANE),), accounts=(account("001T", "techcorp.com"),))
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1")
    event = only(plan(meeting(JANE, revision=2), snap, ledger=known), "Event")
    assert event.fields["WhoId"] is None


def test_lead_who_on_update_clears_an_earlier_what() -> None:
    # Revision 1 linked an Account; now only a Lead matches. A WhatId left next to a Lead WhoId
    # would make Salesforce refuse every later update (FIELD_INTEGRITY_EXCEPTION).
    snap = SalesforceSnapshot(leads=(lead("00QA", JANE),))
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    p = plan(meeting(JANE, revision=2, action_items=[item("a"), item("b")]), snap, ledger=known)
    event = only(p, "Event")
    assert (event.fields["WhoId"], event.fields["WhatId"]) == ("00QA", None)
    known_task, new_task = every(p, "Task")
    assert (known_task.fields["WhoId"], known_task.fields["WhatId"]) == ("00QA", None)
    assert new_task.fields["WhoId"] == "00QA"
    assert "WhatId" not in new_task.fields  # a new record has no earlier WhatId


def test_lead_who_in_a_keyed_org_clears_the_what_on_upsert_too() -> None:
    # An upsert may land on a record an earlier write (lost by the ledger) linked to an Account.
    snap = SalesforceSnapshot(leads=(lead("00QA", JANE),), has_sync_key_field=True)
    p = plan(meeting(JANE, action_items=[item("a")]), snap)
    assert [(w.action, w.fields["WhatId"]) for w in p.writes] == [(WriteAction.UPSERT, None)] * 2


# ---------------------------------------------------------------- Note


def test_insights_note_has_title_with_tag_sections_and_parent() -> None:
    note = only(plan(meeting(JANE, insights=INSIGHTS)), "Note")
    tag = short_tag(note_sync_key("m-1"))
    assert note.fields["Title"] == f"Meeting insights: Quarterly review [{tag}]"
    body = str(note.fields["Body"])
    for heading in (
        "Competitors\n• Globex",
        "Objections\n• Too expensive",
        "MEDDIC signals",
        "M: Metrics\n• Cut churn 5%",
        "C: Champion\n• Jane",
        "Pricing\n• $40/seat",
    ):
        assert heading in body
    assert body.endswith(marker(note_sync_key("m-1")))
    assert note.fields["ParentId"] == "006A"


def test_note_title_is_cut_to_80_with_the_tag_whole() -> None:
    title = str(only(plan(meeting(JANE, insights=INSIGHTS, title="x" * 500)), "Note").fields["Title"])
    assert length(title) <= 80
    assert title.endswith(f" [{short_tag(note_sync_key('m-1'))}]")


def test_note_parent_is_account_then_contact_and_none_without_parent() -> None:
    account_only = SalesforceSnapshot(contacts=(contact("003A", JANE, "001A"),))
    assert only(plan(meeting(JANE, insights=INSIGHTS), account_only), "Note").fields["ParentId"] == "001A"
    contact_only = SalesforceSnapshot(contacts=(contact("003A", JANE),))
    assert only(plan(meeting(JANE, insights=INSIGHTS), contact_only), "Note").fields["ParentId"] == "003A"
    assert every(plan(meeting(JANE, insights=INSIGHTS), SalesforceSnapshot()), "Note") == []


def test_note_parent_is_the_account_next_to_a_lead_and_the_lead_alone() -> None:
    with_account = SalesforceSnapshot(leads=(lead("00QA", JANE),), accounts=(account("001T", "techcorp.com"),))
    assert only(plan(meeting(JANE, insights=INSIGHTS), with_account), "Note").fields["ParentId"] == "001T"
    lead_only = SalesforceSnapshot(leads=(lead("00QA", JANE),))
    assert only(plan(meeting(JANE, insights=INSIGHTS), lead_only), "Note").fields["ParentId"] == "00QA"


def test_no_note_without_insights_or_when_meetings_are_not_logged() -> None:
    assert every(plan(meeting(JANE, insights=Insights())), "Note") == []
    assert (
        every(plan(meeting(JANE, insights=INSIGHTS, action_items=[item()]), config=org(log_meetings=False)), "Note")
        == []
    )


# ---------------------------------------------------------------- Tasks


def test_one_task_per_action_item_with_status_priority_due_date_and_owner() -> None:
    items = [
        item(
            "a",
            "Send the proposal",
            assignee_email="OWNER@icecubes.io",
            due_date=date(2026, 6, 5),
            priority=ActionItemPriority.HIGH,
        ),
        item(
            "b",
            "Book the demo",
            status=ActionItemStatus.COMPLETED,
            priority=ActionItemPriority.LOW,
            assignee_email="nobody@icecubes.io",
        ),
    ]
    p = plan(meeting(JANE, action_items=items))
    first, second = every(p, "Task")
    assert (first.ref, first.label, first.action_item_id) == ("task_0", "task:a", "a")
    assert first.fields["Subject"] == "Send the proposal"
    assert first.fields["Status"] == "Not Started"
    assert first.fields["Priority"] == "High"
    assert first.fields["ActivityDate"] == "2026-06-05"
    assert first.fields["OwnerId"] == "005OWN"
    assert first.fields["WhoId"] == "003A"
    assert first.fields["WhatId"] == "006A"
    assert second.fields["Status"] == "Completed"
    assert second.fields["Priority"] == "Low"
    assert "ActivityDate" not in second.fields
    assert "OwnerId" not in second.fields
    assert p.owner_ids == {"event": "005OWN", "task:a": "005OWN"}


def test_task_subject_is_cut_to_200_and_description_keeps_full_text_and_context() -> None:
    text = "Follow up " + "z" * 1000
    task = only(plan(meeting(JANE, action_items=[item(text=text)])), "Task")
    assert length(str(task.fields["Subject"])) <= 200
    description = str(task.fields["Description"])
    assert description.startswith(text)
    assert 'From the meeting "Quarterly review" on 2026-06-01' in description
    assert description.endswith(marker(task_sync_key("m-1", "ai-1")))


def test_no_tasks_when_sync_action_items_is_off() -> None:
    assert every(plan(meeting(JANE, action_items=[item()]), config=org(sync_action_items=False)), "Task") == []


def test_tasks_without_event_when_log_meetings_is_off() -> None:
    p = plan(meeting(JANE, action_items=[item()]), config=org(log_meetings=False))
    assert [w.sobject for w in p.writes] == ["Task"]


# ---------------------------------------------------------------- Contacts for unmatched


def test_contacts_are_created_for_unmatched_company_participants_and_linked() -> None:
    snap = SalesforceSnapshot(accounts=(account("001T", "www.techcorp.com"),), leads=(lead("00QL", "lee@lead.com"),))
    m = meeting(
        participants=[
            Person(email="Zed@techcorp.com", name="Zed van Berg"),
            Person(email="amy@gmail.com"),
            Person(email="lee@lead.com"),
            Person(email="solo@startup.io"),
        ],
        action_items=[item()],
    )
    p = plan(m, snap, config=org(create_contacts_for_unmatched=True))
    contacts = every(p, "Contact")
    assert [(w.ref, w.label, dict(w.fields)) for w in contacts] == [
        ("contact_0", "contact:solo@startup.io", {"LastName": "solo", "Email": "solo@startup.io"}),
        (
            "contact_1",
            "contact:zed@techcorp.com",
            {"LastName": "van Berg", "FirstName": "Zed", "Email": "zed@techcorp.com", "AccountId": "001T"},
        ),
    ]
    assert p.writes[0].sobject == "Contact"
    event = only(p, "Event")
    assert event.fields["WhoId"] == Ref("contact_0")
    assert [w.fields["RelationId"] for w in every(p, "EventRelation")] == ["00QL", Ref("contact_1")]
    assert only(p, "Task").fields["WhoId"] == Ref("contact_0")


def test_no_contacts_are_created_when_the_setting_is_off() -> None:
    assert every(plan(meeting("solo@startup.io"), SalesforceSnapshot()), "Contact") == []


# ---------------------------------------------------------------- Skip internal-only


def test_internal_only_after_the_user_check_is_skipped() -> None:
    snap = SalesforceSnapshot(users=(user("005C", "consultant@partnerfirm.com"),))
    assert plan(meeting("consultant@partnerfirm.com"), snap) == WritePlan(skip=Reason.INTERNAL_ONLY)


def test_internal_only_is_written_when_skip_internal_only_is_off() -> None:
    snap = SalesforceSnapshot(users=(user("005C", "consultant@partnerfirm.com"),))
    p = plan(meeting("consultant@partnerfirm.com"), snap, config=org(skip_internal_only=False))
    assert p.skip is None
    assert only(p, "Event").fields["OwnerId"] == "005C"


# ---------------------------------------------------------------- Updates and keyed orgs


def test_later_revision_updates_event_note_and_tasks_the_ledger_knows() -> None:
    known = LedgerEntry(
        org_id="org-1",
        meeting_id="m-1",
        revision=1,
        event_id="00U1",
        note_id="0021",
        task_ids={"a": "00T1", "gone": "00T9"},
    )
    items = [item("a", status=ActionItemStatus.COMPLETED), item("new", "Fresh item", due_date=date(2026, 7, 1))]
    p = plan(meeting(JANE, revision=2, insights=INSIGHTS, action_items=items), ledger=known)
    event, note = only(p, "Event"), only(p, "Note")
    assert (event.action, event.record_id) == (WriteAction.UPDATE, "00U1")
    assert (note.action, note.record_id) == (WriteAction.UPDATE, "0021")
    assert "ParentId" not in note.fields
    done, new = every(p, "Task")
    assert (done.action, done.record_id, done.fields["Status"]) == (WriteAction.UPDATE, "00T1", "Completed")
    assert done.fields["ActivityDate"] is None
    assert (new.action, new.record_id) == (WriteAction.CREATE, None)
    assert p.removed_action_item_ids == ("gone",)


def test_records_recovered_from_a_crashed_write_are_updated_not_created() -> None:
    snap = SalesforceSnapshot(
        users=BASE.users,
        contacts=BASE.contacts,
        opportunities=BASE.opportunities,
        contact_roles=BASE.contact_roles,
        prior=PriorSync(event_id="00UP", note_id="002P", task_ids={"a": "00TP"}, attendee_ids=frozenset({"003B"})),
    )
    p = plan(meeting(JANE, insights=INSIGHTS, action_items=[item("a")]), snap)
    assert [(w.sobject, w.action, w.record_id) for w in p.writes] == [
        ("Event", WriteAction.UPDATE, "00UP"),
        ("Note", WriteAction.UPDATE, "002P"),
        ("Task", WriteAction.UPDATE, "00TP"),
    ]


def test_keyed_org_upserts_events_and_tasks_by_sync_key() -> None:
    snap = SalesforceSnapshot(
        users=BASE.users, contacts=(contact("003A", JANE), contact("003B", JOE)), has_sync_key_field=True
    )
    p = plan(meeting(JANE, JOE, action_items=[item("a")]), snap)
    event, task = only(p, "Event"), only(p, "Task")
    assert (event.action, event.sync_key, event.record_id) == (WriteAction.UPSERT, event_sync_key("m-1"), None)
    assert (task.action, task.sync_key) == (WriteAction.UPSERT, task_sync_key("m-1", "a"))
    assert SYNC_KEY_FIELD not in event.fields
    assert SYNC_KEY_FIELD not in task.fields
    assert only(p, "EventRelation").fields["EventId"] == Ref("event")


def test_keyed_org_updates_records_it_knows_by_id_and_gives_them_the_sync_key() -> None:
    # Written before the org installed IceCubes_Sync_Key__c: an upsert by key would not find them.
    snap = SalesforceSnapshot(contacts=(contact("003A", JANE), contact("003B", JOE)), has_sync_key_field=True)
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    p = plan(meeting(JANE, JOE, revision=2, action_items=[item("a"), item("b")]), snap, ledger=known)
    event = only(p, "Event")
    assert (event.action, event.record_id, event.sync_key) == (WriteAction.UPDATE, "00U1", None)
    assert event.fields[SYNC_KEY_FIELD] == event_sync_key("m-1")
    known_task, new_task = every(p, "Task")
    assert (known_task.action, known_task.record_id) == (WriteAction.UPDATE, "00T1")
    assert known_task.fields[SYNC_KEY_FIELD] == task_sync_key("m-1", "a")
    assert (new_task.action, new_task.sync_key) == (WriteAction.UPSERT, task_sync_key("m-1", "b"))
    assert SYNC_KEY_FIELD not in new_task.fields
    assert only(p, "EventRelation").fields["EventId"] == "00U1"


def test_keyed_org_updates_records_recovered_after_a_crash_by_id() -> None:
    snap = SalesforceSnapshot(
        contacts=(contact("003A", JANE),),
        prior=PriorSync(event_id="00UP", task_ids={"a": "00TP"}),
        has_sync_key_field=True,
    )
    p = plan(meeting(JANE, action_items=[item("a")]), snap)
    assert [(w.action, w.record_id, w.fields[SYNC_KEY_FIELD]) for w in p.writes] == [
        (WriteAction.UPDATE, "00UP", event_sync_key("m-1")),
        (WriteAction.UPDATE, "00TP", task_sync_key("m-1", "a")),
    ]


def test_unkeyed_org_updates_never_carry_the_sync_key_field() -> None:
    known = LedgerEntry(org_id="org-1", meeting_id="m-1", revision=1, event_id="00U1", task_ids={"a": "00T1"})
    p = plan(meeting(JANE, revision=2, action_items=[item("a")]), ledger=known)
    assert [w.action for w in p.writes] == [WriteAction.UPDATE, WriteAction.UPDATE]
    assert all(SYNC_KEY_FIELD not in w.fields for w in p.writes)


def test_ref_ids_use_letters_digits_and_underscore_only() -> None:
    snap = SalesforceSnapshot(contacts=(contact("003A", JANE), contact("003B", JOE)))
    m = meeting(JANE, JOE, "new@startup.io", insights=INSIGHTS, action_items=[item("weird id/ü"), item("b")])
    p = plan(m, snap, config=org(create_contacts_for_unmatched=True))
    assert {w.ref for w in p.writes} == {"contact_0", "event", "att_0", "att_1", "note", "task_0", "task_1"}
    assert [w.sobject for w in p.writes] == [
        "Contact",
        "Event",
        "EventRelation",
        "EventRelation",
        "Note",
        "Task",
        "Task",
    ]
