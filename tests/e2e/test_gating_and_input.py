"""Every outcome that needs no Salesforce call, bad input, and redelivery: one clear result each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from service.domain.messages import Crm, Reason, SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector, TopicReader, send_meetings, send_raw

pytestmark = pytest.mark.e2e


def test_every_gating_reason_and_bad_input_gets_one_result(stack: StackRun) -> None:
    now = datetime.now(UTC)
    doc = d.org_document(now)
    stack.connect_org("gate-hubspot", doc, crm=Crm.HUBSPOT)
    stack.connect_org("gate-off", doc, settings={"auto_sync": False})
    stack.connect_org("gate-disconnected", doc, crm=None)
    stack.connect_org("gate-ok", doc, verified_domains=["acme.io"], settings={"min_duration_minutes": 10})
    dana, john = ("dana@acme.io", "Dana"), ("john@techcorp.com", "John")
    meetings = [
        d.meeting("g-unknown-org", "x", [dana, john], now=now, org_id="gate-nobody"),
        d.meeting("g-hubspot", "x", [dana, john], now=now, org_id="gate-hubspot"),
        d.meeting("g-off", "x", [dana, john], now=now, org_id="gate-off"),
        d.meeting("g-disconnected", "x", [dana, john], now=now, org_id="gate-disconnected"),
        d.meeting("g-short", "x", [dana, john], now=now, org_id="gate-ok", minutes=9),
        d.meeting("g-internal", "x", [dana, ("sam@acme.io", "Sam")], now=now, org_id="gate-ok"),
    ]
    collector = ResultCollector(stack.settings)
    dlq = TopicReader(stack.settings, stack.settings.topic_dlq)
    send_meetings(stack.settings, meetings)
    valid = d.meeting("g-bad", "x", [dana], now=now, org_id="gate-ok")
    send_raw(stack.settings, b"gate-ok", b"this is not json")
    send_raw(stack.settings, b"gate-ok", json.dumps({**valid, "revision": 0}).encode())
    send_raw(stack.settings, b"gate-ok", json.dumps({**valid, "event_id": "g-bad-v9", "schema_version": 9}).encode())
    oversized = {**valid, "event_id": "g-bad-big", "title": "x" * 1_100_000}
    send_raw(stack.settings, b"gate-ok", json.dumps(oversized).encode())

    expected = {
        "g-unknown-org": Reason.CRM_NOT_CONNECTED,
        "g-hubspot": Reason.OTHER_CRM_CONNECTED,
        "g-off": Reason.AUTO_SYNC_DISABLED,
        "g-disconnected": Reason.CRM_NOT_CONNECTED,
        "g-short": Reason.BELOW_MIN_DURATION,
        "g-internal": Reason.INTERNAL_ONLY,
    }
    results = collector.wait_for(
        lambda rs: set(expected) <= {r.meeting_id for r in rs} and sum(r.meeting_id == "g-bad" for r in rs) >= 3,
        90,
    )
    for meeting_id, reason in expected.items():
        mine = [r for r in results if r.meeting_id == meeting_id]
        assert [(r.status, r.reason) for r in mine] == [(SyncStatus.SKIPPED, reason)], meeting_id
        assert mine[0].salesforce_api_calls == 0

    rejected = [r for r in results if r.meeting_id == "g-bad"]
    assert {r.status for r in rejected} == {SyncStatus.REJECTED}
    messages = " | ".join(r.message for r in rejected)
    assert "revision" in messages and "schema_version" in messages and "bytes" in messages

    deadline_hits = 0
    while len(dlq.messages) < 4 and deadline_hits < 40:
        dlq.poll(0.5)
        deadline_hits += 1
    assert len(dlq.messages) == 4
    not_json = next(m for m in dlq.messages if m.value() == b"this is not json")
    headers = dict(not_json.headers())
    assert b"not valid JSON" in headers["sfsync-error"]
    assert not_json.key() == b"gate-ok"


def test_redelivered_event_republishes_the_same_result_and_stale_revisions_are_skipped(stack: StackRun) -> None:
    now = datetime.now(UTC)
    org = "redelivery"
    stack.connect_org(org, d.org_document(now), verified_domains=["acme.io"])
    participants = [("dana@acme.io", "Dana"), ("hank@globex.com", "Hank")]
    rev2 = d.meeting("r-1", "Globex", participants, now=now, org_id=org, revision=2)
    collector = ResultCollector(stack.settings)
    send_meetings(stack.settings, [rev2])
    collector.wait_for(lambda rs: any(r.meeting_id == "r-1" for r in rs), 90)
    first = next(r for r in collector.results if r.meeting_id == "r-1")
    assert first.status is SyncStatus.SYNCED
    calls_before = stack.simulator.stats(org)["api_requests"]

    rev1 = d.meeting("r-1", "Globex", participants, now=now, org_id=org, revision=1)
    send_meetings(stack.settings, [rev2, rev1])  # the same event again, and an older revision
    results = collector.wait_for(lambda rs: sum(r.meeting_id == "r-1" for r in rs) >= 3, 90)
    repeat, stale = [r for r in results if r.meeting_id == "r-1"][1:3]
    assert repeat == first  # same result_id, same content
    assert (stale.status, stale.reason) == (SyncStatus.SKIPPED, Reason.STALE_REVISION)
    assert stack.simulator.stats(org)["api_requests"] == calls_before
    assert len(stack.simulator.records(org, "Event")) == 1
