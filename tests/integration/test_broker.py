"""The project's Kafka broker serves the clients the service uses, the way the service relies on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError, UnknownTopicOrPartitionError
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = pytest.mark.integration

PARTITIONS = 6


@pytest.fixture
def topic(kafka_bootstrap: str) -> Iterator[str]:
    """A fresh topic with several partitions, deleted afterwards."""
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    name = f"test-broker-{uuid.uuid4().hex[:12]}"
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


async def consume(bootstrap: str, topic: str, group: str, expected: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of `expected` records read from the group's position, committed after."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[tuple[int, bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < expected:
                batches = await consumer.getmany(timeout_ms=500)
                records += [(m.partition, m.key, m.value) for batch in batches.values() for m in batch]
        await consumer.commit()
    finally:
        await consumer.stop()
    return records


async def test_records_from_confluent_kafka_reach_aiokafka_in_the_partition_aiokafka_would_pick(
    kafka_bootstrap: str, topic: str
) -> None:
    # Co-partitioning of meetings and org state depends on every producer hashing keys like the Java
    # client (murmur2): the partitioner our own confluent-kafka producers are configured with.
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
    sent = {f"org-{i}".encode(): f"meeting-{i}".encode() for i in range(40)}
    for key, value in sent.items():
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0

    records = await consume(kafka_bootstrap, topic, f"g-{uuid.uuid4().hex}", len(sent))

    assert {key: value for _, key, value in records} == sent
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as aio_producer:
        for partition, key, _ in records:
            placed = await aio_producer.send_and_wait(topic, key=key, value=b"again")
            assert placed.partition == partition, key


async def test_a_consumer_group_resumes_after_its_committed_offsets(kafka_bootstrap: str, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex}"
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
        for i in range(5):
            await producer.send_and_wait(topic, key=b"org-1", value=f"first-{i}".encode())
        assert len(await consume(kafka_bootstrap, topic, group, 5)) == 5

        await producer.send_and_wait(topic, key=b"org-1", value=b"second")
        records = await consume(kafka_bootstrap, topic, group, 1)

    assert [value for _, _, value in records] == [b"second"]


async def test_producing_to_an_unknown_topic_fails_and_creates_nothing(kafka_bootstrap: str) -> None:
    # A mistyped topic name must fail loudly, not start a topic with the wrong partition count.
    name = f"test-broker-missing-{uuid.uuid4().hex[:12]}"
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=2000) as producer:
        with pytest.raises((UnknownTopicOrPartitionError, KafkaTimeoutError)):
            await producer.send_and_wait(name, value=b"lost")

    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    assert name not in topics
