"""The Salesforce client the pipeline uses: one read and one write request per meeting."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from service.config import Settings
from service.crypto import TokenCipher
from service.domain.lookup import ReadRequest
from service.domain.messages import OrgConfig, WrittenRecords
from service.domain.plan import WritePlan
from service.domain.snapshot import SalesforceSnapshot
from service.errors import ConnectionExpired
from service.salesforce.caches import DescribeCache, UserCache
from service.salesforce.limits import ApiUsage, UsageBook
from service.salesforce.reads import Reader
from service.salesforce.tokens import OrgSession, StoredTokens, connection_fingerprint, session_from, stored
from service.salesforce.transport import CallCounter, Transport
from service.salesforce.writes import Writer


@dataclass(frozen=True)
class ReadOutcome:
    snapshot: SalesforceSnapshot
    api_calls: int


@dataclass(frozen=True)
class WriteOutcome:
    records: WrittenRecords
    attendee_ids: tuple[str, ...]  # RelationIds on the Event: related now and before
    api_calls: int


class SalesforceClient:
    """Per worker: one pooled HTTP session; per org: tokens, API usage, user and describe caches."""

    def __init__(
        self,
        settings: Settings,
        cipher: TokenCipher,
        *,
        clock: Callable[[], float] = time.monotonic,
        transport: Transport | None = None,
    ) -> None:
        self._settings = settings
        self._cipher = cipher
        self._usage = UsageBook(settings.api_usage_recheck_s)
        self._transport = transport or Transport(settings, self._usage)
        self._sessions: dict[str, OrgSession] = {}
        self._stored: dict[str, tuple[tuple[int, datetime], StoredTokens]] = {}
        self._users = UserCache(settings.users_cache_ttl_s, clock)
        self._describe = DescribeCache(settings.describe_cache_ttl_s, clock)
        self._reader = Reader(self._transport, settings.salesforce_api_version, self._users, self._describe)
        self._writer = Writer(self._transport, settings.salesforce_api_version)

    async def start(self) -> None:
        await self._transport.start()

    async def close(self) -> None:
        await self._transport.close()

    def _session(self, org: OrgConfig, tokens: StoredTokens | None) -> OrgSession:
        if org.salesforce is None:
            raise ConnectionExpired("Salesforce is not connected for this organization")
        current = self._sessions.get(org.org_id)
        if current is not None and current.source_config_updated_at >= org.updated_at:
            return current
        if current is not None and current.connection_fingerprint == connection_fingerprint(org, self._cipher):
            current.source_config_updated_at = org.updated_at  # a settings change: same connection, same tokens
            return current
        if current is not None:  # a new connection replaces everything learned from the old one
            self.forget(org.org_id)
        session = session_from(org, tokens, self._cipher)
        self._sessions[org.org_id] = session
        return session

    async def read(self, org: OrgConfig, request: ReadRequest, *, tokens: StoredTokens | None = None) -> ReadOutcome:
        """The meeting's Salesforce snapshot: one composite request in steady state."""
        session = self._session(org, tokens)
        self._transport.check_hosts(session)
        self._transport.refuse_if_over_reserve(org.org_id)
        counter = CallCounter()
        snapshot = await self._reader.read(session, request, counter)
        return ReadOutcome(snapshot=snapshot, api_calls=counter.calls)

    async def write(self, org: OrgConfig, plan: WritePlan, *, tokens: StoredTokens | None = None) -> WriteOutcome:
        """Execute the plan as one atomic composite; refused records come back in `records.errors`."""
        if plan.is_empty:
            return WriteOutcome(
                records=WrittenRecords(
                    owner_ids=dict(plan.owner_ids), removed_action_item_ids=list(plan.removed_action_item_ids)
                ),
                attendee_ids=plan.attendee_ids,
                api_calls=0,
            )
        session = self._session(org, tokens)
        self._transport.check_hosts(session)
        self._transport.refuse_if_over_reserve(org.org_id)
        counter = CallCounter()
        records, attendees = await self._writer.write(session, plan, counter)
        return WriteOutcome(records=records, attendee_ids=attendees, api_calls=counter.calls)

    def tokens_for(self, org_id: str) -> StoredTokens | None:
        """The org's current tokens (refreshed or rotated ones included), encrypted, to persist."""
        session = self._sessions.get(org_id)
        if session is None:
            return None
        # Encrypting again would give a new ciphertext each time, and the pipeline would persist
        # unchanged tokens after every batch: re-encrypt only when the session changed.
        key = (session.generation, session.source_config_updated_at)
        cached = self._stored.get(org_id)
        if cached is None or cached[0] != key:
            cached = (key, stored(session, self._cipher))
            self._stored[org_id] = cached
        return cached[1]

    def usage(self, org_id: str) -> ApiUsage | None:
        return self._usage.get(org_id)

    def forget(self, org_id: str) -> None:
        """Drop what this worker holds for the org (disconnected, or a new config arrived)."""
        self._sessions.pop(org_id, None)
        self._stored.pop(org_id, None)
        self._users.forget(org_id)
        self._describe.forget(org_id)
