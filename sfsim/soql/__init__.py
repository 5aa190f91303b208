"""SOQL for the simulator: a recursive-descent parser and an in-memory engine.

Public API (the HTTP layer codes against this):

``parse(text, schema=None) -> Query | DeferredQuery``
    Parse `text` and, when a `schema` is given, check it against that schema. Without a schema
    only the syntax is checked and a ``DeferredQuery`` is returned, which ``execute`` resolves
    against ``source.schema`` (where the org's custom fields live). Raises ``SoqlError``
    (a ``sfsim.errors.SfError``, HTTP 400) with Salesforce's error codes and messages:
    MALFORMED_QUERY ("unexpected token: X", echo of the query line, a caret and
    ``ERROR at Row:1:Column:N``), INVALID_TYPE, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR,
    NUMBER_OUTSIDE_VALID_RANGE. Results are cached by (text, schema) in an LRU: keep ONE Schema
    object per org (a new Schema per request defeats the cache). A ``Query`` resolved against
    another schema than ``source.schema`` is re-resolved by ``execute``.

``execute(query_or_text, source, *, now, api_version="v60.0", url_prefix=None, include_deleted=False)``
    Run a query over ``source`` (a ``RecordSource``) with date literals evaluated at ``now``.
    ``QueryResult`` is a ``list`` of records in Salesforce's JSON shape (``attributes`` on every
    record and nested parent, fields in select order with canonical names, parent relationships
    nested or ``None``, child subqueries ``{"totalSize", "done": True, "records"}`` or ``None``,
    dates ``YYYY-MM-DD``, datetimes ``YYYY-MM-DDTHH:MM:SS.000+0000``). ``result.total_size`` is
    the response's ``totalSize``; for ``SELECT COUNT()`` the list is empty and ``total_size`` is
    the count. Paging (``nextRecordsUrl``) is the HTTP layer's job. Rows with a truthy
    ``IsDeleted`` are skipped unless ``include_deleted`` (queryAll). Record URLs are
    ``{url_prefix}/sobjects/{Type}/{Id}``, ``url_prefix`` defaulting to ``/services/data/{api_version}``.
    Returns a ``QueryResult`` (a list; check ``total_size`` BEFORE treating it as a plain list,
    or ``SELECT COUNT()`` reports 0).

``RecordSource`` (a Protocol the store implements)
    - ``schema``: the org's ``Schema``.
    - ``records(sobject) -> Iterable[dict]``: every record of that type, in creation order. Values
      are Python values (str, bool, int, float, date, UTC-aware datetime, None) under canonical
      field names; dates and datetimes may also be stored as Salesforce-format strings
      (``2026-01-31``, ``2026-01-31T10:00:00.000+0000``), which are output unchanged.
      ``Id`` and reference fields hold 18-character ids.
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
from .parser import RawQuery, parse_syntax
from .query import DeferredQuery, Query, resolve

__all__ = [
    "DeferredQuery",
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


@functools.lru_cache(maxsize=4096)
def _syntax(text: str) -> RawQuery:
    return parse_syntax(text)


@functools.lru_cache(maxsize=4096)
def _resolved(text: str, schema: Schema) -> Query:
    return resolve(_syntax(text), text, schema)


def parse(text: str, schema: Schema | None = None) -> Query | DeferredQuery:
    """Parse SOQL `text`; with a `schema`, also resolve it (INVALID_TYPE/INVALID_FIELD...).

    Without a schema only the syntax is checked (MALFORMED_QUERY) and a `DeferredQuery` is
    returned: `execute` resolves it against the source's schema (an org's custom fields and the
    objects its user may see are only known there). Both steps are cached by text (and schema).
    """
    if schema is None:
        _syntax(text)
        return DeferredQuery(text)
    return _resolved(text, schema)


def execute(
    query_or_text: Query | DeferredQuery | str,
    source: RecordSource,
    *,
    now: datetime,
    api_version: str = "v60.0",
    version: str | None = None,
    url_prefix: str | None = None,
    include_deleted: bool = False,
) -> QueryResult:
    """Run a query (text or parsed) over `source`; see the module docstring for the result shape.

    Record URLs are `{url_prefix}/sobjects/{Type}/{Id}`; `url_prefix` defaults to
    `/services/data/{api_version}` (`version="61.0"` is accepted too).
    """
    if isinstance(query_or_text, Query) and query_or_text.schema is source.schema:
        query = query_or_text
    else:
        text = query_or_text if isinstance(query_or_text, str) else query_or_text.text
        query = _resolved(text, source.schema)
    if url_prefix is None:
        if version is not None:
            api_version = version if version.startswith("v") else f"v{version}"
        url_prefix = f"/services/data/{api_version}"
    return run_query(query, source, now=now, url_prefix=url_prefix, include_deleted=include_deleted)
