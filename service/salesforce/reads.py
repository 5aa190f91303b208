"""One meeting's read: one composite of queries (plus cold-cache describes), then the snapshot."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog

from service.domain.lookup import Anchor, ReadRequest
from service.domain.plan import SYNC_KEY_FIELD
from service.domain.snapshot import PriorSync, SalesforceSnapshot, SfUser
from service.domain.sync_keys import marker, note_sync_key, task_sync_key
from service.errors import SyncError
from service.salesforce import records as parse
from service.salesforce.caches import DescribeCache, UserCache
from service.salesforce.composite import SubRequest, SubResponse, fits, send_composite
from service.salesforce.failures import SfError, errors_in, org_level_error, redact
from service.salesforce.queries import Query, anchor_query, prior_queries, read_queries, users_query
from service.salesforce.tokens import OrgSession
from service.salesforce.transport import CallCounter, Transport

log = structlog.get_logger(__name__)

MAX_PAGES = 5  # pages followed per query beyond the first: a meeting never needs more
DESCRIBED = ("Event", "Task")


@dataclass
class QueryResult:
    query: Query
    records: list[dict[str, Any]] = field(default_factory=list)


def has_marker(text: Any, key: str) -> bool:
    """The marker line for `key` closes (or is a line of) `text` we wrote."""
    if not isinstance(text, str):
        return False
    wanted = marker(key)
    return any(line.strip() == wanted for line in text.splitlines())


def _pack(subrequests: list[SubRequest]) -> list[list[SubRequest]]:
    """Subrequests in order, as few composites as the 25/5 caps allow (describes ride in the first)."""
    batches: list[list[SubRequest]] = [[]]
    for sub in subrequests:
        if not fits([*batches[-1], sub]):
            batches.append([])
        batches[-1].append(sub)
    return [b for b in batches if b]


class Reader:
    def __init__(self, transport: Transport, api_version: str, users: UserCache, describe: DescribeCache) -> None:
        self._transport = transport
        self._version = api_version
        self._users = users
        self._describe = describe
        self._warming: dict[str, asyncio.Lock] = {}

    def _query_sub(self, index: int, query: Query) -> SubRequest:
        return SubRequest(
            reference_id=f"q{index}_{query.kind}",
            method="GET",
            url=f"/services/data/{self._version}/query?q={_url_quote(query.statement)}",
            heavy=True,
            sobject=query.sobject,
        )

    async def read(self, session: OrgSession, request: ReadRequest, counter: CallCounter) -> SalesforceSnapshot:
        """The snapshot for one meeting. While an org's caches are cold, its reads go one at a time, so a
        batch of that org's meetings pays for the Users and describe fetch once, not once per meeting."""
        org_id = session.org_id
        if self._cold(org_id):
            async with self._warming.setdefault(org_id, asyncio.Lock()):
                if self._cold(org_id):
                    return await self._read(session, request, counter)
        return await self._read(session, request, counter)

    def _cold(self, org_id: str) -> bool:
        return self._users.get(org_id) is None or self._describe.get(org_id) is None

    async def _read(self, session: OrgSession, request: ReadRequest, counter: CallCounter) -> SalesforceSnapshot:
        org_id = session.org_id
        keyed = self._describe.get(org_id)
        cached_users = self._users.get(org_id)
        queries = read_queries(request)
        if request.anchor is not None:
            # A cold describe does not know the key field yet: the marker form works for every org.
            queries.append(anchor_query(request.anchor, keyed=bool(keyed)))
        if cached_users is None:
            queries.append(users_query())
        # Nothing to query but a cold describe: the describes go out alone, since the plan's choice
        # between upsert-by-key and create depends on them (guessing "unkeyed" would create twins).
        if not queries and keyed is not None:
            return SalesforceSnapshot(users=cached_users or (), has_sync_key_field=keyed)

        subrequests = [self._query_sub(i, q) for i, q in enumerate(queries)]
        if keyed is None:
            describes = [
                SubRequest(f"describe_{s}", "GET", f"/services/data/{self._version}/sobjects/{s}/describe", sobject=s)
                for s in DESCRIBED
            ]
            subrequests = describes + subrequests
        by_ref = {sub.reference_id: sub for sub in subrequests}
        query_of = {f"q{i}_{q.kind}": q for i, q in enumerate(queries)}

        responses: dict[str, SubResponse] = {}
        for batch in _pack(subrequests):
            responses |= await send_composite(
                self._transport, session, self._version, batch, all_or_none=False, counter=counter
            )

        if keyed is None:
            keyed = all(self._keyed_object(responses.get(f"describe_{s}"), s) for s in DESCRIBED)
            self._describe.store(org_id, keyed)

        results: list[QueryResult] = []
        for ref, query in query_of.items():
            result = QueryResult(query, await self._records(session, responses.get(ref), by_ref[ref], counter))
            results.append(result)

        parts = parse.SnapshotParts()
        fetched_users: list[SfUser] = []
        anchor_found: tuple[str, str] | None = None
        for result in results:
            kind = result.query.kind
            if kind == "contacts":
                parts.add_contacts(result.records)
            elif kind == "leads":
                parts.add_leads(result.records)
            elif kind == "opportunities":
                parts.add_opportunities(result.records)
            elif kind == "accounts":
                parts.add_accounts(result.records)
            elif kind == "users":
                fetched_users += [parse.user(r) for r in result.records]
            elif kind == "anchor" and request.anchor is not None:
                anchor_found = _confirmed_anchor(result.records, request.anchor)
        if cached_users is None:
            self._users.store(org_id, fetched_users)
        parts.add_users(list(cached_users or ()) + fetched_users)

        prior = None
        if anchor_found is not None and request.anchor is not None:
            prior = await self._recover(session, request, request.anchor, anchor_found, keyed=keyed, counter=counter)
        return SalesforceSnapshot(
            users=tuple(parts.users.values()),
            contacts=tuple(parts.contacts.values()),
            leads=tuple(parts.leads.values()),
            accounts=tuple(parts.accounts.values()),
            opportunities=tuple(parts.opportunities.values()),
            contact_roles=tuple(parts.contact_roles.values()),
            prior=prior,
            has_sync_key_field=keyed,
        )

    # ------------------------------------------------------------------ pieces

    @staticmethod
    def _keyed_object(response: SubResponse | None, sobject: str) -> bool:
        if response is None:
            raise SyncError("Salesforce skipped a describe subrequest", detail=sobject)
        if response.status >= 300:
            _raise_sub(response, sobject)
        fields = response.body.get("fields") if isinstance(response.body, dict) else None
        for item in fields or []:
            if (
                isinstance(item, dict)
                and str(item.get("name", "")).lower() == SYNC_KEY_FIELD.lower()
                and item.get("externalId") is True
            ):
                return True
        return False

    async def _records(
        self, session: OrgSession, response: SubResponse | None, sub: SubRequest, counter: CallCounter
    ) -> list[dict[str, Any]]:
        if response is None:
            raise SyncError("Salesforce skipped a query subrequest", detail=sub.reference_id)
        if response.status >= 300:
            _raise_sub(response, sub.sobject)
        body = response.body if isinstance(response.body, dict) else {}
        total = body.get("totalSize")
        records = [r for r in body.get("records") or [] if isinstance(r, dict)]
        pages = 0
        while not body.get("done", True) and isinstance(body.get("nextRecordsUrl"), str) and pages < MAX_PAGES:
            next_url = body["nextRecordsUrl"]
            if not next_url.startswith("/services/data/"):
                break
            page = await self._transport.request(session, "GET", next_url, counter=counter, sobject=sub.sobject)
            body = page.body if isinstance(page.body, dict) else {}
            records += [r for r in body.get("records") or [] if isinstance(r, dict)]
            pages += 1
        if not body.get("done", True):
            # Each page is one more API request; past MAX_PAGES the rest is left out, visibly.
            log.warning(
                "salesforce.query_truncated",
                org_id=session.org_id,
                query=sub.reference_id,
                sobject=sub.sobject,
                fetched=len(records),
                total=total if isinstance(total, int) else None,
            )
        return records

    async def _recover(
        self,
        session: OrgSession,
        request: ReadRequest,
        anchor: Anchor,
        anchor_record: tuple[str, str],
        *,
        keyed: bool,
        counter: CallCounter,
    ) -> PriorSync:
        """The recovery read: what the earlier write (the ledger lost) left in Salesforce.

        `anchor_record` is the anchor's (Id, sync key). The lost write may have related attendees to
        an Event the ledger knows, so that Event's relations are read too.
        """
        anchor_id, anchor_key = anchor_record
        event_id = anchor_id if anchor.sobject == "Event" else None
        relations_of = event_id or request.known_event_id
        queries = prior_queries(request, anchor, keyed=keyed, event_id=relations_of)
        subrequests = [self._query_sub(i, q) for i, q in enumerate(queries)]
        responses = await send_composite(
            self._transport, session, self._version, subrequests, all_or_none=False, counter=counter
        )
        task_ids: dict[str, str] = {}
        note_id = anchor_id if anchor.sobject == "Note" else None
        attendees: set[str] = set()
        keys = {
            task_sync_key(request.meeting_id, item.action_item_id): item.action_item_id for item in request.action_items
        }
        prefix = request.meeting_id + ":"
        for sub, query in zip(subrequests, queries, strict=True):
            found = await self._records(session, responses.get(sub.reference_id), sub, counter)
            if query.kind == "prior_tasks":
                for record in found:
                    item_id = _task_item(record, keys, prefix, keyed=keyed, meeting_id=request.meeting_id)
                    if item_id is not None:
                        task_ids.setdefault(item_id, record["Id"])
            elif query.kind == "prior_note":
                note_key = note_sync_key(request.meeting_id)
                note_id = next((r["Id"] for r in found if has_marker(r.get("Body"), note_key)), None)
            elif query.kind == "prior_relations":
                attendees |= {r["RelationId"] for r in found if isinstance(r.get("RelationId"), str)}
        if anchor.sobject == "Task" and anchor_key in keys:
            task_ids.setdefault(keys[anchor_key], anchor_id)
        return PriorSync(event_id=event_id, note_id=note_id, task_ids=task_ids, attendee_ids=frozenset(attendees))


def _task_item(
    record: dict[str, Any], keys: dict[str, str], prefix: str, *, keyed: bool, meeting_id: str
) -> str | None:
    if keyed:
        key = record.get(SYNC_KEY_FIELD)
        if isinstance(key, str) and key:
            if key in keys:
                return keys[key]
            if key.startswith(prefix):
                return key[len(prefix) :]  # an item no longer in this revision
            return None
    # Unkeyed orgs, and Tasks written before the org installed the key field: the marker line.
    for key, item_id in keys.items():
        if has_marker(record.get("Description"), key):
            return item_id
    return None


def _confirmed_anchor(found: list[dict[str, Any]], anchor: Anchor) -> tuple[str, str] | None:
    """(Id, sync key) of the first candidate carrying one of the anchor's keys (key field or marker line)."""
    text_field = "Body" if anchor.sobject == "Note" else "Description"
    for record in found:
        for key in anchor.sync_keys:
            if record.get(SYNC_KEY_FIELD) == key or has_marker(record.get(text_field), key):
                return str(record["Id"]), key
    return None


def _raise_sub(response: SubResponse, sobject: str) -> None:
    errors = errors_in(response.body)
    error = org_level_error(errors, status=response.status, sobject=sobject)
    if error is not None:
        raise error
    first = errors[0] if errors else SfError("UNKNOWN_ERROR", "")
    raise SyncError(
        "Salesforce refused a read of the meeting's records",
        detail=f"{response.status} {sobject} {first.code}: {redact(first.message)}"[:1000],
    )


def _url_quote(statement: str) -> str:
    return quote(statement, safe="")
