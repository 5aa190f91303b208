"""Meetings per second on one worker, with Salesforce answering in 100 ms, and API calls per meeting.

    .venv/bin/python bench/throughput.py [--meetings 1000] [--orgs 10] [--latency-ms 100]

Starts the project's broker (or uses KAFKA_BOOTSTRAP_SERVERS), the simulator and one worker; the
simulator, the broker and this script share the machine with the worker, so read the figures as
per-meeting costs and ratios rather than absolutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.domain.messages import SyncStatus
from stack import demo_org as d
from stack.env import StackRun
from stack.kafka_io import ResultCollector, send_meetings, wait_consumed
from stack.processes import Simulator, ensure_broker


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    sim = Simulator(run_dir / "sim").start()
    stack = StackRun(ensure_broker(), sim, run_dir, SFSYNC_BATCH_SIZE=str(args.batch_size))
    try:
        now = datetime.now(UTC)
        orgs = [f"bench-{i}" for i in range(args.orgs)]
        worker = stack.worker().start()
        for org in orgs:
            stack.connect_org(org, d.org_document(now, extra={"faults": {"latency_ms": args.latency_ms}}),
                              verified_domains=["acme.io"])
        wait_consumed(stack.settings, stack.settings.topic_org_configs, group=stack.settings.app_id)
        people = [("dana@acme.io", "Dana"), ("john@techcorp.com", "John"), ("mary@techcorp.com", "Mary"),
                  ("hank@globex.com", "Hank")]
        items = [{"id": f"ai-{k}", "text": f"Follow-up {k}", "assignee_email": "sam@acme.io"} for k in range(3)]
        meetings = [
            d.meeting(f"tp-{i:05d}", f"Meeting {i}", people, now=now, org_id=orgs[i % len(orgs)], action_items=items,
                      insights=d.INSIGHTS)
            for i in range(args.meetings)
        ]
        collector = ResultCollector(stack.settings)
        started = time.monotonic()
        send_meetings(stack.settings, meetings)
        collector.wait_for(
            lambda rs: sum(1 for r in rs if r.status.is_terminal) >= args.meetings, timeout_s=max(120, args.meetings)
        )
        elapsed = time.monotonic() - started
        final = collector.final()
        synced = [r for r in final.values() if r.status is SyncStatus.SYNCED]
        api = sum(int(sim.stats(org)["api_requests"]) for org in orgs)
        print(f"command: .venv/bin/python bench/throughput.py --meetings {args.meetings} --orgs {args.orgs} "
              f"--latency-ms {args.latency_ms} --batch-size {args.batch_size}")
        print(f"{len(synced)}/{args.meetings} meetings synced in {elapsed:.1f}s: {args.meetings / elapsed:.1f} meetings/s "
              f"on one worker, {1000 * elapsed / args.meetings:.1f} ms per meeting")
        print(f"Salesforce API requests: {api} for {len(synced)} meetings = {api / max(1, len(synced)):.3f} per meeting "
              f"({args.orgs} orgs, each paying its cold cache once)")
        worker.stop()
        return 0 if len(synced) == args.meetings else 1
    finally:
        stack.stop()
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
