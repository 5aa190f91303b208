"""The crash scenario: sync many meetings while a worker is SIGKILLed at random moments.

Afterwards every meeting revision must have a terminal result, repeats must be identical, and
Salesforce must hold exactly one Event per meeting and one Task per action item. Used by the test
suite (short) and by `bench/crash.py` (long).
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.domain.messages import SyncResult, SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector, send_meetings

ORGS = {"crash-keyed": True, "crash-unkeyed": False}  # both idempotency guarantees
ACTION_ITEMS = 2


@dataclass
class CrashReport:
    meetings: int
    kills: int
    seconds: float
    terminal: int = 0
    missing: list[str] = field(default_factory=list)
    repeats: int = 0  # terminal results published more than once (identical copies)
    differing_repeats: list[str] = field(default_factory=list)
    duplicate_events: dict[str, int] = field(default_factory=dict)
    duplicate_tasks: dict[str, int] = field(default_factory=dict)
    missing_events: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.differing_repeats or self.duplicate_events or self.duplicate_tasks
                    or self.missing_events)

    def summary(self) -> str:
        return (
            f"{self.meetings} meetings, {self.kills} SIGKILLs, {self.seconds:.0f}s: "
            f"{self.terminal} terminal results ({dict(self.statuses)}), {self.repeats} identical repeats, "
            f"{len(self.missing)} missing, {len(self.differing_repeats)} differing repeats, "
            f"{len(self.duplicate_events)} meetings with duplicate Events, "
            f"{len(self.duplicate_tasks)} duplicate Tasks, {len(self.missing_events)} synced meetings without an Event"
        )


def run(stack: StackRun, *, meetings: int, kills: int, seed: int = 7, timeout_s: float = 300) -> CrashReport:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for org, keyed in ORGS.items():
        stack.connect_org(org, d.org_document(now, keyed=keyed, extra={"faults": {"latency_ms": 150, "jitter_ms": 100}}),
                          verified_domains=["acme.io"])
    orgs = list(ORGS)
    people = [("dana@acme.io", "Dana"), ("john@techcorp.com", "John"), ("hank@globex.com", "Hank")]
    batch = [
        d.meeting(f"crash-{i:04d}", f"Crash meeting {i:04d}", people, now=now, org_id=orgs[i % len(orgs)],
                  action_items=[{"id": f"ai-{k}", "text": f"Item {k} of meeting {i}"} for k in range(ACTION_ITEMS)])
        for i in range(meetings)
    ]
    collector = ResultCollector(stack.settings)
    # Small batches and a slow Salesforce keep work in flight for the kills to land in.
    worker = stack.worker("crash", SFSYNC_BATCH_SIZE="8", SFSYNC_LOG_LEVEL="INFO")
    started = time.monotonic()
    worker.start()
    send_meetings(stack.settings, batch)
    expected = {m["meeting_id"] for m in batch}
    for _ in range(kills):
        time.sleep(rng.uniform(0.3, 2.5))
        worker.kill()
        worker.start(wait_ready=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not worker.running:  # it stopped itself (a stall watchdog): restart it, as Kubernetes would
            worker.start()
        collector.poll(1.0)
        if expected <= {r.meeting_id for r in collector.results if r.status.is_terminal}:
            break
    time.sleep(2)
    collector.poll(2.0)
    worker.stop()
    return _check(stack, collector.results, expected, meetings, kills, time.monotonic() - started)


def _check(
    stack: StackRun, results: list[SyncResult], expected: set[str], meetings: int, kills: int, seconds: float
) -> CrashReport:
    report = CrashReport(meetings=meetings, kills=kills, seconds=seconds)
    terminal: dict[str, list[SyncResult]] = defaultdict(list)
    for r in results:
        if r.status.is_terminal and r.meeting_id in expected:
            terminal[r.meeting_id].append(r)
    report.terminal = len(terminal)
    report.missing = sorted(expected - set(terminal))
    for meeting_id, copies in terminal.items():
        report.statuses[copies[0].status.value] += 1
        report.repeats += len(copies) - 1
        if any(c != copies[0] for c in copies[1:]):
            report.differing_repeats.append(meeting_id)
    for org in ORGS:
        events = Counter(str(e["Subject"]) for e in stack.simulator.records(org, "Event"))
        tasks = Counter((str(t["Subject"]), str(t.get("WhatId"))) for t in stack.simulator.records(org, "Task"))
        report.duplicate_events.update({s: n for s, n in events.items() if n > 1})
        report.duplicate_tasks.update({f"{s}@{w}": n for (s, w), n in tasks.items() if n > 1})
        synced = [m for m, cs in terminal.items() if cs[0].org_id == org and cs[0].status is SyncStatus.SYNCED]
        report.missing_events += [m for m in synced if f"Crash meeting {m[-4:]}" not in events]
    return report
