"""Salesforce JSON records -> the snapshot's frozen dataclasses (dates and datetimes parsed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from service.domain.snapshot import (
    SfAccount,
    SfContact,
    SfContactRole,
    SfLead,
    SfOpportunity,
    SfUser,
)

Record = dict[str, Any]


def parse_datetime(value: Any) -> datetime | None:
    """`2026-01-31T10:00:00.000+0000` (Salesforce's format) or any ISO 8601 form -> aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _children(record: Record, relationship: str) -> list[Record]:
    nested = record.get(relationship)
    if isinstance(nested, dict) and isinstance(nested.get("records"), list):
        return [r for r in nested["records"] if isinstance(r, dict)]
    return []


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def user(record: Record) -> SfUser:
    return SfUser(
        id=record["Id"],
        email=record.get("Email") or "",
        is_active=bool(record.get("IsActive", True)),
        user_type=record.get("UserType") or "Standard",
        name=record.get("Name") or "",
    )


def account(record: Record) -> SfAccount:
    return SfAccount(
        id=record["Id"],
        name=record.get("Name") or "",
        website=_str(record.get("Website")),
        owner_id=_str(record.get("OwnerId")),
        last_activity_date=parse_date(record.get("LastActivityDate")),
        last_modified_date=parse_datetime(record.get("LastModifiedDate")),
    )


def opportunity(record: Record, *, id_field: str = "Id") -> SfOpportunity:
    return SfOpportunity(
        id=record[id_field],
        account_id=_str(record.get("AccountId")),
        owner_id=_str(record.get("OwnerId")),
        is_closed=bool(record.get("IsClosed", False)),
        created_date=parse_datetime(record.get("CreatedDate")) or _EPOCH,
        last_modified_date=parse_datetime(record.get("LastModifiedDate")) or _EPOCH,
        name=record.get("Name") or "",
    )


def contact(record: Record) -> SfContact:
    return SfContact(
        id=record["Id"],
        email=record.get("Email") or "",
        account_id=_str(record.get("AccountId")),
        first_name=_str(record.get("FirstName")),
        last_name=record.get("LastName") or "",
        last_activity_date=parse_date(record.get("LastActivityDate")),
        last_modified_date=parse_datetime(record.get("LastModifiedDate")),
    )


def lead(record: Record) -> SfLead:
    return SfLead(
        id=record["Id"],
        email=record.get("Email") or "",
        is_converted=bool(record.get("IsConverted", False)),
        company=_str(record.get("Company")),
        last_modified_date=parse_datetime(record.get("LastModifiedDate")),
    )


class SnapshotParts:
    """Accumulates records from every query, each record once (first seen wins), in a stable order."""

    def __init__(self) -> None:
        self.users: dict[str, SfUser] = {}
        self.contacts: dict[str, SfContact] = {}
        self.leads: dict[str, SfLead] = {}
        self.accounts: dict[str, SfAccount] = {}
        self.opportunities: dict[str, SfOpportunity] = {}
        self.contact_roles: dict[tuple[str, str], SfContactRole] = {}

    def add_contacts(self, records: list[Record]) -> None:
        for record in records:
            self.contacts.setdefault(record["Id"], contact(record))
            parent = record.get("Account")
            if isinstance(parent, dict) and parent.get("Id"):
                self.accounts.setdefault(parent["Id"], account(parent))
            for role in _children(record, "OpportunityContactRoles"):
                if not role.get("OpportunityId"):
                    continue
                key = (role["OpportunityId"], record["Id"])
                self.contact_roles.setdefault(
                    key,
                    SfContactRole(
                        opportunity_id=role["OpportunityId"],
                        contact_id=role.get("ContactId") or record["Id"],
                        is_primary=bool(role.get("IsPrimary", False)),
                        role=_str(role.get("Role")),
                    ),
                )
                opp = role.get("Opportunity")
                if isinstance(opp, dict):
                    self.opportunities.setdefault(
                        role["OpportunityId"], opportunity({**opp, "Id": role["OpportunityId"]})
                    )

    def add_leads(self, records: list[Record]) -> None:
        for record in records:
            self.leads.setdefault(record["Id"], lead(record))

    def add_opportunities(self, records: list[Record]) -> None:
        for record in records:
            self.opportunities.setdefault(record["Id"], opportunity(record))

    def add_accounts(self, records: list[Record]) -> None:
        for record in records:
            self.accounts.setdefault(record["Id"], account(record))
            for opp in _children(record, "Opportunities"):
                self.opportunities.setdefault(opp["Id"], opportunity(opp))

    def add_users(self, users: list[SfUser]) -> None:
        for found in users:
            self.users.setdefault(found.id, found)
