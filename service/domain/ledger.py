"""The sync ledger: what was written to Salesforce for one meeting, and which results went out.

Stored in a Faust Table keyed by meeting_id, written only while processing that meeting's
(org-keyed) events. Updates replace the whole entry (never increment), so a replay after a crash
writes the same value again: see FAUST-NOTES pitfall 3.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from service.domain.messages import Produced, SyncResult

KEPT_RESULTS = 4  # results remembered per meeting, for redelivered events (newest revisions)


class LedgerEntry(Produced):
    org_id: str
    meeting_id: str
    revision: int = 0  # newest revision with a terminal result
    event_id: str | None = None  # Salesforce Event Id
    note_id: str | None = None
    task_ids: dict[str, str] = Field(default_factory=dict)  # action item id -> Task Id
    attendee_ids: list[str] = Field(default_factory=list)  # RelationIds on the Event
    created_contact_ids: list[str] = Field(default_factory=list)
    results: dict[str, SyncResult] = Field(default_factory=dict)  # source event_id -> result published
    # source event_id -> the highest attempt already handled: a second copy of an attempt (redelivery
    # after a crash, or a duplicated retry) is dropped instead of starting a second retry chain.
    attempts: dict[str, int] = Field(default_factory=dict)

    @property
    def last_activity(self) -> datetime | None:
        """When the newest remembered result was published: the entry's age, for retention."""
        return max((r.processed_at for r in self.results.values()), default=None)

    def result_for(self, event_id: str) -> SyncResult | None:
        return self.results.get(event_id)

    def attempted(self, event_id: str) -> int:
        return self.attempts.get(event_id, 0)

    def with_attempt(self, event_id: str, attempt: int) -> LedgerEntry:
        """The entry noting that `attempt` of `event_id` was handled (deferred)."""
        kept = dict(self.attempts)
        kept.pop(event_id, None)
        kept[event_id] = max(attempt, self.attempts.get(event_id, 0))
        while len(kept) > KEPT_RESULTS:
            kept.pop(next(iter(kept)))
        return self.model_copy(update={"attempts": kept})

    def with_result(self, event_id: str, result: SyncResult) -> LedgerEntry:
        """The entry with `result` remembered for `event_id`, oldest forgotten past KEPT_RESULTS."""
        kept = dict(self.results)
        kept.pop(event_id, None)
        kept[event_id] = result
        while len(kept) > KEPT_RESULTS:
            kept.pop(next(iter(kept)))
        return self.model_copy(update={"results": kept})
