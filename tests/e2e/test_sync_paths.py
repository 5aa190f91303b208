"""A meeting published to Kafka ends up in (simulated) Salesforce as the spec says, with a result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.domain.messages import MatchConfidence, MatchPath, Reason, SyncResult, SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector, send_meetings

pytestmark = pytest.mark.e2e


def _by_meeting(results: list[SyncResult]) -> dict[tuple[str, int | None], SyncResult]:
    return {(r.meeting_id, r.revision): r for r in results if r.status.is_terminal}


def _records(stack: StackRun, org: str, sobject: str) -> list[dict[str, Any]]:
    return stack.simulator.records(org, sobject)


@pytest.fixture(scope="module")
def demo_run(stack: StackRun) -> tuple[str, dict[tuple[str, int | None], SyncResult]]:
    """Acme's demo meetings, synced once for the whole module."""
    org = "acme-paths"
    now = datetime.now(UTC)
    stack.connect_org(org, d.org_document(now), verified_domains=["acme.io"])
    meetings = [{**m, "org_id": org} for m in d.demo_meetings(now)]
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, meetings[:-1])
    collector.wait_for(lambda rs: any(r.meeting_id == "m-ocr" and r.status.is_terminal for r in rs), 90)
    send_meetings(stack.settings, meetings[-1:])
    expected = {(m["meeting_id"], m["revision"]) for m in meetings}
    results = collector.wait_for(lambda rs: expected <= set(_by_meeting([r for r in rs if r.org_id == org])), 90)
    return org, _by_meeting([r for r in results if r.org_id == org])


def test_ocr_path_picks_the_opportunity_of_the_contact_roles(demo_run: Any, stack: StackRun) -> None:
    _org, results = demo_run
    result = results[("m-ocr", 1)]
    assert result.status is SyncStatus.SYNCED
    assert result.match is not None
    assert (result.match.confidence, result.match.path) == (MatchConfidence.HIGH, MatchPath.OCR)
    assert result.match.opportunity_id is not None and result.match.opportunity_id.startswith(d.O_EXPANSION)
    assert result.match.contact_id is not None and result.match.contact_id.startswith(d.C_JOHN)  # primary role
    assert result.records is not None and result.records.event_id and result.records.note_id
    assert set(result.records.task_ids) == {"ai-1", "ai-2"}


def test_event_is_owned_by_the_meeting_owner_and_tasks_by_their_assignees(demo_run: Any, stack: StackRun) -> None:
    org, results = demo_run
    records = results[("m-ocr", 1)].records
    assert records is not None
    event = next(e for e in _records(stack, org, "Event") if e["Id"] == records.event_id)
    assert event["OwnerId"].startswith(d.U_DANA)
    assert event["WhatId"].startswith(d.O_EXPANSION)
    tasks = {t["Id"]: t for t in _records(stack, org, "Task")}
    assert tasks[records.task_ids["ai-1"]]["OwnerId"].startswith(d.U_SAM)
    assert tasks[records.task_ids["ai-1"]]["Priority"] == "High"
    assert tasks[records.task_ids["ai-2"]]["OwnerId"].startswith(d.U_DANA)


def test_account_owned_path_when_the_opportunity_owner_is_on_the_call(demo_run: Any) -> None:
    _, results = demo_run
    match = results[("m-owned", 1)].match
    assert match is not None
    assert (match.confidence, match.path) == (MatchConfidence.MEDIUM, MatchPath.ACCOUNT_OWNED)
    assert match.opportunity_id is not None and match.opportunity_id.startswith(d.O_PILOT)


def test_task_without_a_matching_user_has_no_explicit_owner(demo_run: Any, stack: StackRun) -> None:
    org, results = demo_run
    records = results[("m-owned", 1)].records
    assert records is not None
    task = next(t for t in _records(stack, org, "Task") if t["Id"] == records.task_ids["ai-1"])
    assert task["OwnerId"].startswith(d.U_INTEGRATION)  # Salesforce's default: the connected user
    assert "task:ai-1" not in records.owner_ids


def test_account_path_when_nobody_on_the_call_owns_the_opportunity(demo_run: Any) -> None:
    _, results = demo_run
    match = results[("m-account", 1)].match
    assert match is not None
    assert (match.confidence, match.path) == (MatchConfidence.LOW, MatchPath.ACCOUNT)


def test_domain_path_finds_the_account_by_website(demo_run: Any) -> None:
    _, results = demo_run
    match = results[("m-domain", 1)].match
    assert match is not None
    assert match.confidence is MatchConfidence.LOW
    assert match.account_id is not None and match.account_id.startswith(d.A_INITECH)
    assert match.opportunity_id is not None and match.opportunity_id.startswith(d.O_INITECH)


def test_account_only_when_the_account_has_no_open_opportunity(demo_run: Any) -> None:
    _, results = demo_run
    match = results[("m-account-only", 1)].match
    assert match is not None
    assert (match.confidence, match.path) == (MatchConfidence.LOW, MatchPath.ACCOUNT_ONLY)
    assert match.opportunity_id is None


def test_lead_only_meeting_links_the_lead_without_a_what(demo_run: Any, stack: StackRun) -> None:
    org, results = demo_run
    result = results[("m-lead", 1)]
    assert result.match is not None and result.match.lead_id is not None
    assert result.match.lead_id.startswith(d.L_LISA)
    assert result.records is not None
    event = next(e for e in _records(stack, org, "Event") if e["Id"] == result.records.event_id)
    assert event["WhoId"].startswith(d.L_LISA)
    assert event["WhatId"] is None


def test_no_match_is_reported_with_the_reason(demo_run: Any) -> None:
    _, results = demo_run
    result = results[("m-none", 1)]
    assert result.match is not None
    assert (result.match.confidence, result.match.path) == (MatchConfidence.NONE, MatchPath.NONE)
    assert "someone@gmail.com" in result.match.unmatched_emails


@pytest.mark.parametrize(
    ("meeting_id", "reason"),
    [("m-internal", Reason.INTERNAL_ONLY), ("m-short", Reason.BELOW_MIN_DURATION)],
)
def test_meetings_the_org_does_not_want_are_skipped(demo_run: Any, meeting_id: str, reason: Reason) -> None:
    _, results = demo_run
    result = results[(meeting_id, 1)]
    assert (result.status, result.reason) == (SyncStatus.SKIPPED, reason)
    assert result.message


def test_long_title_and_summary_are_cut_to_salesforce_limits(demo_run: Any, stack: StackRun) -> None:
    org, results = demo_run
    records = results[("m-long-title", 1)].records
    assert records is not None
    event = next(e for e in _records(stack, org, "Event") if e["Id"] == records.event_id)
    assert len(event["Subject"]) == 255
    assert len(event["Description"]) <= 32_000


def test_a_new_revision_updates_the_same_records(demo_run: Any, stack: StackRun) -> None:
    org, results = demo_run
    first, second = results[("m-ocr", 1)], results[("m-ocr", 2)]
    assert second.status is SyncStatus.SYNCED
    assert first.records is not None and second.records is not None
    assert second.records.event_id == first.records.event_id
    assert second.records.task_ids["ai-1"] == first.records.task_ids["ai-1"]
    tasks = {t["Id"]: t for t in _records(stack, org, "Task")}
    assert tasks[first.records.task_ids["ai-1"]]["Status"] == "Completed"
    assert "ai-3" in second.records.task_ids
    events = [e for e in _records(stack, org, "Event") if str(e.get("Subject", "")).startswith("TechCorp expansion")]
    assert len(events) == 1


def test_a_synced_meeting_costs_two_api_requests_and_a_cold_org_one_more(demo_run: Any) -> None:
    _, results = demo_run
    calls = sorted(r.salesforce_api_calls for r in results.values() if r.status is SyncStatus.SYNCED)
    assert len(calls) >= 8
    # One composite read and one composite write each; the org's first read also fetched its Users
    # and the Event/Task describe, which with the anchor query needs a second composite.
    assert calls[:-1] == [2] * (len(calls) - 1)
    assert calls[-1] <= 3
