"""What one meeting's read request must fetch: derived from the meeting alone, before any I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Anchor:
    """The record whose presence proves an earlier write of this meeting happened.

    Event and Task: keyed orgs find it by `sync_key` in IceCubes_Sync_Key__c (or, for a record written
    before the org installed that field, as unkeyed orgs do); unkeyed orgs find candidates by Subject
    (and StartDateTime for an Event, CreatedDate >= created_after for a Task) and confirm the marker
    line in the Description. Note (never keyed): by the tag in its Title, confirmed by the marker in
    its Body. A Task anchor also checks the other new action items (`also`) in the same query.
    """

    sobject: Literal["Event", "Task", "Note"]
    sync_key: str
    subject: str  # Event/Task Subject as written; the Note's Title
    start: datetime | None
    created_after: datetime
    also: tuple[tuple[str, str], ...] = ()  # Task anchors: (sync key, Subject) of the other new items

    @property
    def sync_keys(self) -> tuple[str, ...]:
        return (self.sync_key, *(key for key, _ in self.also))

    @property
    def subjects(self) -> tuple[str, ...]:
        return (self.subject, *(subject for _, subject in self.also))


@dataclass(frozen=True)
class ActionItemRef:
    """An action item as the plan writes it: enough to find its Task again when the ledger lost it."""

    action_item_id: str
    subject: str = ""  # the Task Subject the plan writes (unkeyed orgs' recovery read matches on it)


@dataclass(frozen=True)
class ReadRequest:
    contact_emails: tuple[str, ...]  # external participants' emails: Contacts and Leads by exact email
    account_domains: tuple[str, ...]  # company domains to compare with Account.Website (LIKE candidates)
    anchor: Anchor | None  # None when the ledger already knows this meeting's records
    meeting_id: str = ""
    action_items: tuple[ActionItemRef, ...] = ()  # this revision's items, for the recovery read
    known_event_id: str | None = None  # the ledger's Event: the recovery read lists its attendees
