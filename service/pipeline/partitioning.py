"""Which partition an org's work lives in: ours to decide, whatever partitioner upstream used.

Upstream producers may hash keys with confluent-kafka's default (CRC32) or Java's murmur2
(FAUST-NOTES pitfall 6). The intake re-keys every meeting and config onto the work topic with this
function, so an org's meetings, config and ledger always share one partition.
"""

from __future__ import annotations

from aiokafka.partitioner import murmur2


def partition_for(org_id: str, partitions: int) -> int:
    """Java-compatible murmur2 partition of the org id (what Kafka's own clients would pick)."""
    return int(murmur2(org_id.encode()) & 0x7FFFFFFF) % partitions
