"""An org's work lands in the partition Kafka's own (Java) clients would pick for its key."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from service.pipeline.partitioning import partition_for

org_ids = st.text(min_size=1, max_size=80)
partition_counts = st.integers(min_value=1, max_value=2_000)

# org.apache.kafka.common.utils.UtilsTest.testMurmur2: the Java client's murmur2 of these keys.
JAVA_MURMUR2 = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}


@pytest.mark.parametrize(("key", "java_hash"), JAVA_MURMUR2.items())
@pytest.mark.parametrize("partitions", [1, 6, 7, 12, 100])
def test_the_partition_is_what_the_java_client_picks(key: str, java_hash: int, partitions: int) -> None:
    # Java: Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions
    assert partition_for(key, partitions) == (java_hash & 0x7FFFFFFF) % partitions


@given(org_ids, partition_counts)
def test_the_partition_equals_aiokafkas_default_partitioner(org_id: str, partitions: int) -> None:
    expected = DefaultPartitioner()(org_id.encode(), list(range(partitions)), None)
    assert partition_for(org_id, partitions) == expected


@given(org_ids, partition_counts)
def test_the_partition_is_in_range_and_stable(org_id: str, partitions: int) -> None:
    first = partition_for(org_id, partitions)
    assert 0 <= first < partitions
    assert partition_for(org_id, partitions) == first


def test_orgs_spread_over_the_partitions() -> None:
    used = {partition_for(f"00D{n:012d}", 6) for n in range(200)}
    assert used == set(range(6))
