"""Items on the internal work topic: everything that changes an org's state, in the org's order."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from service.domain.messages import MeetingSummary, OrgConfig, Produced, Reason


class WorkKind(StrEnum):
    MEETING = "meeting"  # a meeting revision to sync (first try or a retry that is due)
    ORG_CONFIG = "org_config"  # a new config for the org
    ORG_DELETED = "org_deleted"  # a tombstone on the config topic
    PARK_EXPIRY = "park_expiry"  # a parked meeting's time is up: fail it if still parked


class WorkItem(Produced):
    kind: WorkKind
    org_id: str
    meeting: MeetingSummary | None = None
    config: OrgConfig | None = None
    attempt: int = 1
    first_attempt_at: AwareDatetime | None = None
    last_reason: Reason | None = None
    last_error: str = ""
