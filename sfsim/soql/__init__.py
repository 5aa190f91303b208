"""SOQL for the simulator: a recursive-descent parser and an in-memory engine.

Public API (the HTTP layer codes against this):

``parse(text, schema=None) -> Query``
    Parse and check `text` against `schema` (default: ``Schema.default()``). Raises ``SoqlError``
    (a ``sfsim.errors.SfError``, HTTP 400) with Salesforce's error codes and messages:
    MALFORMED_QUERY ("unexpected token: X", echo of the query line, a caret and
    ``ERROR at Row:1:Column:N``), INVALID_TYPE, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR,
    NUMBER_OUTSIDE_VALID_RANGE. Results are cached by (text, schema) in an LRU: keep ONE Schema
    object per org (a new Schema per request defeats the cache).

``execute(query_or_text, source, *, now, api_version="v60.0", include_deleted=False) -> QueryResult``
    Run a query over ``source`` (a ``RecordSource``) with date literals evaluated at ``now``.
    ``QueryResult`` is a ``list`` of records in Salesforce's JSON shape (``attributes`` on every
    record and nested parent, fields in select order with canonical names, parent relationships
    nested or ``None``, child subqueries ``{"totalSize", "done": True, "records"}`` or ``None``,
    dates ``YYYY-MM-DD``, datetimes ``YYYY-MM-DDTHH:MM:SS.000+0000``). ``result.total_size`` is
    the response's ``totalSize``; for ``SELECT COUNT()`` the list is empty and ``total_size`` is
    the count. Paging (``nextRecordsUrl``) is the HTTP layer's job. Rows with a truthy
    ``IsDeleted`` are skipped unless ``include_deleted`` (queryAll).

``RecordSource`` (a Protocol the store implements)
    - ``schema``: the org's ``Schema``.
    - ``records(sobject) -> Iterable[dict]``: every record of that type, in creation order. Values
      are Python values (str, bool, int, float, date, UTC-aware datetime, None) under canonical
      field names; ``Id`` and reference fields hold 18-character ids.
    - ``get(record_id) -> dict | None``: any record by 18-character id (parent lookups). The type
      of a record is taken from ``record["attributes"]["type"]`` if present, else its key prefix.
    - optional ``index_lookup(sobject, field, value_lower) -> list[dict] | None``: the records
      whose ``field`` lower-cased equals ``value_lower`` (for Id/reference fields: the 18-character
      id lower-cased), or ``None`` when there is no index on that field. Used for top-level
      ``F = 'x'``, ``F IN (...)``, ``Id IN (SELECT ...)`` conjuncts and for child subqueries (by
      the child's reference field). Candidates are re-checked against the whole WHERE.

``quote(value)`` / ``quote_like(value)``: Salesforce escaping of a string literal.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sfsim.schema import Schema

from .engine import QueryResult, RecordSource, format_datetime, run_query
from .errors import SoqlError
from .escape import quote, quote_like
from .parser import parse_syntax
from .query import Query, resolve

__all__ = [
    "Query",
    "QueryResult",
    "RecordSource",
    "SoqlError",
    "execute",
    "format_datetime",
    "parse",
    "quote",
    "quote_like",
]


@functools.lru_cache(maxsize=2048)
def _parse_cached(text: str, schema: Schema) -> Query:
    return resolve(parse_syntax(text), text, schema)


def parse(text: str, schema: Schema | None = None) -> Query:
    """Parse and resolve SOQL `text` against `schema` (cached by text and schema)."""
    return _parse_cached(text, schema if schema is not None else Schema.default())


def execute(
    query_or_text: Query | str,
    source: RecordSource,
    *,
    now: datetime,
    api_version: str = "v60.0",
    include_deleted: bool = False,
) -> QueryResult:
    """Run a query (text or parsed) over `source`; see the module docstring for the result shape."""
    query = parse(query_or_text, source.schema) if isinstance(query_or_text, str) else query_or_text
    return run_query(query, source, now=now, api_version=api_version, include_deleted=include_deleted)
