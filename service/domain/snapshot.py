"""The Salesforce records one meeting's read request returned: plain data for the pure domain.

The client (`service.salesforce`) fills it; the domain never sees HTTP. Queries pre-filter for
economy (open, recent, matching emails), but the domain applies every rule itself again, so
matching stays a function of (meeting, org config, snapshot, now) whatever a query returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SfUser:
    id: str
    email: str
    is_active: bool = True
    user_type: str = "Standard"  # Standard = internal licence; PowerPartner, CspLitePortal, ... are external
    name: str = ""


@dataclass(frozen=True)
class SfAccount:
    id: str
    name: str = ""
    website: str | None = None
    owner_id: str | None = None
    last_activity_date: date | None = None
    last_modified_date: datetime | None = None


@dataclass(frozen=True)
class SfOpportunity:
    id: str
    account_id: str | None
    owner_id: str | None
    is_closed: bool
    created_date: datetime
    last_modified_date: datetime
    name: str = ""


@dataclass(frozen=True)
class SfContactRole:
    """An OpportunityContactRole: links a Contact to an Opportunity."""

    opportunity_id: str
    contact_id: str
    is_primary: bool = False
    role: str | None = None


@dataclass(frozen=True)
class SfContact:
    id: str
    email: str
    account_id: str | None = None
    first_name: str | None = None
    last_name: str = ""
    last_activity_date: date | None = None
    last_modified_date: datetime | None = None


@dataclass(frozen=True)
class SfLead:
    id: str
    email: str
    is_converted: bool = False
    company: str | None = None
    last_modified_date: datetime | None = None


@dataclass(frozen=True)
class PriorSync:
    """Records an earlier write of this meeting left in Salesforce, found by their sync key.

    Only filled when the ledger lost track of them (a crash between the Salesforce write and the
    ledger update): then the plan updates these instead of creating second copies.
    """

    event_id: str | None = None
    note_id: str | None = None
    task_ids: dict[str, str] = field(default_factory=dict)  # action item id -> Task Id
    attendee_ids: frozenset[str] = frozenset()  # EventRelation.RelationId already on the Event


@dataclass(frozen=True)
class SalesforceSnapshot:
    users: tuple[SfUser, ...] = ()
    contacts: tuple[SfContact, ...] = ()
    leads: tuple[SfLead, ...] = ()
    accounts: tuple[SfAccount, ...] = ()  # the matched Contacts' Accounts and domain candidates
    opportunities: tuple[SfOpportunity, ...] = ()  # via contact roles, on those Accounts
    contact_roles: tuple[SfContactRole, ...] = ()
    prior: PriorSync | None = None
    has_sync_key_field: bool = False  # Event and Task carry IceCubes_Sync_Key__c (external id)
