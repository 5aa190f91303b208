"""The ledger remembers the last KEPT_RESULTS published results of a meeting, for redelivered events."""

from __future__ import annotations

from pipeline_builders import NOW, ORG_ID

from service.domain.ledger import KEPT_RESULTS, LedgerEntry
from service.domain.messages import Reason, SyncResult, SyncStatus


def result(event_id: str, status: SyncStatus = SyncStatus.SYNCED) -> SyncResult:
    return SyncResult(
        result_id=f"r-{event_id}-{status}", org_id=ORG_ID, meeting_id="m-1", source_event_id=event_id,
        status=status, reason=Reason.SYNCED, message="Synced to Salesforce.", processed_at=NOW,
    )


def entry_with(*event_ids: str) -> LedgerEntry:
    entry = LedgerEntry(org_id=ORG_ID, meeting_id="m-1")
    for event_id in event_ids:
        entry = entry.with_result(event_id, result(event_id))
    return entry


def test_a_remembered_result_is_found_by_its_event_id() -> None:
    entry = entry_with("e1", "e2")
    assert entry.result_for("e1") == result("e1")
    assert entry.result_for("e3") is None


def test_at_most_kept_results_are_remembered_and_the_oldest_is_forgotten() -> None:
    ids = [f"e{n}" for n in range(KEPT_RESULTS + 3)]
    entry = entry_with(*ids)

    assert len(entry.results) == KEPT_RESULTS
    assert all(entry.result_for(e) is None for e in ids[:3])
    assert all(entry.result_for(e) == result(e) for e in ids[3:])


def test_a_new_result_for_an_event_replaces_the_old_one() -> None:
    entry = entry_with("e1", "e2").with_result("e1", result("e1", SyncStatus.FAILED))

    assert len(entry.results) == 2
    assert entry.result_for("e1") == result("e1", SyncStatus.FAILED)


def test_a_replaced_result_counts_as_recent() -> None:
    ids = [f"e{n}" for n in range(KEPT_RESULTS)]
    entry = entry_with(*ids).with_result("e0", result("e0", SyncStatus.FAILED)).with_result("new", result("new"))

    assert entry.result_for("e0") is not None  # re-recorded, so e1 is now the oldest
    assert entry.result_for("e1") is None


def test_the_oldest_is_still_forgotten_after_the_entry_went_through_the_table() -> None:
    ids = [f"e{n}" for n in range(KEPT_RESULTS)]
    stored = LedgerEntry.model_validate_json(entry_with(*ids).model_dump_json())

    entry = stored.with_result("new", result("new"))

    assert entry.result_for("e0") is None
    assert entry.result_for("new") is not None


def test_with_result_leaves_the_original_entry_unchanged() -> None:
    entry = entry_with("e1")
    entry.with_result("e2", result("e2"))
    assert entry.result_for("e2") is None
