"""Publishing inputs and collecting results over the real broker (confluent-kafka)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from service.config import Settings
from service.domain.messages import SyncResult
from service.pipeline.topics import ensure_topics, publish


def send_meetings(settings: Settings, meetings: Iterable[dict[str, Any]]) -> None:
    ensure_topics(settings)
    publish(settings, settings.topic_meetings, [(str(m["org_id"]).encode(), json.dumps(m).encode()) for m in meetings])


def send_raw(settings: Settings, key: bytes, value: bytes) -> None:
    ensure_topics(settings)
    publish(settings, settings.topic_meetings, [(key, value)])


class TopicReader:
    """Reads a topic from the beginning, in the background of each `poll()` call."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"reader-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe([topic])
        self.messages: list[Any] = []

    def poll(self, seconds: float = 0.5) -> int:
        deadline = time.monotonic() + seconds
        got = 0
        while time.monotonic() < deadline:
            msg = self._consumer.poll(0.1)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(str(msg.error()))
            self.messages.append(msg)
            got += 1
        return got

    def close(self) -> None:
        self._consumer.close()


class ResultCollector(TopicReader):
    """Every `SyncResult` published, parsed."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.topic_results)

    @property
    def results(self) -> list[SyncResult]:
        return [SyncResult.model_validate_json(m.value()) for m in self.messages]

    def wait_for(self, done: Callable[[list[SyncResult]], bool], timeout_s: float = 60) -> list[SyncResult]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll(0.3)
            if done(self.results):
                return self.results
        seen = ", ".join(f"{r.meeting_id} r{r.revision} {r.status.value}/{r.reason.value}" for r in self.results)
        raise TimeoutError(f"results not complete after {timeout_s}s; got {len(self.results)}: {seen}")

    def final(self) -> dict[tuple[str, int | None], SyncResult]:
        """The last terminal result of each (meeting, revision)."""
        out: dict[tuple[str, int | None], SyncResult] = {}
        for result in self.results:
            if result.status.is_terminal:
                out[(result.meeting_id, result.revision)] = result
        return out


def wait_consumed(settings: Settings, topic: str, *, group: str, timeout_s: float = 30) -> None:
    """Until consumer `group` has committed every message of `topic` (its commits follow processing)."""
    probe = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": group, "enable.auto.commit": False})
    try:
        partitions = list(probe.list_topics(topic, timeout=10).topics[topic].partitions)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ends = {p: probe.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1] for p in partitions}
            committed = probe.committed([TopicPartition(topic, p) for p in partitions], timeout=5)
            if all(tp.offset >= ends[tp.partition] for tp in committed if ends[tp.partition] > 0):
                return
            time.sleep(0.2)
        raise TimeoutError(f"group {group} did not consume {topic} within {timeout_s}s")
    finally:
        probe.close()
