"""The crash test, longer: SIGKILL a worker at random moments while it syncs 500 meetings.

    .venv/bin/python bench/crash.py [--meetings 500] [--kills 6] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stack import crash
from stack.env import StackRun
from stack.processes import Simulator, ensure_broker


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    sim = Simulator(run_dir / "sim").start()
    stack = StackRun(ensure_broker(), sim, run_dir)
    try:
        report = crash.run(stack, meetings=args.meetings, kills=args.kills, seed=args.seed, timeout_s=900)
    finally:
        stack.stop()
        sim.stop()
    print(f"command: .venv/bin/python bench/crash.py --meetings {args.meetings} --kills {args.kills} --seed {args.seed}")
    print(report.summary())
    return 0 if report.ok and report.terminal == args.meetings else 1


if __name__ == "__main__":
    sys.exit(main())
