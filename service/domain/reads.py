"""What to read from Salesforce for one meeting, decided from the meeting alone (before any I/O)."""

from __future__ import annotations

from datetime import timedelta

from service.domain.addresses import is_free_mail, normalize_email
from service.domain.ledger import LedgerEntry
from service.domain.lookup import ActionItemRef, Anchor, ReadRequest
from service.domain.messages import MeetingSummary, OrgConfig
from service.domain.participants import meeting_participants, on_verified_domain
from service.domain.planning import event_start, event_subject, task_subject
from service.domain.sync_keys import event_sync_key, task_sync_key

# Our records are written after the meeting ends; the margin absorbs clock differences between
# the recorder and Salesforce.
CREATED_AFTER_MARGIN = timedelta(minutes=10)


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
    everyone = {p.email for p in people if p.email is not None}
    everyone.update(e for item in meeting.action_items if (e := normalize_email(item.assignee_email)))
    domains = sorted({d for e in external if not is_free_mail(d := e.rpartition("@")[2])})
    return ReadRequest(
        contact_emails=tuple(external),
        user_emails=tuple(sorted(everyone)),
        account_domains=tuple(domains),
        anchor=anchor_for(meeting, org, ledger),
        meeting_id=meeting.meeting_id,
        action_items=action_item_refs(meeting, org),
    )


def action_item_refs(meeting: MeetingSummary, org: OrgConfig) -> tuple[ActionItemRef, ...]:
    """The action items this revision writes as Tasks (for the recovery read), each id once."""
    if not org.settings.sync_action_items:
        return ()
    refs: dict[str, ActionItemRef] = {}
    for item in meeting.action_items:
        refs.setdefault(item.id, ActionItemRef(item.id, task_subject(item.text)))
    return tuple(refs.values())


def anchor_for(meeting: MeetingSummary, org: OrgConfig, ledger: LedgerEntry | None) -> Anchor | None:
    """The record whose presence proves an earlier write of this meeting, or None if nothing to prove.

    Without ledger records: the Event (Log Meetings on), else the first action item's Task. With
    ledger records, the ledger is trusted for what it knows; only an action item it does not know
    yet is anchored, so a crash after writing a later revision's new Task cannot duplicate it.
    """
    settings = org.settings
    created_after = meeting.ended_at - CREATED_AFTER_MARGIN
    tasks = meeting.action_items if settings.sync_action_items else []
    if ledger is not None and (ledger.event_id or ledger.task_ids):
        new = next((item for item in tasks if item.id not in ledger.task_ids), None)
        if new is None:
            return None
        return Anchor("Task", task_sync_key(meeting.meeting_id, new.id), task_subject(new.text), None, created_after)
    if settings.log_meetings:
        return Anchor(
            "Event",
            event_sync_key(meeting.meeting_id),
            event_subject(meeting.title),
            event_start(meeting),
            created_after,
        )
    if tasks:
        first = tasks[0]
        return Anchor(
            "Task", task_sync_key(meeting.meeting_id, first.id), task_subject(first.text), None, created_after
        )
    return None
