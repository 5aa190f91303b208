"""Faust Tables holding pydantic models, written to an explicit changelog partition.

Faust picks a table write's changelog partition from the "current event"; inside a batch processed
with `gather` that is whichever event came last, not the one being handled. So every write here
names the partition of the work item it comes from: the org's partition, by construction.

Faust's producer flush can return while changelog records are still queued, so each write's delivery
future is kept until `settle()` awaits it: the caller publishes a result only after its ledger entry
is in Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class ModelTable(Generic[M]):
    def __init__(self, table: Any, model: type[M]) -> None:
        self._table = table
        self._model = model
        self._pending: list[asyncio.Future[Any]] = []
        self._partition_of: dict[str, int] = {}  # keys written here, for dropping revoked partitions

    def get(self, key: str) -> M | None:
        raw = self._table.data.get(key)
        return None if raw is None else self._model.model_validate_json(raw)

    def put(self, key: str, value: M, partition: int) -> None:
        raw = value.model_dump_json().encode()
        self._table.data[key] = raw  # local view now; the changelog makes it survive a restart
        self._partition_of[key] = partition
        self._pending.append(self._table.send_changelog(partition, key, raw))

    def delete(self, key: str, partition: int) -> None:
        self._table.data.pop(key, None)
        self._partition_of.pop(key, None)
        self._pending.append(self._table.send_changelog(partition, key, None))

    async def settle(self) -> None:
        """Until every changelog record written so far is acknowledged by Kafka."""
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        """Drop the local copy of keys written to partitions this worker no longer owns.

        Faust's memory store forgets the keys it recovered for a revoked partition, but not keys
        written live; left behind, they would be stale if the partition ever came back.
        """
        gone = set(partitions)
        for key in [k for k, p in self._partition_of.items() if p in gone]:
            self._table.data.pop(key, None)
            del self._partition_of[key]

    def snapshot_keys(self) -> list[str]:
        """A snapshot of the keys (the table may change while the caller awaits)."""
        return list(self._table.data.keys())

    def __len__(self) -> int:
        return len(self._table.data)
