"""Builders and fakes for the pipeline's unit tests: meetings as upstream sends them, an org, a fake Salesforce."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from service.config import Settings
from service.domain.lookup import ReadRequest
from service.domain.messages import (
    Crm,
    MeetingSummary,
    OrgConfig,
    SalesforceConnection,
    SyncSettings,
    WrittenRecords,
)
from service.domain.plan import WritePlan
from service.domain.snapshot import SalesforceSnapshot, SfAccount, SfContact, SfUser
from service.errors import SyncError
from service.pipeline.work import WorkItem, WorkKind
from service.salesforce.client import ReadOutcome, WriteOutcome
from service.salesforce.tokens import StoredTokens

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORG_ID = "00Dacme"
OWNER = "dana@acme.io"
JOHN = "john@techcorp.com"


def meeting_dict(
    meeting_id: str = "m-ocr", *, revision: int = 1, org_id: str = ORG_ID, minutes: int = 30, **fields: Any
) -> dict[str, Any]:
    """A meeting as the summarizer publishes it (shaped like `stack/demo_org.py`'s)."""
    ended = NOW - timedelta(minutes=5)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "event_id": f"{meeting_id}-r{revision}",
        "org_id": org_id,
        "meeting_id": meeting_id,
        "revision": revision,
        "title": "TechCorp expansion review",
        "platform": "zoom",
        "started_at": (ended - timedelta(minutes=minutes)).isoformat(),
        "ended_at": ended.isoformat(),
        "owner": {"email": OWNER, "name": "Dana"},
        "participants": [{"email": OWNER, "name": "Dana Seller"}, {"email": JOHN, "name": "John"}],
        "summary": {"text": "We discussed the roll-out plan.", "key_points": ["Pricing reviewed"]},
        "insights": None,
        "action_items": [{"id": "ai-1", "text": "Send the proposal", "assignee_email": OWNER}],
    }
    doc.update(fields)
    return doc


def meeting_bytes(**fields: Any) -> bytes:
    return json.dumps(meeting_dict(**fields)).encode()


def meeting(**fields: Any) -> MeetingSummary:
    return MeetingSummary.model_validate(meeting_dict(**fields))


def org(crm: Crm | None = Crm.SALESFORCE, *, updated_at: datetime = NOW - timedelta(days=1)) -> OrgConfig:
    return OrgConfig(
        org_id=ORG_ID,
        crm=crm,
        salesforce=SalesforceConnection(instance_url="https://acme.my.salesforce.com", refresh_token="gAAAA-enc")
        if crm is Crm.SALESFORCE
        else None,
        verified_domains=["acme.io"],
        settings=SyncSettings(),
        updated_at=updated_at,
    )


def work(m: MeetingSummary, *, attempt: int = 1, first_attempt_at: datetime | None = None) -> WorkItem:
    return WorkItem(
        kind=WorkKind.MEETING, org_id=m.org_id, meeting=m, attempt=attempt, first_attempt_at=first_attempt_at
    )


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "retry_max_attempts": 5,
        "retry_base_delay_s": 5.0,
        "retry_max_delay_s": 60.0,
        "retry_max_age_s": 6 * 3600.0,
        "meeting_timeout_s": 30.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# John is a Contact of TechCorp: the ladder finds him, so the plan writes an Event and a Task.
SNAPSHOT = SalesforceSnapshot(
    users=(SfUser(id="005DANA", email=OWNER, name="Dana Seller"),),
    contacts=(SfContact(id="003JOHN", email=JOHN, account_id="001TECH", last_name="Smith"),),
    accounts=(SfAccount(id="001TECH", name="TechCorp", website="techcorp.com"),),
)

WRITTEN = WrittenRecords(event_id="00UEVENT", task_ids={"ai-1": "00TTASK1"})


class FakeSalesforce:
    """The `Salesforce` port: answers with a snapshot and written records, or raises the error it was given."""

    def __init__(
        self,
        snapshot: SalesforceSnapshot = SNAPSHOT,
        records: WrittenRecords = WRITTEN,
        *,
        attendee_ids: tuple[str, ...] = ("003JOHN",),
        read_error: SyncError | None = None,
        write_error: SyncError | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.records = records
        self.attendee_ids = attendee_ids
        self.read_error = read_error
        self.write_error = write_error
        self.reads: list[ReadRequest] = []
        self.writes: list[WritePlan] = []

    @property
    def calls(self) -> int:
        return len(self.reads) + len(self.writes)

    async def read(self, org: OrgConfig, request: ReadRequest, *, tokens: StoredTokens | None = None) -> ReadOutcome:
        self.reads.append(request)
        if self.read_error is not None:
            raise self.read_error
        return ReadOutcome(snapshot=self.snapshot, api_calls=1)

    async def write(self, org: OrgConfig, plan: WritePlan, *, tokens: StoredTokens | None = None) -> WriteOutcome:
        self.writes.append(plan)
        if self.write_error is not None:
            raise self.write_error
        return WriteOutcome(records=self.records, attendee_ids=self.attendee_ids, api_calls=1)
