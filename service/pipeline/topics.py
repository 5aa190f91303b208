"""Creating the service's topics with confluent-kafka's admin client (auto-creation is off).

Meetings, org configs and retries share one partition count: the work topic re-keys by org, but
equal counts keep the layout legible and let operators reason about one number.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from service.config import Settings

COMPACTED = {"cleanup.policy": "compact"}


def topic_specs(settings: Settings) -> dict[str, dict[str, str]]:
    """Topic name -> config, for every topic the service reads or writes (Faust adds its own)."""
    size = {"max.message.bytes": str(settings.max_message_bytes * 2)}
    return {
        settings.topic_meetings: size,
        settings.topic_org_configs: {**COMPACTED, **size},
        settings.topic_retry: size,
        settings.topic_results: size,
        settings.topic_dlq: size,
        f"{settings.app_id}-work": size,
    }


def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left as they are."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = [
        NewTopic(name, num_partitions=settings.partitions, replication_factor=settings.replication_factor, config=cfg)
        for name, cfg in topic_specs(settings).items()
        if name not in existing
    ]
    if not wanted:
        return []
    created = []
    for name, future in admin.create_topics(wanted, operation_timeout=timeout_s).items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return created


def producer_config(settings: Settings) -> dict[str, str | int]:
    """confluent-kafka producer settings; murmur2 keeps keys where Java and aiokafka would put them."""
    return {
        "bootstrap.servers": settings.bootstrap_servers,
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.max.bytes": settings.max_message_bytes * 2 + 64_000,
    }


def publish(settings: Settings, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    """Publish keyed records and wait for every delivery; raises on the first failure."""
    producer = Producer(producer_config(settings))
    errors: list[str] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    for key, value in records:
        producer.produce(topic, key=key, value=value, on_delivery=delivered)
        producer.poll(0)
    producer.flush(30)
    if errors:
        raise RuntimeError(f"publishing to {topic} failed: {errors[0]}")
