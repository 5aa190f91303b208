"""Invariants 1 and 2 under SIGKILL: nothing lost, nothing duplicated in Salesforce."""

from __future__ import annotations

import os

import pytest

from stack import crash
from stack.env import StackRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(stack: StackRun) -> None:
    meetings = int(os.environ.get("SFSYNC_CRASH_MEETINGS", "120"))
    kills = int(os.environ.get("SFSYNC_CRASH_KILLS", "3"))
    stack.stop()  # this test runs its own worker, the one it kills
    report = crash.run(stack, meetings=meetings, kills=kills, timeout_s=240)
    print(report.summary())
    log = (stack.run_dir / "crash.log").read_text(errors="replace").splitlines()
    assert report.ok, report.summary() + "\nworker log tail:\n" + "\n".join(log[-40:])
    assert report.terminal == meetings
