"""The SOQL one meeting's read needs, built only through `soql.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.domain.lookup import Anchor, ReadRequest
from service.domain.plan import SYNC_KEY_FIELD
from service.domain.sync_keys import note_sync_key, short_tag, task_sync_key
from service.salesforce.soql import (
    SoqlLiteral,
    datetime_literal,
    id_literal,
    in_list,
    like_pattern,
    or_clauses,
    quote,
    soql,
)

MAX_STATEMENT_CHARS = 90_000  # Salesforce's limit is 100,000; keep a margin for the envelope

CONTACT_FIELDS = (
    "SELECT Id, Email, FirstName, LastName, AccountId, LastActivityDate, LastModifiedDate, "
    "Account.Id, Account.Name, Account.Website, Account.OwnerId, Account.LastActivityDate, "
    "Account.LastModifiedDate, "
    "(SELECT OpportunityId, ContactId, IsPrimary, Role, Opportunity.AccountId, Opportunity.OwnerId, "
    "Opportunity.IsClosed, Opportunity.CreatedDate, Opportunity.LastModifiedDate, Opportunity.Name "
    "FROM OpportunityContactRoles "
    "WHERE Opportunity.IsClosed = false AND Opportunity.CreatedDate = LAST_N_DAYS:366) "
)
OPPORTUNITY_FIELDS = "SELECT Id, AccountId, OwnerId, IsClosed, CreatedDate, LastModifiedDate, Name "
ACCOUNT_FIELDS = (
    "SELECT Id, Name, Website, OwnerId, LastActivityDate, LastModifiedDate, "
    "(SELECT Id, AccountId, OwnerId, IsClosed, CreatedDate, LastModifiedDate, Name FROM Opportunities "
    "WHERE IsClosed = false AND CreatedDate = LAST_N_DAYS:366) "
)

QueryKind = str  # "contacts", "leads", "opportunities", "accounts", "anchor", "users", "prior_*"


@dataclass(frozen=True)
class Query:
    kind: QueryKind
    sobject: str  # the object read, to name it when access is refused
    statement: str


def _chunked(values: Sequence[str], build: Callable[[Sequence[str]], str]) -> list[str]:
    """One statement for all values, or several when one would exceed Salesforce's length limit."""
    statement = build(values)
    if len(statement) <= MAX_STATEMENT_CHARS or len(values) <= 1:
        return [statement]
    middle = len(values) // 2
    return _chunked(values[:middle], build) + _chunked(values[middle:], build)


def _unique(values: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.lower() not in seen:
            seen[value.lower()] = None
    return list(seen)


def contact_queries(emails: Sequence[str]) -> list[Query]:
    return [
        Query("contacts", "Contact", statement)
        for statement in _chunked(
            emails, lambda chunk: soql(CONTACT_FIELDS + "FROM Contact WHERE Email IN {emails}", emails=in_list(chunk))
        )
    ]


def lead_queries(emails: Sequence[str]) -> list[Query]:
    template = (
        "SELECT Id, Email, IsConverted, Company, LastModifiedDate FROM Lead "
        "WHERE IsConverted = false AND Email IN {emails}"
    )
    return [
        Query("leads", "Lead", statement)
        for statement in _chunked(emails, lambda chunk: soql(template, emails=in_list(chunk)))
    ]


def opportunity_queries(emails: Sequence[str]) -> list[Query]:
    template = (
        OPPORTUNITY_FIELDS + "FROM Opportunity WHERE IsClosed = false AND CreatedDate = LAST_N_DAYS:366 "
        "AND AccountId IN (SELECT AccountId FROM Contact WHERE Email IN {emails})"
    )
    return [
        Query("opportunities", "Opportunity", statement)
        for statement in _chunked(emails, lambda chunk: soql(template, emails=in_list(chunk)))
    ]


def account_queries(domains: Sequence[str]) -> list[Query]:
    def build(chunk: Sequence[str]) -> str:
        patterns = [like_pattern(d, prefix_any=True, suffix_any=True) for d in chunk]
        return soql(
            ACCOUNT_FIELDS + "FROM Account WHERE {websites}", websites=or_clauses("Website LIKE {p}", "p", patterns)
        )

    return [Query("accounts", "Account", statement) for statement in _chunked(domains, build)]


def users_query() -> Query:
    """Every active internal User of the org (cached org-wide; paged when the org is large)."""
    # Only Standard users (an internal license, Platform included) can own the Event and Tasks or
    # make a participant "ours"; portal, partner and guest users would be classified as internal and
    # fill pages. ORDER BY Id keeps a truncated result (see reads.MAX_PAGES) the same on every read.
    return Query(
        "users",
        "User",
        "SELECT Id, Email, IsActive, UserType, Name FROM User "
        "WHERE IsActive = true AND UserType = 'Standard' ORDER BY Id",
    )


def anchor_query(anchor: Anchor, *, keyed: bool) -> Query:
    """The anchor's candidates, confirmed afterwards by the sync key or the marker line.

    Event/Task: by Subject and StartDateTime (Event) or Subject and CreatedDate (Task); keyed orgs
    also by sync key, so a record written before the org installed the key field is found too.
    Note (never keyed): by the tag its Title ends with.
    """
    if anchor.sobject == "Note":
        return Query("anchor", "Note", note_query(anchor.sync_key))
    key_field = ", " + SYNC_KEY_FIELD if keyed else ""
    sobject = "Event" if anchor.sobject == "Event" else "Task"
    fields = "SELECT Id, Subject, Description, CreatedDate" + key_field + " FROM " + sobject
    if anchor.sobject == "Event" and anchor.start is not None:
        by_text = soql(
            "(Subject = {subject} AND StartDateTime = {start})",
            subject=quote(anchor.subject),
            start=datetime_literal(anchor.start),
        )
    else:
        by_text = soql(
            "(Subject IN {subjects} AND CreatedDate >= {after})",
            subjects=in_list(_unique(anchor.subjects)),
            after=datetime_literal(anchor.created_after),
        )
    where = by_text
    if keyed:
        where = soql(SYNC_KEY_FIELD + " IN {keys} OR ", keys=in_list(anchor.sync_keys)) + by_text
    return Query("anchor", anchor.sobject, fields + " WHERE " + where + " LIMIT 200")


def note_query(note_key: str) -> str:
    """The meeting's insights Note: its Title ends with `[<tag>]` (the Body's marker confirms it)."""
    return soql(
        "SELECT Id, Title, Body FROM Note WHERE Title LIKE {tag} LIMIT 50",
        tag=like_pattern(f"[{short_tag(note_key)}]", prefix_any=True, suffix_any=True),
    )


def read_queries(request: ReadRequest) -> list[Query]:
    """The meeting's lookups, most important first, with empty inputs skipped."""
    emails = _unique(request.contact_emails)
    domains = _unique(request.account_domains)
    queries: list[Query] = []
    if emails:
        queries += contact_queries(emails) + lead_queries(emails) + opportunity_queries(emails)
    if domains:
        queries += account_queries(domains)
    return queries


def prior_queries(request: ReadRequest, anchor: Anchor, *, keyed: bool, event_id: str | None) -> list[Query]:
    """The recovery read: the meeting's Tasks, its Note (unless it is the anchor) and the Event's attendees."""
    meeting_id = request.meeting_id
    queries: list[Query] = []
    task_fields = (
        "SELECT Id, Subject, Description, CreatedDate" + (", " + SYNC_KEY_FIELD if keyed else "") + " FROM Task"
    )
    subjects = _unique([item.subject for item in request.action_items])
    by_subject = (
        soql(
            "(Subject IN {subjects} AND CreatedDate >= {after})",
            subjects=in_list(subjects),
            after=datetime_literal(anchor.created_after),
        )
        if subjects
        else None
    )
    if keyed:
        by_key = soql(
            SYNC_KEY_FIELD + " LIKE {prefix} OR " + SYNC_KEY_FIELD + " IN {keys}",
            prefix=like_pattern(meeting_id + ":", suffix_any=True),
            keys=_hashed_task_keys(request),
        )
        # Tasks written before the org installed the key field are found as in unkeyed orgs.
        where = by_key + (" OR " + by_subject if by_subject else "")
        queries.append(Query("prior_tasks", "Task", task_fields + " WHERE " + where))
    elif by_subject:
        queries.append(Query("prior_tasks", "Task", task_fields + " WHERE " + by_subject))
    if anchor.sobject != "Note":
        queries.append(Query("prior_note", "Note", note_query(note_sync_key(meeting_id))))
    if event_id is not None:
        queries.append(
            Query(
                "prior_relations",
                "EventRelation",
                soql("SELECT Id, RelationId FROM EventRelation WHERE EventId = {event}", event=id_literal(event_id)),
            )
        )
    return queries


def _hashed_task_keys(request: ReadRequest) -> SoqlLiteral:
    keys = [task_sync_key(request.meeting_id, item.action_item_id) for item in request.action_items]
    # Keys too long for the field are hashed, so the LIKE prefix cannot find them; list them too.
    hashed = [k for k in keys if k.startswith("h:")] or ["h:none"]
    return in_list(hashed)
