"""Small builders for domain tests: a meeting, an org and Salesforce records with sensible defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from service.domain.messages import (
    ActionItem,
    Crm,
    MeetingSummary,
    OrgConfig,
    Owner,
    Person,
    SalesforceConnection,
    SyncSettings,
)
from service.domain.snapshot import SfAccount, SfContact, SfContactRole, SfLead, SfOpportunity, SfUser

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
OWNER = "owner@icecubes.io"


def meeting(
    *emails: str | None,
    minutes: float = 45,
    revision: int = 1,
    meeting_id: str = "m-1",
    owner: str = OWNER,
    **fields: Any,
) -> MeetingSummary:
    """A meeting owned by OWNER with the given participant emails (None: a participant without email)."""
    values: dict[str, Any] = {
        "event_id": f"ev-{meeting_id}-{revision}",
        "org_id": "org-1",
        "meeting_id": meeting_id,
        "revision": revision,
        "title": "Quarterly review",
        "started_at": START,
        "ended_at": START + timedelta(minutes=minutes),
        "owner": Owner(email=owner, name="Olivia Owner"),
        "participants": [Person(email=e, name=None) for e in emails],
    }
    values.update(fields)
    return MeetingSummary(**values)


def org(verified: tuple[str, ...] = ("icecubes.io",), crm: Crm | None = Crm.SALESFORCE, **settings: Any) -> OrgConfig:
    return OrgConfig(
        org_id="org-1",
        crm=crm,
        salesforce=SalesforceConnection(instance_url="https://acme.my.salesforce.com", refresh_token="enc")
        if crm is Crm.SALESFORCE
        else None,
        verified_domains=list(verified),
        settings=SyncSettings(**settings),
        updated_at=NOW,
    )


def item(item_id: str = "ai-1", text: str = "Send the proposal", **fields: Any) -> ActionItem:
    return ActionItem(id=item_id, text=text, **fields)


def user(user_id: str, email: str, **fields: Any) -> SfUser:
    return SfUser(id=user_id, email=email, **fields)


def contact(contact_id: str, email: str, account_id: str | None = None, **fields: Any) -> SfContact:
    return SfContact(id=contact_id, email=email, account_id=account_id, **fields)


def lead(lead_id: str, email: str, **fields: Any) -> SfLead:
    return SfLead(id=lead_id, email=email, **fields)


def account(account_id: str, website: str | None = None, **fields: Any) -> SfAccount:
    return SfAccount(id=account_id, website=website, **fields)


def opp(
    opp_id: str,
    account_id: str | None = None,
    owner_id: str | None = None,
    *,
    closed: bool = False,
    created: datetime = NOW - timedelta(days=30),
    modified: datetime = NOW - timedelta(days=1),
) -> SfOpportunity:
    return SfOpportunity(
        id=opp_id,
        account_id=account_id,
        owner_id=owner_id,
        is_closed=closed,
        created_date=created,
        last_modified_date=modified,
    )


def role(opp_id: str, contact_id: str, *, primary: bool = False) -> SfContactRole:
    return SfContactRole(opportunity_id=opp_id, contact_id=contact_id, is_primary=primary)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def day(days_before_now: int) -> date:
    return (NOW - timedelta(days=days_before_now)).date()
