"""Salesforce trouble: refused records, outages, expired connections, spent budgets. Nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.messages import Reason, SyncResult, SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector, send_meetings

pytestmark = pytest.mark.e2e
DANA, HANK = ("dana@acme.io", "Dana"), ("hank@globex.com", "Hank")


def _results_of(collector: ResultCollector, meeting_id: str, until_terminal: bool = True) -> list[SyncResult]:
    rs = collector.wait_for(
        lambda rs: any(r.meeting_id == meeting_id and (r.status.is_terminal or not until_terminal) for r in rs), 120
    )
    return [r for r in rs if r.meeting_id == meeting_id]


def test_a_refused_task_does_not_lose_the_rest(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "partial"
    rule = [{"sobject": "Task", "field": "Subject", "contains": "FORBIDDEN", "message": "Subjects may not say that"}]
    stack.connect_org(org, d.org_document(now, extra={"validation_rules": rule}), verified_domains=["acme.io"])
    items = [{"id": "ok", "text": "Send the deck"}, {"id": "bad", "text": "A FORBIDDEN word"}]
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("p-1", "Globex", [DANA, HANK], now=now, org_id=org, action_items=items)])
    result = _results_of(collector, "p-1")[-1]
    assert (result.status, result.reason) == (SyncStatus.PARTIAL, Reason.PARTIAL_WRITE)
    assert result.records is not None
    assert [e.record for e in result.records.errors] == ["task:bad"]
    assert result.records.errors[0].error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert set(result.records.task_ids) == {"ok"}
    assert len(stack.simulator.records(org, "Event")) == 1
    assert len(stack.simulator.records(org, "Task")) == 1


def test_contacts_are_created_for_unmatched_participants_when_the_org_wants_it(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "create-contacts"
    stack.connect_org(org, d.org_document(now), verified_domains=["acme.io"],
                      settings={"create_contacts_for_unmatched": True})
    collector = ResultCollector(stack.settings)
    people = [DANA, ("peter@initech.com", "Peter Gibbons"), ("someone@gmail.com", "Free Mail")]
    send_meetings(stack.settings, [d.meeting("c-1", "Initech", people, now=now, org_id=org)])
    result = _results_of(collector, "c-1")[-1]
    assert result.status is SyncStatus.SYNCED and result.records is not None
    assert len(result.records.created_contact_ids) == 1
    contact = next(c for c in stack.simulator.records(org, "Contact") if c["Email"] == "peter@initech.com")
    assert contact["LastName"] == "Gibbons" and contact["AccountId"].startswith(d.A_INITECH)
    event = stack.simulator.records(org, "Event")[0]
    assert event["WhoId"] == contact["Id"]


def test_salesforce_outage_goes_through_the_retry_topic_and_syncs_later(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "outage"
    # More 503s than the client retries in-process: the meeting must leave for the retry topic.
    stack.connect_org(org, d.org_document(now, extra={"faults": {"error_burst": 2}}), verified_domains=["acme.io"])
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("o-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    results = _results_of(collector, "o-1")
    assert results[0].status is SyncStatus.DEFERRED
    assert results[0].reason is Reason.SALESFORCE_UNAVAILABLE
    assert results[-1].status is SyncStatus.SYNCED and results[-1].attempt >= 2
    assert len(stack.simulator.records(org, "Event")) == 1


def test_expired_connection_parks_meetings_until_the_org_reconnects(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "expired"
    doc = d.org_document(now)
    stack.connect_org(org, doc, verified_domains=["acme.io"])
    stack.simulator.admin("POST", f"/orgs/{org}/revoke", {})
    stack.simulator.admin("POST", f"/orgs/{org}/expire-tokens", {})
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("e-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    parked = _results_of(collector, "e-1", until_terminal=False)[0]
    assert (parked.status, parked.reason) == (SyncStatus.DEFERRED, Reason.CONNECTION_EXPIRED)
    assert "Disconnect" in parked.message

    # The admin reconnects: a new refresh token, a new config. Nobody re-sends the meeting.
    doc["oauth"] = {**doc["oauth"], "refresh_token": "reconnected-token"}
    stack.connect_org(org, doc, verified_domains=["acme.io"])
    final = _results_of(collector, "e-1")[-1]
    assert final.status is SyncStatus.SYNCED
    assert len(stack.simulator.records(org, "Event")) == 1


def test_spent_api_budget_defers_and_resumes(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "budget"
    doc = d.org_document(now, extra={"daily_api_limit": 4})
    stack.connect_org(org, doc, verified_domains=["acme.io"])
    collector = ResultCollector(stack.settings)
    meetings = [d.meeting(f"b-{i}", "Globex", [DANA, HANK], now=now, org_id=org) for i in range(3)]
    send_meetings(stack.settings, meetings)
    deferred = collector.wait_for(lambda rs: any(r.org_id == org and r.reason is Reason.API_LIMIT for r in rs), 120)
    assert any(r.status is SyncStatus.DEFERRED for r in deferred if r.reason is Reason.API_LIMIT)

    # A new day: the org has budget again. The deferred meetings finish by themselves.
    stack.simulator.admin("PATCH", f"/orgs/{org}/clock", {"advance_s": 86_400})
    final = collector.wait_for(
        lambda rs: {f"b-{i}" for i in range(3)} <= {r.meeting_id for r in rs if r.status.is_terminal}, 180
    )
    assert {r.status for r in final if r.org_id == org and r.status.is_terminal} == {SyncStatus.SYNCED}
    assert len(stack.simulator.records(org, "Event")) == 3


def test_an_org_without_api_access_fails_once_with_what_to_change(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "no-api"
    stack.connect_org(org, d.org_document(now, extra={"edition": "professional"}), verified_domains=["acme.io"])
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("n-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    results = _results_of(collector, "n-1")
    assert [(r.status, r.reason) for r in results] == [(SyncStatus.FAILED, Reason.API_ACCESS_UNAVAILABLE)]
    assert "Enterprise" in results[0].message
    assert "API Enabled" in results[0].message
    log = stack.simulator.stats(org)["log"]
    assert isinstance(log, list)
    assert len(log) <= 2  # one refused request (after the token), no retry storm


def test_a_lasting_outage_ends_failed_after_the_configured_attempts(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "down"
    stack.connect_org(org, d.org_document(now, extra={"faults": {"error_rate": 1.0}}), verified_domains=["acme.io"])
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("x-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    results = _results_of(collector, "x-1")
    assert [r.status for r in results] == [SyncStatus.DEFERRED] * 3 + [SyncStatus.FAILED]
    assert [r.attempt for r in results] == [1, 2, 3, 4]
    assert results[-1].reason is Reason.RETRIES_EXHAUSTED
    assert "salesforce_unavailable" in results[-1].message


def test_disconnecting_ends_parked_meetings_as_skipped(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "goodbye"
    doc = d.org_document(now)
    config = stack.connect_org(org, doc, verified_domains=["acme.io"])
    stack.simulator.admin("POST", f"/orgs/{org}/revoke", {})
    stack.simulator.admin("POST", f"/orgs/{org}/expire-tokens", {})
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("g-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    assert _results_of(collector, "g-1", until_terminal=False)[0].reason is Reason.CONNECTION_EXPIRED

    stack.publish_config(config.model_copy(update={"crm": None, "salesforce": None, "updated_at": datetime.now(UTC)}))
    final = _results_of(collector, "g-1")[-1]
    assert (final.status, final.reason) == (SyncStatus.SKIPPED, Reason.CRM_NOT_CONNECTED)
    assert stack.simulator.records(org, "Event") == []


def test_rotated_refresh_tokens_survive_a_settings_change(stack: StackRun) -> None:
    """With rotation on, the config's refresh token dies at the first refresh; the worker keeps the new one,
    and a later config that only changes settings must not send it back to the dead token."""
    now = datetime.now(UTC)
    org = "rotating"
    doc = d.org_document(now)
    doc["oauth"] = {**doc["oauth"], "rotate_refresh_tokens": True}
    config = stack.connect_org(org, doc, verified_domains=["acme.io"])
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("rot-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    assert _results_of(collector, "rot-1")[-1].status is SyncStatus.SYNCED

    stack.publish_config(config.model_copy(update={"settings": config.settings.model_copy(
        update={"min_duration_minutes": 1}), "updated_at": datetime.now(UTC)}))
    stack.simulator.admin("POST", f"/orgs/{org}/expire-tokens", {})
    send_meetings(stack.settings, [d.meeting("rot-2", "Globex", [DANA, HANK], now=now, org_id=org)])
    assert _results_of(collector, "rot-2")[-1].status is SyncStatus.SYNCED
    assert stack.simulator.stats(org)["token_requests"] == 2


def test_a_parked_meeting_ends_failed_when_the_org_never_reconnects(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "never-back"
    stack.connect_org(org, d.org_document(now), verified_domains=["acme.io"])
    stack.simulator.admin("POST", f"/orgs/{org}/revoke", {})
    stack.simulator.admin("POST", f"/orgs/{org}/expire-tokens", {})
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [d.meeting("nb-1", "Globex", [DANA, HANK], now=now, org_id=org)])
    results = _results_of(collector, "nb-1")  # SFSYNC_RETRY_MAX_AGE_S is 15 s in the test stack
    assert [(r.status, r.reason) for r in results] == [
        (SyncStatus.DEFERRED, Reason.CONNECTION_EXPIRED),
        (SyncStatus.FAILED, Reason.CONNECTION_EXPIRED),
    ]
