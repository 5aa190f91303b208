"""Event contracts: the pydantic models are the source of truth for every topic's value.

Other teams code against these field names; add fields, never rename. JSON Schemas in `schemas/`
are generated from these models (`python -m service.schemas`) and a test fails when they drift.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

MEETING_SCHEMA_VERSION = 1
RESULT_SCHEMA_VERSION = 1

Id = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=2_000)]


class Contract(BaseModel):
    """Base of what others send us: unknown fields are refused so typos fail loudly at the boundary."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Produced(BaseModel):
    """Base of what this service writes (results, retries, its own state): unknown fields are ignored,
    so during a rolling deploy an older worker can read what a newer one wrote."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# ---------------------------------------------------------------- meetings.summaries.v1


class Platform(StrEnum):
    GOOGLE_MEET = "google_meet"
    ZOOM = "zoom"
    MICROSOFT_TEAMS = "microsoft_teams"
    OTHER = "other"


class Person(Contract):
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    name: Annotated[str, StringConstraints(max_length=500)] | None = None


class Owner(Contract):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    name: Annotated[str, StringConstraints(max_length=500)] | None = None


class Summary(Contract):
    text: Annotated[str, StringConstraints(max_length=200_000)] = ""
    key_points: list[ShortText] = Field(default_factory=list, max_length=200)


class Meddic(Contract):
    metrics: list[ShortText] = Field(default_factory=list)
    economic_buyer: list[ShortText] = Field(default_factory=list)
    decision_criteria: list[ShortText] = Field(default_factory=list)
    decision_process: list[ShortText] = Field(default_factory=list)
    identify_pain: list[ShortText] = Field(default_factory=list)
    champion: list[ShortText] = Field(default_factory=list)


class Insights(Contract):
    competitors: list[ShortText] = Field(default_factory=list)
    objections: list[ShortText] = Field(default_factory=list)
    meddic: Meddic = Field(default_factory=Meddic)
    pricing: list[ShortText] = Field(default_factory=list)


class ActionItemStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class ActionItemPriority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ActionItem(Contract):
    id: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=32_000)]
    assignee_email: Annotated[str, StringConstraints(max_length=320)] | None = None
    status: ActionItemStatus = ActionItemStatus.OPEN
    priority: ActionItemPriority = ActionItemPriority.NORMAL
    due_date: date | None = None


class MeetingSummary(Contract):
    """A meeting snapshot, published by the summarizer when a meeting ends or its summary changes."""

    schema_version: Literal[1] = 1
    event_id: Id
    org_id: Id
    meeting_id: Id
    revision: int = Field(ge=1)
    title: Annotated[str, StringConstraints(max_length=10_000)]
    platform: Platform = Platform.OTHER
    started_at: AwareDatetime
    ended_at: AwareDatetime
    owner: Owner
    participants: list[Person] = Field(default_factory=list, max_length=1_000)
    summary: Summary | None = None
    insights: Insights | None = None
    action_items: list[ActionItem] = Field(default_factory=list, max_length=500)


# ---------------------------------------------------------------- crm.org-configs.v1


class Crm(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


class SalesforceConnection(Contract):
    """The org's Salesforce connection. Tokens are Fernet ciphertexts, never plaintext."""

    instance_url: Annotated[str, StringConstraints(max_length=500)]
    access_token: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    refresh_token: Annotated[str, StringConstraints(max_length=10_000)]
    login_url: Annotated[str, StringConstraints(max_length=500)] = "https://login.salesforce.com"


class SyncSettings(Contract):
    """Settings > Integrations > Salesforce, with the product's defaults."""

    auto_sync: bool = True
    log_meetings: bool = True
    include_ai_summary: bool = True
    sync_action_items: bool = True
    create_contacts_for_unmatched: bool = False
    skip_internal_only: bool = True
    min_duration_minutes: int = Field(default=5, ge=0, le=24 * 60)


class OrgConfig(Contract):
    org_id: Id
    crm: Crm | None = None
    salesforce: SalesforceConnection | None = None
    verified_domains: list[Annotated[str, StringConstraints(max_length=253)]] = Field(default_factory=list)
    settings: SyncSettings = Field(default_factory=SyncSettings)
    updated_at: AwareDatetime


# ---------------------------------------------------------------- crm.sync-results.v1


class SyncStatus(StrEnum):
    SYNCED = "synced"
    PARTIAL = "partial"
    SKIPPED = "skipped"
    FAILED = "failed"
    DEFERRED = "deferred"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self is not SyncStatus.DEFERRED


class Reason(StrEnum):
    """Machine codes of a result's `reason`; `docs/results.md` explains each to users."""

    SYNCED = "synced"
    PARTIAL_WRITE = "partial_write"
    AUTO_SYNC_DISABLED = "auto_sync_disabled"
    CRM_NOT_CONNECTED = "crm_not_connected"
    OTHER_CRM_CONNECTED = "other_crm_connected"
    BELOW_MIN_DURATION = "below_min_duration"
    INTERNAL_ONLY = "internal_only"
    NOTHING_TO_WRITE = "nothing_to_write"
    STALE_REVISION = "stale_revision"
    INVALID_EVENT = "invalid_event"
    CONNECTION_EXPIRED = "connection_expired"
    API_ACCESS_UNAVAILABLE = "api_access_unavailable"
    INSUFFICIENT_PERMISSIONS = "insufficient_permissions"
    API_LIMIT = "api_limit"
    SALESFORCE_UNAVAILABLE = "salesforce_unavailable"
    SALESFORCE_ERROR = "salesforce_error"
    INSTANCE_NOT_ALLOWED = "instance_not_allowed"
    RETRIES_EXHAUSTED = "retries_exhausted"
    INTERNAL_ERROR = "internal_error"


class MatchConfidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


class MatchPath(StrEnum):
    OCR = "ocr"
    ACCOUNT_OWNED = "account_owned"
    ACCOUNT = "account"
    ACCOUNT_ONLY = "account_only"
    NONE = "none"


class UnmatchedEmail(Produced):
    email: str
    why: Literal["no_record", "free_mail_domain", "no_email"]


class MatchReport(Produced):
    """What the ladder found and why, as published in a result."""

    confidence: MatchConfidence
    path: MatchPath
    contact_id: str | None = None
    lead_id: str | None = None
    account_id: str | None = None
    opportunity_id: str | None = None
    matched_contact_ids: list[str] = Field(default_factory=list)
    matched_lead_ids: list[str] = Field(default_factory=list)
    internal_emails: list[str] = Field(default_factory=list)
    unmatched_emails: list[str] = Field(default_factory=list)
    unmatched: list[UnmatchedEmail] = Field(default_factory=list)
    explanation: list[str] = Field(default_factory=list)


class RecordError(Produced):
    """One record Salesforce refused, and why."""

    record: str  # e.g. "task:ai-2", "event", "note", "contact:jane@x.com"
    error_code: str
    message: str
    fields: list[str] = Field(default_factory=list)


class WrittenRecords(Produced):
    event_id: str | None = None
    note_id: str | None = None
    task_ids: dict[str, str] = Field(default_factory=dict)
    created_contact_ids: list[str] = Field(default_factory=list)
    owner_ids: dict[str, str] = Field(default_factory=dict)  # "event" / "task:<id>" -> User Id
    removed_action_item_ids: list[str] = Field(default_factory=list)
    errors: list[RecordError] = Field(default_factory=list)


class SyncResult(Produced):
    """One result per processed meeting revision (plus `deferred` progress reports)."""

    schema_version: Literal[1] = 1
    result_id: str
    org_id: str
    meeting_id: str
    revision: int | None = None
    source_event_id: str | None = None
    status: SyncStatus
    reason: Reason
    message: str
    match: MatchReport | None = None
    records: WrittenRecords | None = None
    salesforce_api_calls: int = 0
    attempt: int = 1
    processed_at: AwareDatetime


# ---------------------------------------------------------------- crm.sync-retry.v1


class RetryRequest(Produced):
    """Deferred work: the meeting comes back to the sync path at `not_before`."""

    org_id: str
    meeting: MeetingSummary
    attempt: int = Field(ge=1)
    not_before: AwareDatetime
    first_attempt_at: AwareDatetime
    last_reason: Reason
    last_error: str = ""

