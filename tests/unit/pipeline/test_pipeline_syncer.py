"""One meeting revision through MeetingSyncer against a fake Salesforce and a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pipeline_builders import NOW, ORG_ID, WRITTEN, FakeSalesforce, meeting, org, settings, work

from service.config import Settings
from service.domain.ledger import LedgerEntry
from service.domain.messages import Crm, Reason, RecordError, SyncStatus, WrittenRecords
from service.domain.reasons import SETTINGS_PATH
from service.errors import (
    ApiAccessUnavailable,
    ApiLimitReached,
    ConnectionExpired,
    InstanceNotAllowed,
    InsufficientPermissions,
    SyncError,
    TransientError,
)
from service.pipeline.state import OrgState
from service.pipeline.syncer import MeetingSyncer, Outcome
from service.pipeline.work import WorkItem

MAX_ATTEMPTS = 5
MAX_AGE_S = 6 * 3600.0


def syncer(fake: FakeSalesforce, config: Settings | None = None) -> MeetingSyncer:
    return MeetingSyncer(config or settings(), fake, lambda: NOW)


async def synced(fake: FakeSalesforce | None = None, item: WorkItem | None = None, **kwargs: object) -> Outcome:
    """Runs one sync with the default org and no state or ledger unless given."""
    fake = fake or FakeSalesforce()
    values: dict[str, object] = {"org": org(), "state": None, "ledger": None}
    values.update(kwargs)
    return await syncer(fake).sync(item or work(meeting()), **values)  # type: ignore[arg-type]


def ledger_of(outcome: Outcome) -> LedgerEntry:
    assert outcome.ledger is not None
    return outcome.ledger


# ---------------------------------------------------------------- redelivery and gating


async def test_a_redelivered_event_returns_the_published_result_without_calling_salesforce() -> None:
    first = await synced()
    assert first.result is not None
    fake = FakeSalesforce()

    again = await synced(fake, ledger=first.ledger)

    assert again.result == first.result
    assert again.repeat is True
    assert again.ledger is None  # nothing to store again
    assert fake.calls == 0


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        (None, Reason.CRM_NOT_CONNECTED),
        (org(crm=None), Reason.CRM_NOT_CONNECTED),
        (org(crm=Crm.HUBSPOT), Reason.OTHER_CRM_CONNECTED),
    ],
)
async def test_an_org_without_salesforce_is_skipped_without_calling_salesforce(config: object, reason: Reason) -> None:
    fake = FakeSalesforce()

    outcome = await synced(fake, org=config)

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.SKIPPED, reason)
    assert ledger_of(outcome).result_for("m-ocr-r1") == outcome.result  # terminal: remembered
    assert fake.calls == 0


async def test_an_older_revision_than_the_ledger_is_skipped_as_stale_without_calling_salesforce() -> None:
    fake = FakeSalesforce()
    newer = LedgerEntry(org_id=ORG_ID, meeting_id="m-ocr", revision=3, event_id="00UEVENT")

    outcome = await synced(fake, item=work(meeting(revision=2)), ledger=newer)

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.SKIPPED, Reason.STALE_REVISION)
    assert ledger_of(outcome).revision == 3  # a stale revision never moves the ledger back
    assert fake.calls == 0


# ---------------------------------------------------------------- synced and partial


async def test_a_synced_meeting_costs_one_read_and_one_write_and_is_recorded_in_the_ledger() -> None:
    fake = FakeSalesforce()

    outcome = await synced(fake)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.SYNCED, Reason.SYNCED)
    assert result.salesforce_api_calls == 2
    assert (len(fake.reads), len(fake.writes)) == (1, 1)
    assert result.records == WRITTEN
    assert result.match is not None
    assert result.match.contact_id == "003JOHN"
    entry = ledger_of(outcome)
    assert (entry.revision, entry.event_id, entry.task_ids) == (1, "00UEVENT", {"ai-1": "00TTASK1"})
    assert entry.attendee_ids == ["003JOHN"]
    assert entry.result_for("m-ocr-r1") == result
    assert outcome.retry is None
    assert outcome.park is None


async def test_a_new_revision_merges_its_record_ids_into_the_ledger() -> None:
    first = await synced()
    items = [
        {"id": "ai-1", "text": "Send the proposal"},
        {"id": "ai-2", "text": "Book the security review"},
    ]
    fake = FakeSalesforce(
        records=WrittenRecords(
            event_id="00UEVENT", note_id="002NOTE", task_ids={"ai-2": "00TTASK2"}, created_contact_ids=["003MARY"]
        ),
        attendee_ids=("003MARY",),
    )

    outcome = await synced(fake, item=work(meeting(revision=2, action_items=items)), ledger=first.ledger)

    entry = ledger_of(outcome)
    assert entry.revision == 2
    assert (entry.event_id, entry.note_id) == ("00UEVENT", "002NOTE")
    assert entry.task_ids == {"ai-1": "00TTASK1", "ai-2": "00TTASK2"}
    assert entry.attendee_ids == ["003JOHN", "003MARY"]
    assert entry.created_contact_ids == ["003MARY"]
    assert entry.result_for("m-ocr-r1") is not None  # the first revision's result is still known
    assert entry.result_for("m-ocr-r2") == outcome.result


async def test_records_salesforce_refused_make_the_result_partial_and_name_the_refused_record() -> None:
    refused = RecordError(record="task:ai-1", error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Due date needed")
    fake = FakeSalesforce(records=WrittenRecords(event_id="00UEVENT", errors=[refused]))

    outcome = await synced(fake)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.PARTIAL, Reason.PARTIAL_WRITE)
    assert "task:ai-1: FIELD_CUSTOM_VALIDATION_EXCEPTION Due date needed" in result.message
    entry = ledger_of(outcome)
    assert entry.event_id == "00UEVENT"
    assert entry.result_for("m-ocr-r1") == result  # partial is terminal


# ---------------------------------------------------------------- retries


def backoff_ceiling(attempt: int) -> float:
    return min(60.0, 5.0 * 2 ** (attempt - 1))  # retry_max_delay_s, retry_base_delay_s of `settings()`


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TransientError("Salesforce is busy; the sync will be retried"), Reason.SALESFORCE_UNAVAILABLE),
        (ApiLimitReached("the org's daily Salesforce API limit is exhausted"), Reason.API_LIMIT),
    ],
)
@pytest.mark.parametrize("failing", ["read", "write"])
@pytest.mark.parametrize("attempt", [1, 2, MAX_ATTEMPTS - 1])
async def test_a_retriable_failure_defers_the_meeting_to_a_later_attempt(
    error: SyncError, reason: Reason, failing: str, attempt: int
) -> None:
    fake = FakeSalesforce(**{f"{failing}_error": error})  # type: ignore[arg-type]
    first = NOW - timedelta(minutes=10)

    outcome = await synced(fake, item=work(meeting(), attempt=attempt, first_attempt_at=first))

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.DEFERRED, reason)
    # Deferred is not terminal: no result is remembered, only that this attempt was handled, so a
    # second copy of it (a redelivery, a duplicated retry) does not start a second retry chain.
    assert ledger_of(outcome).result_for("m-ocr-r1") is None
    assert ledger_of(outcome).attempted("m-ocr-r1") == attempt
    retry = outcome.retry
    assert retry is not None
    assert retry.attempt == attempt + 1
    assert retry.first_attempt_at == first
    assert retry.last_reason is reason
    delay = (retry.not_before - NOW).total_seconds()
    assert backoff_ceiling(attempt) * 0.5 <= delay <= backoff_ceiling(attempt)


async def test_the_first_failure_starts_the_retry_clock_now() -> None:
    outcome = await synced(FakeSalesforce(read_error=TransientError("busy")))
    assert outcome.retry is not None
    assert outcome.retry.first_attempt_at == NOW


@pytest.mark.parametrize("attempt", [1, 3, 5, 10, 30])
def test_backoff_grows_exponentially_up_to_the_cap_with_jitter(attempt: int) -> None:
    sync = syncer(FakeSalesforce(), settings(retry_max_attempts=100))
    delays = [sync.backoff(attempt) for _ in range(50)]
    assert all(backoff_ceiling(attempt) * 0.5 <= d <= backoff_ceiling(attempt) for d in delays)
    assert len(set(delays)) > 1  # jittered: an org's deferred meetings do not come back in a herd


async def test_after_the_last_attempt_the_meeting_fails_with_retries_exhausted() -> None:
    item = work(meeting(), attempt=MAX_ATTEMPTS, first_attempt_at=NOW - timedelta(hours=1))

    outcome = await synced(FakeSalesforce(write_error=TransientError("Salesforce answered 503")), item=item)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.FAILED, Reason.RETRIES_EXHAUSTED)
    assert "Salesforce answered 503" in result.message
    assert outcome.retry is None
    assert ledger_of(outcome).result_for("m-ocr-r1") == result  # terminal: remembered for redeliveries


async def test_a_meeting_retried_for_longer_than_the_max_age_fails_with_retries_exhausted() -> None:
    item = work(meeting(), attempt=2, first_attempt_at=NOW - timedelta(seconds=MAX_AGE_S))

    outcome = await synced(FakeSalesforce(read_error=ApiLimitReached("limit")), item=item)

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.FAILED, Reason.RETRIES_EXHAUSTED)
    assert outcome.retry is None


# ---------------------------------------------------------------- connection expired


@pytest.mark.parametrize("failing", ["read", "write"])
async def test_an_expired_connection_parks_the_meeting_until_a_deadline(failing: str) -> None:
    fake = FakeSalesforce(**{f"{failing}_error": ConnectionExpired("reconnect", detail="invalid_grant")})  # type: ignore[arg-type]
    first = NOW - timedelta(hours=2)

    outcome = await synced(fake, item=work(meeting(), attempt=2, first_attempt_at=first))

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.DEFERRED, Reason.CONNECTION_EXPIRED)
    assert SETTINGS_PATH in outcome.result.message  # tells the admin where to reconnect
    assert ledger_of(outcome).attempted("m-ocr-r1") == 2
    assert outcome.retry is None  # the worker's park timer, not the retry topic, ends it at the deadline
    assert outcome.park is not None
    assert outcome.park.meeting == meeting()
    assert outcome.park.first_attempt_at == first  # the deadline counts from the first attempt
    assert outcome.park.last_reason is Reason.CONNECTION_EXPIRED


async def test_a_first_attempt_parked_starts_its_deadline_clock_now() -> None:
    outcome = await synced(FakeSalesforce(read_error=ConnectionExpired("reconnect")))
    assert outcome.park is not None
    assert outcome.park.first_attempt_at == NOW


async def test_a_second_copy_of_a_handled_attempt_is_dropped() -> None:
    fake = FakeSalesforce(read_error=TransientError("busy"))
    deferred = await synced(fake)

    again = await synced(fake, ledger=deferred.ledger)

    assert fake.calls == 1
    assert again.result is None
    assert again.retry is None


@pytest.mark.parametrize("expired_after_config", [timedelta(0), timedelta(hours=1)])
async def test_a_known_expired_connection_parks_without_calling_salesforce(expired_after_config: timedelta) -> None:
    config = org()
    fake = FakeSalesforce()
    state = OrgState(connection_expired_at=config.updated_at + expired_after_config)

    outcome = await synced(fake, org=config, state=state)

    assert fake.calls == 0
    assert outcome.park is not None
    assert outcome.result is not None
    assert outcome.result.reason is Reason.CONNECTION_EXPIRED


async def test_a_config_newer_than_the_expiry_calls_salesforce_again() -> None:
    fake = FakeSalesforce()
    state = OrgState(connection_expired_at=NOW - timedelta(hours=1))

    outcome = await synced(fake, org=org(updated_at=NOW - timedelta(minutes=5)), state=state)

    assert len(fake.reads) == 1
    assert outcome.park is None
    assert outcome.result is not None
    assert outcome.result.status is SyncStatus.SYNCED


# ---------------------------------------------------------------- failures that waiting cannot fix


async def test_no_api_access_fails_and_says_what_the_admin_must_do() -> None:
    error = ApiAccessUnavailable("Salesforce refused API access", detail="API_DISABLED_FOR_ORG")
    fake = FakeSalesforce(read_error=error)

    outcome = await synced(fake)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.FAILED, Reason.API_ACCESS_UNAVAILABLE)
    assert '"API Enabled"' in result.message
    assert "reconnect in " + SETTINGS_PATH in result.message
    assert "API_DISABLED_FOR_ORG" not in result.message  # technical detail stays in logs
    assert outcome.retry is None
    assert ledger_of(outcome).result_for("m-ocr-r1") == result
    assert fake.calls == 1


async def test_missing_permissions_fail_and_name_the_object_and_who_can_fix_it() -> None:
    error = InsufficientPermissions(
        "the connected Salesforce user lacks access to Task: check the profile's object permissions", sobject="Task"
    )
    fake = FakeSalesforce(write_error=error)

    outcome = await synced(fake)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.FAILED, Reason.INSUFFICIENT_PERMISSIONS)
    assert "Salesforce admin" in result.message
    assert "lacks access to Task" in result.message
    assert result.salesforce_api_calls == 1  # the read happened; the write was refused
    assert outcome.retry is None


async def test_an_instance_outside_the_allowlist_fails_without_retrying() -> None:
    outcome = await synced(FakeSalesforce(read_error=InstanceNotAllowed("not a Salesforce host")))
    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.FAILED, Reason.INSTANCE_NOT_ALLOWED)
    assert outcome.retry is None


# ---------------------------------------------------------------- too slow, crashed, park expired


def test_a_meeting_that_took_too_long_is_deferred_to_a_retry() -> None:
    outcome = syncer(FakeSalesforce()).too_slow(work(meeting(), attempt=2, first_attempt_at=NOW), None)

    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.DEFERRED, Reason.SALESFORCE_UNAVAILABLE)
    assert "(attempt 3)" in outcome.result.message
    assert outcome.retry is not None
    assert outcome.retry.attempt == 3
    assert "did not finish within 30s" in outcome.retry.last_error
    assert outcome.retry.not_before > NOW


def test_a_meeting_too_slow_on_its_last_attempt_fails() -> None:
    outcome = syncer(FakeSalesforce()).too_slow(work(meeting(), attempt=MAX_ATTEMPTS, first_attempt_at=NOW), None)
    assert outcome.result is not None
    assert (outcome.result.status, outcome.result.reason) == (SyncStatus.FAILED, Reason.RETRIES_EXHAUSTED)
    assert outcome.retry is None


def test_a_crash_of_ours_fails_the_meeting_with_internal_error() -> None:
    outcome = syncer(FakeSalesforce()).crashed(work(meeting()), None, KeyError("boom"))

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.FAILED, Reason.INTERNAL_ERROR)
    assert "KeyError" in result.message
    assert ledger_of(outcome).result_for("m-ocr-r1") == result
    assert outcome.retry is None


def test_a_parked_meeting_whose_deadline_came_fails_with_connection_expired() -> None:
    older = LedgerEntry(org_id=ORG_ID, meeting_id="m-ocr", revision=1)

    outcome = syncer(FakeSalesforce()).park_expired(work(meeting(revision=2)), older)

    result = outcome.result
    assert result is not None
    assert (result.status, result.reason) == (SyncStatus.FAILED, Reason.CONNECTION_EXPIRED)
    assert ledger_of(outcome).result_for("m-ocr-r2") == result
    assert ledger_of(outcome).revision == 2


@pytest.mark.parametrize("done_revision", [2, 3])
def test_a_parked_meeting_synced_meanwhile_says_nothing_when_its_deadline_comes(done_revision: int) -> None:
    done = LedgerEntry(org_id=ORG_ID, meeting_id="m-ocr", revision=done_revision)

    outcome = syncer(FakeSalesforce()).park_expired(work(meeting(revision=2)), done)

    assert outcome == Outcome()


# ---------------------------------------------------------------- result ids


async def test_another_attempt_gets_another_result_id() -> None:
    first = await synced(FakeSalesforce(read_error=TransientError("busy")), item=work(meeting(), attempt=1))
    second = await synced(FakeSalesforce(read_error=TransientError("busy")), item=work(meeting(), attempt=2))

    assert first.result is not None
    assert second.result is not None
    assert first.result.result_id != second.result.result_id


async def test_a_deferred_and_a_final_result_of_one_attempt_have_different_ids() -> None:
    deferred = await synced(FakeSalesforce(read_error=TransientError("busy")))
    final = await synced()

    assert deferred.result is not None
    assert final.result is not None
    assert deferred.result.result_id != final.result.result_id


async def test_another_revision_gets_another_result_id() -> None:
    first = await synced(item=work(meeting(revision=1)))
    second = await synced(item=work(meeting(revision=2)))

    assert first.result is not None
    assert second.result is not None
    assert first.result.result_id != second.result.result_id
