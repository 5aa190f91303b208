"""Per-org state kept beside the org's config: refreshed tokens and which meetings are parked.

Lives in a Faust Table keyed by org_id, co-partitioned with the org's work: a few hundred bytes per
org plus the parked meetings' ids (bounded by `parked_per_org`). The parked meetings themselves live
in their own table, keyed by meeting id, so no single changelog record grows with the parked list.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from service.domain.messages import Produced
from service.salesforce.tokens import StoredTokens


class OrgState(Produced):
    tokens: StoredTokens | None = None
    connection_expired_at: AwareDatetime | None = None  # set on invalid_grant, cleared by a new config
    parked_meeting_ids: list[str] = Field(default_factory=list)  # waiting for the org to reconnect
