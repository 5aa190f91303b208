"""Building `SyncResult`s. A result's id is derived from what it answers, so a repeat is recognisable."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from service.domain.messages import MatchReport, MeetingSummary, Reason, SyncResult, SyncStatus, WrittenRecords

_NAMESPACE = uuid.UUID("9a3c1e52-6f0b-4b7e-9d0c-2f1c6a8e4b11")


def result_id(*parts: object) -> str:
    """Deterministic id: the same inputs (a replay after a crash) give the same result_id.

    The parts are encoded as a JSON list, so no id containing a separator can collide with another.
    """
    return str(uuid.uuid5(_NAMESPACE, json.dumps([str(p) for p in parts])))


def meeting_result(
    meeting: MeetingSummary,
    *,
    status: SyncStatus,
    reason: Reason,
    message: str,
    now: datetime,
    attempt: int = 1,
    match: MatchReport | None = None,
    records: WrittenRecords | None = None,
    api_calls: int = 0,
) -> SyncResult:
    return SyncResult(
        result_id=result_id(meeting.org_id, meeting.meeting_id, meeting.revision, meeting.event_id, attempt, status),
        org_id=meeting.org_id,
        meeting_id=meeting.meeting_id,
        revision=meeting.revision,
        source_event_id=meeting.event_id,
        status=status,
        reason=reason,
        message=message,
        match=match,
        records=records,
        salesforce_api_calls=api_calls,
        attempt=attempt,
        processed_at=now,
    )
