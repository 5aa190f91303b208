"""What to read from Salesforce for one meeting, decided from the meeting alone (before any I/O)."""

from __future__ import annotations

from datetime import timedelta

from service.domain.addresses import company_domains, email_domain, is_free_mail
from service.domain.ledger import LedgerEntry
from service.domain.lookup import ActionItemRef, Anchor, ReadRequest
from service.domain.messages import ActionItem, MeetingSummary, OrgConfig
from service.domain.participants import meeting_participants, on_verified_domain
from service.domain.planning import event_start, event_subject, has_insights, note_title, task_subject
from service.domain.sync_keys import event_sync_key, note_sync_key, task_sync_key

# Our records are written after the meeting ends; the margin absorbs clock differences between
# the recorder and Salesforce.
CREATED_AFTER_MARGIN = timedelta(minutes=10)
# New action items one Task anchor checks: keeps its statement short (Subjects are up to 200 characters).
MAX_ANCHORED_TASKS = 20


def read_request(meeting: MeetingSummary, org: OrgConfig, ledger: LedgerEntry | None) -> ReadRequest:
    """The emails, domains and anchor record the composite read must look up for this meeting."""
    people = meeting_participants(meeting)
    external = sorted(
        {
            p.email
            for p in people
            if p.email is not None and not p.is_owner and not on_verified_domain(p, org.verified_domains)
        }
    )
    return ReadRequest(
        contact_emails=tuple(external),
        account_domains=account_domains(external),
        anchor=anchor_for(meeting, org, ledger),
        meeting_id=meeting.meeting_id,
        action_items=action_item_refs(meeting, org),
        known_event_id=ledger.event_id if ledger is not None else None,
    )


def account_domains(external_emails: list[str]) -> tuple[str, ...]:
    """The Website LIKE candidates: each company domain and its parents down to the registrable one.

    `john@eu.techcorp.com` must find the Account whose Website is `techcorp.com`, so `techcorp.com` is
    searched. A candidate containing another one is left out: `%techcorp.com%` already fetches every
    Website `%eu.techcorp.com%` would. Matching compares hosts by whole labels afterwards.
    """
    wanted: set[str] = set()
    for email in external_emails:
        domain = email_domain(email)
        if not is_free_mail(domain):
            wanted.update(d for d in company_domains(domain) if not is_free_mail(d))
    return tuple(sorted(d for d in wanted if not any(other != d and other in d for other in wanted)))


def _distinct(items: list[ActionItem]) -> list[ActionItem]:
    """Each action item id once, the first one winning (as the plan writes them)."""
    seen: dict[str, ActionItem] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


def action_item_refs(meeting: MeetingSummary, org: OrgConfig) -> tuple[ActionItemRef, ...]:
    """The action items this revision writes as Tasks (for the recovery read), each id once."""
    if not org.settings.sync_action_items:
        return ()
    return tuple(ActionItemRef(item.id, task_subject(item.text)) for item in _distinct(meeting.action_items))


def anchor_for(meeting: MeetingSummary, org: OrgConfig, ledger: LedgerEntry | None) -> Anchor | None:
    """A record this revision's plan would CREATE (the ledger does not know it), or None.

    Finding it proves an earlier write the ledger lost (a crash between the Salesforce write and the
    ledger update); the write is atomic, so the recovery read then finds its other records too. The
    read composite has room for one anchor query beside the ladder's four, so the most important
    unknown record is anchored: the Event (Log Meetings on), else the Note (insights to write), else
    every action item the ledger does not know (one Task query for all of them).
    """
    settings = org.settings
    created_after = meeting.ended_at - CREATED_AFTER_MARGIN
    meeting_id = meeting.meeting_id
    if settings.log_meetings and not (ledger is not None and ledger.event_id):
        return Anchor(
            "Event", event_sync_key(meeting_id), event_subject(meeting.title), event_start(meeting), created_after
        )
    if settings.log_meetings and has_insights(meeting.insights) and not (ledger is not None and ledger.note_id):
        return Anchor("Note", note_sync_key(meeting_id), note_title(meeting), None, created_after)
    known = ledger.task_ids if ledger is not None else {}
    tasks = _distinct(meeting.action_items) if settings.sync_action_items else []
    new = [item for item in tasks if item.id not in known]
    if not new:
        return None
    first, *rest = new[:MAX_ANCHORED_TASKS]
    return Anchor(
        "Task",
        task_sync_key(meeting_id, first.id),
        task_subject(first.text),
        None,
        created_after,
        also=tuple((task_sync_key(meeting_id, item.id), task_subject(item.text)) for item in rest),
    )
