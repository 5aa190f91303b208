"""Wait until the local broker answers a metadata request with itself as a live broker.

Used by kafka.sh: exits 0 when ready, 1 when the broker process died, 2 on timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    # librdkafka logs every refused connection while the JVM starts; those are expected here.
    admin = AdminClient({"bootstrap.servers": args.bootstrap, "log_level": 0, "logger": _Silent()})
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not _alive(args.pid):
            return 1
        # A timeout only means "not ready yet"; a fenced (still starting) broker is not listed
        # among the brokers of the response.
        with contextlib.suppress(KafkaException):
            if admin.list_topics(timeout=1).brokers:
                return 0
        time.sleep(0.1)
    return 2


class _Silent:
    def log(self, *_args: object, **_kwargs: object) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
