"""Adapter between the REST layer and the SOQL engine: visibility (permissions), queryAll, result shape."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import soql
from .schema import Schema

if TYPE_CHECKING:
    from .rest import Context


class OrgSource:
    """The `RecordSource` the SOQL engine reads: the org's store seen through the user's object access.

    Objects the user may not read are absent from `schema`, so the engine answers INVALID_TYPE for
    them exactly as Salesforce does for objects a profile cannot see. `queryAll` adds deleted rows.
    """

    def __init__(self, store: Any, schema: Schema, include_deleted: bool) -> None:
        self._store = store
        self.schema = schema
        self._include_deleted = include_deleted

    def records(self, sobject: str) -> Any:
        return self._store.records(sobject, include_deleted=self._include_deleted)

    def get(self, record_id: str) -> dict[str, Any] | None:
        return self._store.get(record_id)

    def index_lookup(self, sobject: str, field: str, value_lower: str) -> list[dict[str, Any]] | None:
        if self._include_deleted:
            return None  # deleted rows are not indexed: let the engine scan
        return self._store.index_lookup(sobject, field, value_lower)


@lru_cache(maxsize=64)
def _visible_schema(schema: Schema, hidden: frozenset[str]) -> Schema:
    if not hidden:
        return schema
    return Schema(o for o in schema.objects if o.name not in hidden)


def run_query(ctx: Context, text: str, *, include_deleted: bool) -> tuple[list[dict[str, Any]], int]:
    """Run SOQL for the org; returns (all result rows, totalSize)."""
    org = ctx.org
    hidden = frozenset(o.name for o in org.store.schema.objects if not org.can_read(o.name))
    source = OrgSource(org.store, _visible_schema(org.store.schema, hidden), include_deleted)
    query = soql.parse(text, source.schema)
    result = soql.execute(
        query, source, now=org.clock.now(), api_version=ctx.prefix.rsplit("/", 1)[-1], include_deleted=include_deleted
    )
    return list(result), int(result.total_size)
