"""The write plan: the Salesforce records one meeting revision becomes, given what the ladder matched.

Pure: the Salesforce client turns the plan into one composite request. Records are linked to
records created in the same request by `Ref`; records an earlier revision (or a crashed earlier
write, `snapshot.prior`) left in Salesforce are updated, never created twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.domain.addresses import email_domain, email_local_part, is_free_mail
from service.domain.ledger import LedgerEntry
from service.domain.matching import Match, active_user_for, users_by_email
from service.domain.messages import (
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    Insights,
    MeetingSummary,
    OrgConfig,
    Platform,
    Reason,
    SyncSettings,
)
from service.domain.plan import SYNC_KEY_FIELD, FieldValue, RecordWrite, Ref, WriteAction, WritePlan
from service.domain.snapshot import SalesforceSnapshot, SfUser
from service.domain.sync_keys import event_sync_key, marker, note_sync_key, short_tag, task_sync_key
from service.domain.text import cut, cut_keeping_tail, length

SUBJECT_LIMIT = 255  # Event.Subject
TASK_SUBJECT_LIMIT = 200  # the product cuts Task subjects shorter than Salesforce's 255
NOTE_TITLE_LIMIT = 80
LONG_TEXT_LIMIT = 32_000  # Event/Task Description, Note Body
CONTACT_EMAIL_LIMIT = 80
CONTACT_LAST_NAME_LIMIT = 80
CONTACT_FIRST_NAME_LIMIT = 40
MAX_EVENT_RELATIONS = 50  # people related to one Event, the WhoId included
MAX_EVENT_DURATION = timedelta(hours=24)  # what every org accepts, with or without multiday events
DEFAULT_SUBJECT = "Meeting"

LOCATIONS: Mapping[Platform, str] = {
    Platform.GOOGLE_MEET: "Google Meet",
    Platform.ZOOM: "Zoom",
    Platform.MICROSOFT_TEAMS: "Microsoft Teams",
    Platform.OTHER: "Other",
}
TASK_STATUS: Mapping[ActionItemStatus, str] = {
    ActionItemStatus.OPEN: "Not Started",
    ActionItemStatus.COMPLETED: "Completed",
}
TASK_PRIORITY: Mapping[ActionItemPriority, str] = {
    ActionItemPriority.HIGH: "High",
    ActionItemPriority.NORMAL: "Normal",
    ActionItemPriority.LOW: "Low",
}
MEDDIC_LETTERS: tuple[tuple[str, str, str], ...] = (
    ("M", "Metrics", "metrics"),
    ("E", "Economic buyer", "economic_buyer"),
    ("D", "Decision criteria", "decision_criteria"),
    ("D", "Decision process", "decision_process"),
    ("I", "Identify pain", "identify_pain"),
    ("C", "Champion", "champion"),
)


# ---------------------------------------------------------------- field values (also used by reads)


def single_line(text: str) -> str:
    return " ".join(text.split())


def event_subject(title: str) -> str:
    """The Event Subject: the title on one line, at most 255 characters; "Meeting" when empty."""
    return cut(single_line(title) or DEFAULT_SUBJECT, SUBJECT_LIMIT)


def task_subject(text: str) -> str:
    """The Task Subject: the action item on one line, at most 200 characters."""
    return cut(single_line(text) or DEFAULT_SUBJECT, TASK_SUBJECT_LIMIT)


def salesforce_datetime(moment: datetime) -> str:
    """UTC, whole seconds: 2026-06-01T10:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_start(meeting: MeetingSummary) -> datetime:
    """The StartDateTime the Event gets (UTC, whole seconds)."""
    return meeting.started_at.astimezone(UTC).replace(microsecond=0)


def event_end(meeting: MeetingSummary) -> datetime:
    """The EndDateTime: the actual end, capped at 24 hours after the start (see docs/matching.md)."""
    start = event_start(meeting)
    end = meeting.ended_at.astimezone(UTC).replace(microsecond=0)
    return max(start, min(end, start + MAX_EVENT_DURATION))


def is_event_capped(meeting: MeetingSummary) -> bool:
    return meeting.ended_at - meeting.started_at > MAX_EVENT_DURATION


def _duration_words(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min"


def event_description(meeting: MeetingSummary, settings: SyncSettings) -> str:
    """Summary and key points (or a pointer to IceCubes), closed by the marker line, <= 32,000."""
    summary = meeting.summary
    parts: list[str] = []
    if settings.include_ai_summary and summary is not None and (summary.text.strip() or summary.key_points):
        if summary.text.strip():
            parts.append(summary.text.strip())
        points = [single_line(p) for p in summary.key_points if p.strip()]
        if points:
            parts.append("Key points:\n" + "\n".join(f"• {p}" for p in points))
    else:
        parts.append(
            f"Meeting recorded with IceCubes ({_duration_words(meeting.ended_at - meeting.started_at)}); "
            "the summary and transcript are in IceCubes."
        )
    if is_event_capped(meeting):
        parts.append(
            f"Recorded duration: {_duration_words(meeting.ended_at - meeting.started_at)}. "
            "The Event shows the first 24 hours."
        )
    tail = "\n\n" + marker(event_sync_key(meeting.meeting_id))
    return cut_keeping_tail("\n\n".join(parts), tail, LONG_TEXT_LIMIT)


def task_description(meeting: MeetingSummary, item: ActionItem) -> str:
    """The full action item, the meeting it came from, and the marker line, <= 32,000."""
    context = (
        f'\n\nFrom the meeting "{cut(single_line(meeting.title) or DEFAULT_SUBJECT, SUBJECT_LIMIT)}" '
        f"on {event_start(meeting).date().isoformat()} ({LOCATIONS[meeting.platform]})."
    )
    tail = context + "\n\n" + marker(task_sync_key(meeting.meeting_id, item.id))
    return cut_keeping_tail(item.text.strip(), tail, LONG_TEXT_LIMIT)


def has_insights(insights: Insights | None) -> bool:
    if insights is None:
        return False
    meddic = insights.meddic
    return any(
        any(value.strip() for value in values)
        for values in (
            insights.competitors,
            insights.objections,
            insights.pricing,
            *(getattr(meddic, name) for _, _, name in MEDDIC_LETTERS),
        )
    )


def note_title(meeting: MeetingSummary) -> str:
    """ "Meeting insights: <title> [<tag>]", at most 80 characters, the tag always whole."""
    tag = f" [{short_tag(note_sync_key(meeting.meeting_id))}]"
    title = f"Meeting insights: {single_line(meeting.title) or DEFAULT_SUBJECT}"
    return cut(title, NOTE_TITLE_LIMIT - length(tag)) + tag


def note_body(meeting: MeetingSummary, insights: Insights) -> str:
    """Plain-text sections (Competitors, Objections, MEDDIC signals, Pricing) and the marker."""
    sections: list[str] = []

    def bullets(values: Iterable[str]) -> list[str]:
        return [f"• {single_line(v)}" for v in values if v.strip()]

    for heading, values in (("Competitors", insights.competitors), ("Objections", insights.objections)):
        if lines := bullets(values):
            sections.append(heading + "\n" + "\n".join(lines))
    meddic_lines: list[str] = []
    for letter, label, name in MEDDIC_LETTERS:
        if lines := bullets(getattr(insights.meddic, name)):
            meddic_lines.append(f"{letter}: {label}\n" + "\n".join(lines))
    if meddic_lines:
        sections.append("MEDDIC signals\n" + "\n".join(meddic_lines))
    if lines := bullets(insights.pricing):
        sections.append("Pricing\n" + "\n".join(lines))
    tail = "\n\n" + marker(note_sync_key(meeting.meeting_id))
    return cut_keeping_tail("\n\n".join(sections), tail, LONG_TEXT_LIMIT)


def split_name(name: str | None, email: str) -> tuple[str | None, str]:
    """(FirstName, LastName) for a new Contact: "Jane van Berg" → ("Jane", "van Berg").

    LastName is required: without a name it is the email's local part.
    """
    words = (name or "").split()
    if len(words) >= 2:
        first, last = words[0], " ".join(words[1:])
        return cut(first, CONTACT_FIRST_NAME_LIMIT, ellipsis=""), cut(last, CONTACT_LAST_NAME_LIMIT, ellipsis="")
    if len(words) == 1:
        return None, cut(words[0], CONTACT_LAST_NAME_LIMIT, ellipsis="")
    return None, cut(email_local_part(email), CONTACT_LAST_NAME_LIMIT, ellipsis="") or email


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _Known:
    """Records already in Salesforce for this meeting: the ledger's, completed by `snapshot.prior`."""

    event_id: str | None
    note_id: str | None
    task_ids: Mapping[str, str]
    attendee_ids: frozenset[str]

    @classmethod
    def of(cls, ledger: LedgerEntry | None, snapshot: SalesforceSnapshot) -> _Known:
        prior = snapshot.prior
        task_ids: dict[str, str] = dict(prior.task_ids) if prior else {}
        attendees: set[str] = set(prior.attendee_ids) if prior else set()
        event_id = prior.event_id if prior else None
        note_id = prior.note_id if prior else None
        if ledger is not None:
            task_ids.update(ledger.task_ids)
            attendees.update(ledger.attendee_ids)
            event_id = ledger.event_id or event_id
            note_id = ledger.note_id or note_id
        return cls(event_id, note_id, task_ids, frozenset(attendees))


def _write_action(keyed: bool, record_id: str | None) -> WriteAction:
    """Update by Id whenever the Id is known; upsert by key (keyed orgs) or create only when it is not.

    A record written before the org installed the key field has no key: an upsert would not find it
    and would create a second one. Updating it by Id (with the key in the body) gives it the key.
    """
    if record_id:
        return WriteAction.UPDATE
    return WriteAction.UPSERT if keyed else WriteAction.CREATE


def _key_field(keyed: bool, action: WriteAction, key: str) -> dict[str, FieldValue]:
    """The sync key in an update's body (keyed orgs), so the record carries it from now on."""
    return {SYNC_KEY_FIELD: key} if keyed and action is WriteAction.UPDATE else {}


def _event_owner(match: Match, users: Mapping[str, tuple[SfUser, ...]]) -> SfUser | None:
    """The meeting owner's active User, else the first internal participant (meeting order) who is one."""
    internal = set(match.report.internal_emails)
    for person in match.participants:  # the owner comes first
        if person.email is not None and (person.is_owner or person.email in internal):
            user = active_user_for(person.email, users)
            if user is not None:
                return user
    return None


def _distinct_action_items(meeting: MeetingSummary) -> list[ActionItem]:
    seen: set[str] = set()
    items: list[ActionItem] = []
    for item in meeting.action_items:
        if item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return items


@dataclass(frozen=True)
class _Links:
    who: str | Ref | None
    what: str | None
    clear_who: bool  # the who is a Lead but a WhatId exists: WhoId must be empty
    lead_as_attendee: str | None
    who_is_lead: bool = False  # WhatId must be empty next to a Lead WhoId


def _links(match: Match, new_contact_refs: list[str]) -> _Links:
    what = match.opportunity.id if match.opportunity is not None else match.account_id
    if match.contact is not None:
        return _Links(match.contact.id, what, clear_who=False, lead_as_attendee=None)
    if new_contact_refs:
        lead_id = match.lead.id if match.lead is not None else None
        return _Links(Ref(new_contact_refs[0]), what, clear_who=False, lead_as_attendee=lead_id)
    if match.lead is not None:
        if what is not None:
            # Salesforce refuses a WhatId next to a Lead WhoId: keep the Account/Opportunity, relate the Lead.
            return _Links(None, what, clear_who=True, lead_as_attendee=match.lead.id)
        return _Links(match.lead.id, None, clear_who=False, lead_as_attendee=None, who_is_lead=True)
    return _Links(None, what, clear_who=False, lead_as_attendee=None)


def _link_fields(links: _Links, action: WriteAction) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    if links.who is not None:
        fields["WhoId"] = links.who
    elif links.clear_who and action is not WriteAction.CREATE:
        fields["WhoId"] = None  # an earlier revision may have linked the Lead as WhoId
    if links.what is not None:
        fields["WhatId"] = links.what
    elif links.who_is_lead and action is not WriteAction.CREATE:
        fields["WhatId"] = None  # an earlier revision's WhatId next to this Lead WhoId would be refused
    return fields


def plan_writes(
    meeting: MeetingSummary,
    org: OrgConfig,
    snapshot: SalesforceSnapshot,
    match: Match,
    ledger: LedgerEntry | None,
    now: datetime,
) -> WritePlan:
    """Every record to create, update or upsert for this meeting revision, in dependency order."""
    del now  # the plan depends on no clock today; kept so callers need not change when it does
    settings = org.settings
    if match.internal_only and settings.skip_internal_only:
        return WritePlan(skip=Reason.INTERNAL_ONLY)

    known = _Known.of(ledger, snapshot)
    users = users_by_email(snapshot.users)
    keyed = snapshot.has_sync_key_field
    writes: list[RecordWrite] = []
    owner_ids: dict[str, str] = {}

    # Contacts for participants with no record, so the Event and Tasks can name them.
    new_contacts: list[tuple[str, str]] = []  # (ref, email)
    if settings.create_contacts_for_unmatched:
        for person in match.unmatched_external:
            email = person.email
            if email is None or is_free_mail(email_domain(email)) or len(email) > CONTACT_EMAIL_LIMIT:
                continue
            ref = f"contact_{len(new_contacts)}"
            first, last = split_name(person.name, email)
            fields: dict[str, FieldValue] = {"LastName": last, "Email": email}
            if first:
                fields["FirstName"] = first
            account_id = match.domain_accounts.get(email_domain(email))
            if account_id:
                fields["AccountId"] = account_id
            writes.append(RecordWrite(ref, "Contact", WriteAction.CREATE, fields, label=f"contact:{email}"))
            new_contacts.append((ref, email))
    links = _links(match, [ref for ref, _ in new_contacts])

    if settings.log_meetings:
        writes.extend(_event_writes(meeting, settings, match, links, known, keyed, users, new_contacts, owner_ids))
        if has_insights(meeting.insights) and meeting.insights is not None:
            note = _note_write(meeting, meeting.insights, match, links, known)
            if note is not None:
                writes.append(note)

    current_ids: set[str] = set()
    if settings.sync_action_items:
        for index, item in enumerate(_distinct_action_items(meeting)):
            current_ids.add(item.id)
            writes.append(_task_write(meeting, item, index, links, known, keyed, users, owner_ids))
    else:
        current_ids = {item.id for item in meeting.action_items}
    removed = tuple(sorted(set(known.task_ids) - current_ids))

    if not writes:
        return WritePlan(skip=Reason.NOTHING_TO_WRITE, removed_action_item_ids=removed)
    return WritePlan(
        writes=tuple(writes),
        removed_action_item_ids=removed,
        owner_ids=owner_ids,
        attendee_ids=tuple(sorted(known.attendee_ids)),
    )


def _event_writes(
    meeting: MeetingSummary,
    settings: SyncSettings,
    match: Match,
    links: _Links,
    known: _Known,
    keyed: bool,
    users: Mapping[str, tuple[SfUser, ...]],
    new_contacts: list[tuple[str, str]],
    owner_ids: dict[str, str],
) -> list[RecordWrite]:
    action = _write_action(keyed, known.event_id)
    fields: dict[str, FieldValue] = {
        "Subject": event_subject(meeting.title),
        "StartDateTime": salesforce_datetime(event_start(meeting)),
        "EndDateTime": salesforce_datetime(event_end(meeting)),
        "Location": LOCATIONS[meeting.platform],
        "Description": event_description(meeting, settings),
        **_link_fields(links, action),
    }
    owner = _event_owner(match, users)
    if owner is not None:
        fields["OwnerId"] = owner.id
        owner_ids["event"] = owner.id
    key = event_sync_key(meeting.meeting_id)
    fields.update(_key_field(keyed, action, key))
    writes = [
        RecordWrite(
            "event",
            "Event",
            action,
            fields,
            label="event",
            record_id=known.event_id if action is WriteAction.UPDATE else None,
            sync_key=key if action is WriteAction.UPSERT else None,
        )
    ]

    # Attendees: every other matched person; Salesforce refuses a relation that already exists.
    event_ref: str | Ref = known.event_id if known.event_id else Ref("event")
    already = set(known.attendee_ids)
    if isinstance(links.who, str):
        already.add(links.who)
    candidates: list[tuple[str | Ref, str]] = [(c.id, c.id) for c in match.attendee_contacts]
    candidates += [(ld.id, ld.id) for ld in match.attendee_leads]
    if links.lead_as_attendee is not None:
        candidates.append((links.lead_as_attendee, links.lead_as_attendee))
    who_ref = links.who.ref if isinstance(links.who, Ref) else None
    candidates += [(Ref(ref), f"contact:{email}") for ref, email in new_contacts if ref != who_ref]
    room = MAX_EVENT_RELATIONS - len(already) - (1 if who_ref else 0)
    seen: set[str] = set()
    for relation, name in candidates:
        if room <= 0:
            break
        if name in already or name in seen:
            continue
        seen.add(name)
        writes.append(
            RecordWrite(
                f"att_{len(seen) - 1}",
                "EventRelation",
                WriteAction.CREATE,
                {"EventId": event_ref, "RelationId": relation},
                label=f"attendee:{name}",
            )
        )
        room -= 1
    return writes


def _note_write(
    meeting: MeetingSummary, insights: Insights, match: Match, links: _Links, known: _Known
) -> RecordWrite | None:
    fields: dict[str, FieldValue] = {"Title": note_title(meeting), "Body": note_body(meeting, insights)}
    if known.note_id:
        # ParentId cannot change on a Note: the earlier parent stays.
        return RecordWrite("note", "Note", WriteAction.UPDATE, fields, label="note", record_id=known.note_id)
    # The Opportunity, else the Account, else the who (a Contact, a new Contact or a Lead).
    parent: str | Ref | None = match.opportunity.id if match.opportunity else match.account_id
    if parent is None:
        parent = links.who
    if parent is None:
        return None
    return RecordWrite("note", "Note", WriteAction.CREATE, {"ParentId": parent, **fields}, label="note")


def _task_write(
    meeting: MeetingSummary,
    item: ActionItem,
    index: int,
    links: _Links,
    known: _Known,
    keyed: bool,
    users: Mapping[str, tuple[SfUser, ...]],
    owner_ids: dict[str, str],
) -> RecordWrite:
    record_id = known.task_ids.get(item.id)
    action = _write_action(keyed, record_id)
    key = task_sync_key(meeting.meeting_id, item.id)
    fields: dict[str, FieldValue] = {
        "Subject": task_subject(item.text),
        "Description": task_description(meeting, item),
        "Status": TASK_STATUS[item.status],
        "Priority": TASK_PRIORITY[item.priority],
    }
    if item.due_date is not None:
        fields["ActivityDate"] = item.due_date.isoformat()
    elif action is not WriteAction.CREATE:
        fields["ActivityDate"] = None  # the due date was removed in IceCubes
    fields.update(_link_fields(links, action))
    fields.update(_key_field(keyed, action, key))
    owner = active_user_for(item.assignee_email, users)
    label = f"task:{item.id}"
    if owner is not None:
        fields["OwnerId"] = owner.id
        owner_ids[label] = owner.id
    return RecordWrite(
        f"task_{index}",
        "Task",
        action,
        fields,
        label=label,
        record_id=record_id if action is WriteAction.UPDATE else None,
        sync_key=key if action is WriteAction.UPSERT else None,
        action_item_id=item.id,
    )
