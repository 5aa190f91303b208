"""The demo: broker + simulator + worker + a dozen meetings, and a readable report of what was synced.

    bash scripts/demo.sh        (or: python -m stack.demo, with the venv active)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from service.domain.messages import Crm, SyncResult, SyncStatus
from stack import demo_org
from stack.env import StackRun
from stack.kafka_io import ResultCollector, TopicReader, send_meetings, send_raw, wait_consumed
from stack.processes import ROOT, Simulator, ensure_broker

HUBSPOT_ORG = "hubspot-shop"


def _names(sim: Simulator) -> dict[str, str]:
    """Record Id -> a readable name, for the report."""
    names: dict[str, str] = {}
    for sobject in ("User", "Contact", "Lead", "Account", "Opportunity"):
        for r in sim.records(demo_org.ORG_ID, sobject):
            name = r.get("Name") or f"{r.get('FirstName') or ''} {r.get('LastName') or ''}".strip()
            names[str(r["Id"])] = f"{name} ({sobject})" if sobject in ("Contact", "Lead") else str(name)
    return names


def _line(result: SyncResult, names: dict[str, str]) -> list[str]:
    m = result.match
    name = lambda record_id: names.get(record_id or "", record_id or "-")  # noqa: E731
    match = f"{m.confidence.value}/{m.path.value}" if m is not None else ""
    lines = [
        f"{result.meeting_id:<15} r{result.revision or '?'}  {result.status.value.upper():<8} {result.reason.value:<20} "
        f"{match:<22} {result.salesforce_api_calls} API calls"
    ]
    if result.status in (SyncStatus.SKIPPED, SyncStatus.REJECTED, SyncStatus.FAILED):
        lines.append(f"    {result.message}")
    if m is not None:
        lines.append(f"    account: {name(m.account_id)}   opportunity: {name(m.opportunity_id)}   "
                     f"who: {name(m.contact_id or m.lead_id)}")
    r = result.records
    if r is not None:
        owner = lambda label: name(r.owner_ids[label]) if label in r.owner_ids else "the connected user"  # noqa: E731
        if r.event_id:
            lines.append(f"    Event {r.event_id}, owner {owner('event')}")
        if r.note_id:
            lines.append(f"    Note  {r.note_id} (insights)")
        for item_id, task_id in sorted(r.task_ids.items()):
            lines.append(f"    Task  {task_id} for action item {item_id}, owner {owner('task:' + item_id)}")
        lines.extend(f"    refused {e.record}: {e.error_code} {e.message}" for e in r.errors)
    return lines


def main() -> int:
    started = time.monotonic()
    run_dir = Path(tempfile.mkdtemp(prefix="demo-", dir=ROOT / ".run")) if (ROOT / ".run").exists() else None
    run_dir = run_dir or Path(tempfile.mkdtemp(prefix="sfsync-demo-"))
    print("starting Kafka broker ...", flush=True)
    bootstrap = ensure_broker()
    print("starting Salesforce simulator ...", flush=True)
    sim = Simulator(run_dir / "sfsim").start()
    stack = StackRun(bootstrap, sim, run_dir, SFSYNC_LOG_LEVEL="WARNING")
    try:
        now = datetime.now(UTC)
        stack.connect_org(demo_org.ORG_ID, demo_org.org_document(now), verified_domains=["acme.io"])
        stack.connect_org(HUBSPOT_ORG, demo_org.org_document(now), crm=Crm.HUBSPOT)
        print("starting the sync worker ...", flush=True)
        stack.worker().start()
        wait_consumed(stack.settings, stack.settings.topic_org_configs, group=stack.settings.app_id)
        meetings = demo_org.demo_meetings(now)
        hubspot = demo_org.meeting("m-hubspot", "Shop sync", [("x@shop.com", "X")], now=now, org_id=HUBSPOT_ORG)
        print(f"publishing {len(meetings) + 2} meetings (one of them malformed) ...", flush=True)
        send_meetings(stack.settings, [*meetings[:-1], hubspot])
        broken = {**meetings[0], "meeting_id": "m-broken", "event_id": "m-broken-1", "revision": "two"}
        send_raw(stack.settings, demo_org.ORG_ID.encode(), json.dumps(broken).encode())
        collector = ResultCollector(stack.settings)
        collector.wait_for(lambda rs: any(r.meeting_id == "m-ocr" and r.status.is_terminal for r in rs), 90)
        send_meetings(stack.settings, meetings[-1:])  # the revision that completes an action item
        expected = {(m["meeting_id"], m["revision"]) for m in [*meetings, hubspot]} | {("m-broken", None)}
        collector.wait_for(
            lambda rs: expected <= {(r.meeting_id, r.revision) for r in rs if r.status.is_terminal}, 120
        )
        time.sleep(1)
        collector.poll(1)
        names = _names(sim)
        print("\n=== What was synced (one line per result, in the order they were published) ===")
        for result in collector.results:
            print("\n".join(_line(result, names)))
        dlq = TopicReader(stack.settings, stack.settings.topic_dlq)
        dlq.poll(2)
        for record in dlq.messages:
            error = dict(record.headers() or []).get("sfsync-error", b"").decode()
            print(f"dead-letter topic: key {record.key().decode()!r}, {len(record.value())} bytes, error: {error}")
        stats = sim.stats(demo_org.ORG_ID)
        synced = sum(1 for r in collector.final().values() if r.status in (SyncStatus.SYNCED, SyncStatus.PARTIAL))
        print(f"\nSalesforce API requests for org {demo_org.ORG_ID}: {stats['api_requests']} "
              f"for {synced} synced meeting revisions")
        for sobject in ("Event", "Task", "Note"):
            print(f"  {sobject} records in Salesforce: {len(sim.records(demo_org.ORG_ID, sobject))}")
        print(f"demo finished in {time.monotonic() - started:.0f}s; logs in {run_dir}")
        return 0
    finally:
        stack.stop()
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
