"""Faust Tables holding pydantic models, written to an explicit changelog partition.

Faust picks a table write's changelog partition from the "current event"; inside a batch processed
with `gather` that is whichever event came last, not the one being handled. So every write here
names the partition of the work item it comes from: the org's partition, by construction.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class ModelTable(Generic[M]):
    def __init__(self, table: Any, model: type[M]) -> None:
        self._table = table
        self._model = model

    def get(self, key: str) -> M | None:
        raw = self._table.data.get(key)
        return None if raw is None else self._model.model_validate_json(raw)

    def put(self, key: str, value: M, partition: int) -> None:
        raw = value.model_dump_json().encode()
        self._table.data[key] = raw  # local view now; the changelog makes it survive a restart
        self._table.send_changelog(partition, key, raw)

    def delete(self, key: str, partition: int) -> None:
        self._table.data.pop(key, None)
        self._table.send_changelog(partition, key, None)

    def keys(self) -> list[str]:
        """A snapshot of the keys (the table may change while the caller awaits)."""
        return list(self._table.data.keys())

    def __len__(self) -> int:
        return len(self._table.data)
