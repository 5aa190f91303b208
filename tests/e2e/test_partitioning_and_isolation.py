"""Co-partitioning holds whatever partitioner upstream uses, and each org's meetings reach only its org."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from confluent_kafka import Producer

from service.domain.messages import SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector

pytestmark = pytest.mark.e2e
ORGS = [f"upstream-{i}" for i in range(6)]


def _default_producer(stack: StackRun) -> Producer:
    # Left on its defaults on purpose: librdkafka hashes keys with CRC32, not Java's murmur2.
    return Producer({"bootstrap.servers": stack.settings.bootstrap_servers})


def test_meetings_from_a_crc32_producer_find_configs_published_with_murmur2(stack: StackRun) -> None:
    """Two workers split the partitions; configs come through our CLI's producer (murmur2) and meetings
    from an upstream producer on librdkafka's defaults (CRC32), so the raw topics disagree on where an
    org lives. The re-keyed work topic must bring each org's meetings and config to one worker."""
    second = stack.worker("w-second").start()
    stack.workers[0].wait_ready()
    now = datetime.now(UTC)
    for org in ORGS:
        stack.connect_org(org, d.org_document(now), verified_domains=["acme.io"])
    producer = _default_producer(stack)

    people = [("dana@acme.io", "Dana"), ("hank@globex.com", "Hank")]
    meetings = [
        d.meeting(f"{org}-m{i}", f"{org} meeting {i}", people, now=now, org_id=org) for org in ORGS for i in range(3)
    ]
    collector = ResultCollector(stack.settings)
    for m in meetings:
        producer.produce(stack.settings.topic_meetings, key=m["org_id"].encode(), value=json.dumps(m).encode())
    producer.flush(30)
    expected = {m["meeting_id"] for m in meetings}
    results = collector.wait_for(lambda rs: expected <= {r.meeting_id for r in rs if r.status.is_terminal}, 120)

    mine = [r for r in results if r.meeting_id in expected]
    assert {r.status for r in mine} == {SyncStatus.SYNCED}  # every meeting found its org's config
    second.stop()
    for org in ORGS:
        # Tenant isolation: an org's Salesforce holds its own meetings and no one else's.
        subjects = sorted(str(e["Subject"]) for e in stack.simulator.records(org, "Event"))
        assert subjects == [f"{org} meeting {i}" for i in range(3)]
