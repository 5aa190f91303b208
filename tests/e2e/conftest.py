"""End-to-end fixtures: the real broker, the simulator as a process, and sync workers as processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.env import StackRun
from stack.processes import Simulator, ensure_broker


@pytest.fixture(scope="session")
def bootstrap() -> str:
    return ensure_broker()


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    sim = Simulator(tmp_path_factory.mktemp("sfsim"))
    try:
        yield sim.start()
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def stack(bootstrap: str, simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackRun]:
    """One worker shared by a test module; each test uses its own org ids, so tests stay independent."""
    run = StackRun(bootstrap, simulator, Path(tmp_path_factory.mktemp("stack")))
    try:
        run.worker().start()
        yield run
    finally:
        run.stop()
