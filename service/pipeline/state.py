"""Per-org state kept beside the org's config: refreshed tokens and parked meetings.

Lives in a Faust Table keyed by org_id, co-partitioned with the org's work. Sized in the README:
a few hundred bytes per org plus the parked meetings (bounded by `parked_per_org`).
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from service.domain.messages import Contract
from service.pipeline.work import WorkItem
from service.salesforce.tokens import StoredTokens


class OrgState(Contract):
    tokens: StoredTokens | None = None
    connection_expired_at: AwareDatetime | None = None  # set on invalid_grant, cleared by a new config
    parked: dict[str, WorkItem] = Field(default_factory=dict)  # meeting_id -> newest parked revision
