"""One meeting revision, start to finish: gate, read, match, plan, write, and the result.

Pure of Kafka: it takes the org's config, state and the meeting's ledger entry, and returns an
`Outcome` that the agent applies (tables, topics). That keeps the sync testable against the
simulator alone, and keeps every Faust detail in `app.py`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from service.config import Settings
from service.domain.gating import gate_before_read
from service.domain.ledger import LedgerEntry
from service.domain.lookup import ReadRequest
from service.domain.matching import match_meeting
from service.domain.messages import (
    MatchReport,
    MeetingSummary,
    OrgConfig,
    Reason,
    RetryRequest,
    SyncResult,
    SyncStatus,
    WrittenRecords,
)
from service.domain.plan import WritePlan
from service.domain.planning import plan_writes
from service.domain.reads import read_request
from service.domain.reasons import message_for
from service.errors import ApiLimitReached, ConnectionExpired, InsufficientPermissions, SyncError, TransientError
from service.pipeline.results import meeting_result
from service.pipeline.state import OrgState
from service.pipeline.work import WorkItem
from service.salesforce.client import ReadOutcome, WriteOutcome
from service.salesforce.tokens import StoredTokens

log = structlog.get_logger(__name__)


class Salesforce(Protocol):
    """What the syncer needs of the Salesforce client."""

    async def read(
        self, org: OrgConfig, request: ReadRequest, *, tokens: StoredTokens | None = None
    ) -> ReadOutcome: ...

    async def write(
        self, org: OrgConfig, plan: WritePlan, *, tokens: StoredTokens | None = None
    ) -> WriteOutcome: ...


@dataclass(frozen=True)
class Outcome:
    result: SyncResult | None = None  # to publish
    ledger: LedgerEntry | None = None  # the meeting's new ledger entry (None: unchanged)
    retry: RetryRequest | None = None  # to send to the retry topic
    park: WorkItem | None = None  # to park until the org reconnects
    repeat: bool = False  # the result is one already published (a redelivered event)


class MeetingSyncer:
    def __init__(self, settings: Settings, salesforce: Salesforce, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._salesforce = salesforce
        self._clock = clock

    async def sync(
        self, item: WorkItem, org: OrgConfig | None, state: OrgState | None, ledger: LedgerEntry | None
    ) -> Outcome:
        meeting = item.meeting
        assert meeting is not None, "sync() takes meeting work items"
        now = self._clock()
        if ledger is not None and (done := ledger.result_for(meeting.event_id)) and done.status.is_terminal:
            return Outcome(result=done, repeat=True)  # redelivered: same result, Salesforce untouched
        if ledger is not None and ledger.attempted(meeting.event_id) >= item.attempt:
            return Outcome()  # this attempt was handled and deferred already: a duplicate copy of it

        reason = gate_before_read(meeting, org, ledger)
        if reason is not None or org is None:
            return self._terminal(meeting, ledger, SyncStatus.SKIPPED, reason or Reason.CRM_NOT_CONNECTED, now, item)

        expired_at = state.connection_expired_at if state is not None else None
        if expired_at is not None and org.updated_at <= expired_at:
            # Known expired: don't spend a token request per meeting, park it until a new config.
            return self._park(meeting, item, ledger, now)

        tokens = state.tokens if state is not None else None
        read: ReadOutcome | None = None
        try:
            read = await self._salesforce.read(org, read_request(meeting, org, ledger), tokens=tokens)
            match = match_meeting(meeting, org, read.snapshot, now)
            plan = plan_writes(meeting, org, read.snapshot, match, ledger, now)
            if plan.skip is not None or plan.is_empty:
                return self._terminal(
                    meeting, ledger, SyncStatus.SKIPPED, plan.skip or Reason.NOTHING_TO_WRITE, now, item,
                    match=match.report, api_calls=read.api_calls,
                )
            written = await self._salesforce.write(org, plan, tokens=tokens)
        except ConnectionExpired:
            return self._park(meeting, item, ledger, now)
        except (TransientError, ApiLimitReached) as exc:
            return self._retry_or_fail(meeting, item, ledger, exc, now)
        except SyncError as exc:
            sobject = exc.sobject if isinstance(exc, InsufficientPermissions) else None
            return self._terminal(
                meeting, ledger, SyncStatus.FAILED, exc.reason, now, item,
                message=message_for(exc.reason, exc.message, sobject=sobject or None),
                api_calls=read.api_calls if read else 0,
            )

        records = written.records
        status = SyncStatus.PARTIAL if records.errors else SyncStatus.SYNCED
        reason = Reason.PARTIAL_WRITE if records.errors else Reason.SYNCED
        result = meeting_result(
            meeting, status=status, reason=reason, message=message_for(reason, _error_summary(records)),
            now=now, attempt=item.attempt, match=match.report, records=records,
            api_calls=read.api_calls + written.api_calls,
        )
        return Outcome(result=result, ledger=_ledger_after_write(meeting, ledger, records, written, result))

    def _terminal(
        self,
        meeting: MeetingSummary,
        ledger: LedgerEntry | None,
        status: SyncStatus,
        reason: Reason,
        now: datetime,
        item: WorkItem,
        *,
        message: str | None = None,
        match: MatchReport | None = None,
        api_calls: int = 0,
    ) -> Outcome:
        result = meeting_result(
            meeting, status=status, reason=reason, message=message or message_for(reason), now=now,
            attempt=item.attempt, match=match, api_calls=api_calls,
        )
        entry = ledger or LedgerEntry(org_id=meeting.org_id, meeting_id=meeting.meeting_id)
        entry = entry.model_copy(update={"revision": max(entry.revision, meeting.revision)})
        return Outcome(result=result, ledger=entry.with_result(meeting.event_id, result))

    def _park(self, meeting: MeetingSummary, item: WorkItem, ledger: LedgerEntry | None, now: datetime) -> Outcome:
        """Parked until a new config for the org arrives; the worker's park timer ends it (failed) if the
        org has not reconnected `retry_max_age_s` after the first attempt."""
        first = item.first_attempt_at or now
        result = meeting_result(
            meeting, status=SyncStatus.DEFERRED, reason=Reason.CONNECTION_EXPIRED,
            message=message_for(Reason.CONNECTION_EXPIRED), now=now, attempt=item.attempt,
        )
        parked = item.model_copy(update={"first_attempt_at": first, "last_reason": Reason.CONNECTION_EXPIRED})
        return Outcome(result=result, park=parked, ledger=_attempted(meeting, ledger, item.attempt))

    def _retry_or_fail(
        self,
        meeting: MeetingSummary,
        item: WorkItem,
        ledger: LedgerEntry | None,
        exc: SyncError,
        now: datetime,
        min_delay_s: float = 0.0,
    ) -> Outcome:
        first = item.first_attempt_at or now
        age = (now - first).total_seconds()
        if item.attempt >= self._settings.retry_max_attempts or age >= self._settings.retry_max_age_s:
            return self._terminal(
                meeting, ledger, SyncStatus.FAILED, Reason.RETRIES_EXHAUSTED, now, item,
                message=message_for(Reason.RETRIES_EXHAUSTED, f"{exc.reason}: {exc.message}"),
            )
        delay = max(min_delay_s, self.backoff(item.attempt))
        retry = RetryRequest(
            org_id=meeting.org_id, meeting=meeting, attempt=item.attempt + 1,
            not_before=now + timedelta(seconds=delay), first_attempt_at=first,
            last_reason=exc.reason, last_error=exc.message[:500],
        )
        result = meeting_result(
            meeting, status=SyncStatus.DEFERRED, reason=exc.reason, now=now, attempt=item.attempt,
            message=message_for(exc.reason, f"retrying in {delay:.0f}s (attempt {item.attempt + 1})"),
        )
        return Outcome(result=result, retry=retry, ledger=_attempted(meeting, ledger, item.attempt))

    def too_slow(self, item: WorkItem, ledger: LedgerEntry | None) -> Outcome:
        """The meeting outlasted `meeting_timeout_s`: it leaves the batch for the retry path."""
        assert item.meeting is not None
        slow = TransientError(f"Salesforce did not finish within {self._settings.meeting_timeout_s:.0f}s")
        # A cancelled request may still be running in Salesforce: come back after it must have ended,
        # so the next attempt's anchor query sees its write.
        return self._retry_or_fail(
            item.meeting, item, ledger, slow, self._clock(), min_delay_s=self._settings.request_timeout_s
        )

    def crashed(self, item: WorkItem, ledger: LedgerEntry | None, exc: Exception) -> Outcome:
        """A bug of ours: the meeting fails with internal_error instead of stopping the worker."""
        assert item.meeting is not None
        return self._terminal(
            item.meeting, ledger, SyncStatus.FAILED, Reason.INTERNAL_ERROR, self._clock(), item,
            message=message_for(Reason.INTERNAL_ERROR, type(exc).__name__),
        )

    def park_expired(self, item: WorkItem, ledger: LedgerEntry | None) -> Outcome:
        """A parked meeting's deadline came: it ends failed unless it was synced meanwhile."""
        meeting = item.meeting
        assert meeting is not None
        if ledger is not None and ledger.revision >= meeting.revision:
            return Outcome()  # resumed and finished after a reconnect: nothing left to say
        return self._terminal(
            meeting, ledger, SyncStatus.FAILED, Reason.CONNECTION_EXPIRED, self._clock(), item,
        )

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that an org's deferred meetings don't return in a herd."""
        ceiling = min(self._settings.retry_max_delay_s, self._settings.retry_base_delay_s * 2 ** (attempt - 1))
        return float(ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not security


def _error_summary(records: WrittenRecords) -> str:
    return "; ".join(f"{e.record}: {e.error_code} {e.message}" for e in records.errors)


def _ledger_after_write(
    meeting: MeetingSummary, ledger: LedgerEntry | None, records: WrittenRecords, written: WriteOutcome,
    result: SyncResult,
) -> LedgerEntry:
    entry = ledger or LedgerEntry(org_id=meeting.org_id, meeting_id=meeting.meeting_id)
    entry = entry.model_copy(
        update={
            "revision": max(entry.revision, meeting.revision),
            "event_id": records.event_id or entry.event_id,
            "note_id": records.note_id or entry.note_id,
            "task_ids": {**entry.task_ids, **records.task_ids},
            "attendee_ids": sorted(set(entry.attendee_ids) | set(written.attendee_ids)),
            "created_contact_ids": sorted(set(entry.created_contact_ids) | set(records.created_contact_ids)),
        }
    )
    return entry.with_result(meeting.event_id, result)


def _attempted(meeting: MeetingSummary, ledger: LedgerEntry | None, attempt: int) -> LedgerEntry:
    entry = ledger or LedgerEntry(org_id=meeting.org_id, meeting_id=meeting.meeting_id)
    return entry.with_attempt(meeting.event_id, attempt)
