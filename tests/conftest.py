"""Fixtures every test area shares: the real Kafka broker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Bootstrap servers of a real broker: KAFKA_BOOTSTRAP_SERVERS, or the project's own, started if needed.

    A broker started here is left running for the next run (`make broker-down` stops it). Without a
    broker the test is skipped on a laptop but fails in CI, where a skipped suite would pass silently.
    """
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return servers
    try:
        done = subprocess.run(
            ["bash", str(ROOT / "deploy/local/kafka.sh"), "up"],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,  # the first start downloads the Kafka jars
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        stderr = getattr(error, "stderr", None) or ""
        if isinstance(stderr, bytes):  # TimeoutExpired keeps bytes even with text=True
            stderr = stderr.decode(errors="replace")
        message = f"no Kafka broker: deploy/local/kafka.sh up failed ({error})\n{stderr}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    servers = done.stdout.strip().splitlines()[-1]
    # Processes the tests start (workers, the demo) find the same broker.
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = servers
    return servers
