"""What one meeting's read request must fetch: derived from the meeting alone, before any I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Anchor:
    """The one record whose presence proves an earlier write of this meeting happened.

    Keyed orgs find it by `sync_key` in IceCubes_Sync_Key__c. Unkeyed orgs find candidates by
    Subject (and StartDateTime for an Event, CreatedDate >= created_after for a Task) and confirm
    the marker line in the Description.
    """

    sobject: Literal["Event", "Task"]
    sync_key: str
    subject: str
    start: datetime | None
    created_after: datetime


@dataclass(frozen=True)
class ActionItemRef:
    """An action item as the plan writes it: enough to find its Task again when the ledger lost it."""

    action_item_id: str
    subject: str = ""  # the Task Subject the plan writes (unkeyed orgs' recovery read matches on it)


@dataclass(frozen=True)
class ReadRequest:
    contact_emails: tuple[str, ...]  # external participants' emails: Contacts and Leads by exact email
    user_emails: tuple[str, ...]  # every email that may be an active User: participants, owner, assignees
    account_domains: tuple[str, ...]  # company domains to compare with Account.Website (LIKE candidates)
    anchor: Anchor | None  # None when the ledger already knows this meeting's records
    meeting_id: str = ""
    action_items: tuple[ActionItemRef, ...] = ()  # this revision's items, for the recovery read
