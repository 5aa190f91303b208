"""Run a resolved Query over a RecordSource and shape the rows as Salesforce's query JSON."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

from sfsim.ids import sobject_of
from sfsim.schema import Schema

from .dates import date_range
from .query import (
    IDISH,
    STRINGISH,
    And,
    Branch,
    Compare,
    Cond,
    FieldRef,
    InList,
    Leaf,
    Like,
    Not,
    Or,
    Query,
    SemiJoin,
    SubQuery,
)

Record = dict[str, Any]


@runtime_checkable
class RecordSource(Protocol):
    """What the engine needs from a store (one org)."""

    @property
    def schema(self) -> Schema: ...

    def records(self, sobject: str) -> Iterable[Record]:
        """Every record of `sobject` (canonical name), in creation order."""
        ...

    def get(self, record_id: str) -> Record | None:
        """The record with this 18-character Id, of any type, or None."""
        ...

    # Optional: index_lookup(sobject, field, value_lower) -> list[Record] | None
    # (None: no index on that field, the engine scans instead).


class QueryResult(list[Record]):
    """The rows of one query; `total_size` is the COUNT() value for `SELECT COUNT()` (rows empty)."""

    total_size: int

    def __init__(self, rows: Iterable[Record] = (), total_size: int | None = None) -> None:
        super().__init__(rows)
        self.total_size = len(self) if total_size is None else total_size


_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def format_datetime(value: datetime) -> str:
    """Salesforce's datetime format: `2026-01-31T10:00:00.000+0000` (UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}+0000"


class _Run:
    """State of one execution: `now`, a parent cache, semi-join id sets, child groupings."""

    def __init__(self, source: RecordSource, now: datetime, url_prefix: str, include_deleted: bool) -> None:
        self.source = source
        self.now = now
        self.url_prefix = url_prefix
        self.include_deleted = include_deleted
        self.index: Callable[[str, str, str], list[Record] | None] | None = getattr(source, "index_lookup", None)
        self.parents: dict[str, Record | None] = {}
        self.semi: dict[int, frozenset[str]] = {}
        self.children: dict[tuple[str, str], dict[str, list[Record]]] = {}

    # -- values
    def get(self, record_id: str) -> Record | None:
        try:
            return self.parents[record_id]
        except KeyError:
            rec = self.source.get(record_id)
            self.parents[record_id] = rec
            return rec

    def raw(self, rec: Record, ref: FieldRef) -> Any:
        for hop in ref.hops:
            parent_id = rec.get(hop.field.name)
            if not parent_id:
                return None
            parent = self.get(parent_id)
            if parent is None:
                return None
            rec = parent
        if ref.polymorphic_leaf and ref.field.name == "Type":
            return _type_of(rec)
        return rec.get(ref.field.name)

    def value(self, rec: Record, ref: FieldRef) -> Any:
        """The field's value normalized for comparison (strings lower-cased, '' as null)."""
        v = self.raw(rec, ref)
        if v is None:
            return None
        ftype = ref.field.type
        if ftype in STRINGISH or ftype in IDISH:
            return str(v).lower() or None
        if ftype == "datetime":
            if isinstance(v, str):
                return _parse_datetime(v)
            if isinstance(v, datetime) and v.tzinfo is None:
                return v.replace(tzinfo=UTC)
        elif ftype == "date" and isinstance(v, str):
            return _parse_date(v)
        return v

    # -- WHERE
    def match(self, cond: Cond, rec: Record) -> bool:
        if isinstance(cond, Compare):
            return self.compare(cond, rec)
        if isinstance(cond, InList):
            v = self.value(rec, cond.ref)
            found = cond.has_null if v is None else v in cond.values
            return found != cond.negate
        if isinstance(cond, Like):
            v = self.value(rec, cond.ref)
            return v is not None and cond.pattern.fullmatch(v) is not None
        if isinstance(cond, And):
            return all(self.match(c, rec) for c in cond.items)
        if isinstance(cond, Or):
            return any(self.match(c, rec) for c in cond.items)
        if isinstance(cond, Not):
            return not self.match(cond.item, rec)
        if isinstance(cond, SemiJoin):
            v = self.value(rec, cond.ref)
            found = v is not None and v in self.semi_ids(cond)
            return found != cond.negate
        raise TypeError(cond)

    def compare(self, cond: Compare, rec: Record) -> bool:
        v = self.value(rec, cond.ref)
        op = cond.op
        if cond.date_literal is not None:
            if v is None:
                return op == "!="
            start, end = date_range(cond.date_literal[0], cond.date_literal[1], self.now)
            day = v.astimezone(UTC).date() if isinstance(v, datetime) else v
            if op == "=":
                return start <= day <= end
            if op == "!=":
                return not start <= day <= end
            if op == "<":
                return day < start
            if op == "<=":
                return day <= end
            if op == ">":
                return day > end
            return day >= start
        if cond.value is None:
            return (v is None) == (op == "=")
        if v is None:
            # SOQL's != keeps rows whose field is null.
            return op == "!="
        try:
            return _CMP[op](v, cond.value)
        except TypeError:
            return False

    def semi_ids(self, cond: SemiJoin) -> frozenset[str]:
        key = id(cond)
        ids = self.semi.get(key)
        if ids is None:
            inner = cond.query
            ref = inner.fields[0]
            rows = self.filtered(inner)
            ids = frozenset(v for r in rows if (v := self.value(r, ref)) is not None)
            self.semi[key] = ids
        return ids

    # -- row selection
    def candidates(self, query: Query) -> Iterable[Record]:
        """Rows that may match: from an index when an indexed equality is a top-level conjunct."""
        where = query.where
        if self.index is not None and where is not None:
            conjuncts = where.items if isinstance(where, And) else (where,)
            for c in conjuncts:
                keys: tuple[Any, ...] | None = None
                if isinstance(c, Compare) and c.op == "=" and c.date_literal is None and isinstance(c.value, str):
                    keys = (c.value,)
                    ref = c.ref
                elif isinstance(c, InList) and not c.negate and not c.has_null:
                    keys = tuple(v for v in c.ordered if isinstance(v, str))
                    ref = c.ref
                    if len(keys) != len(c.ordered):
                        keys = None
                elif isinstance(c, SemiJoin) and not c.negate:
                    keys = tuple(sorted(self.semi_ids(c)))
                    ref = c.ref
                if keys is None or ref.hops:
                    continue
                found = self.lookup(query.sobject.name, ref.field.name, keys)
                if found is not None:
                    return found
        return self.source.records(query.sobject.name)

    def lookup(self, sobject: str, field: str, keys: Iterable[str]) -> list[Record] | None:
        assert self.index is not None
        out: list[Record] = []
        seen: set[str] = set()
        for key in keys:
            rows = self.index(sobject, field, key)
            if rows is None:
                return None
            for r in rows:
                rid = r.get("Id")
                if rid not in seen:
                    seen.add(rid)
                    out.append(r)
        return out

    def filtered(self, query: Query, rows: Iterable[Record] | None = None) -> list[Record]:
        if rows is None:
            rows = self.candidates(query)
        where = query.where
        deleted_ok = self.include_deleted
        return [r for r in rows if (deleted_ok or not r.get("IsDeleted")) and (where is None or self.match(where, r))]

    def ordered(self, query: Query, rows: list[Record]) -> list[Record]:
        for key in reversed(query.order):
            null_rank = 2 if key.nulls_last != key.desc else 0

            def sort_key(r: Record, ref: FieldRef = key.ref, null_rank: int = null_rank) -> tuple[int, Any]:
                v = self.value(r, ref)
                return (null_rank, 0) if v is None else (1, v)

            rows.sort(key=sort_key, reverse=key.desc)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return rows[start:end] if (start or end is not None) else rows

    def run(self, query: Query, rows: Iterable[Record] | None = None) -> QueryResult:
        matched = self.filtered(query, rows)
        if query.count:
            start = query.offset or 0
            n = max(0, len(matched) - start)
            if query.limit is not None:
                n = min(n, query.limit)
            return QueryResult((), n)
        return QueryResult(self.shape(query, r) for r in self.ordered(query, matched))

    # -- output
    def attributes(self, sobject: str, rec: Record) -> dict[str, str]:
        return {"type": sobject, "url": f"{self.url_prefix}/sobjects/{sobject}/{rec.get('Id')}"}

    def shape(self, query: Query, rec: Record) -> Record:
        out: Record = {"attributes": self.attributes(query.sobject.name, rec)}
        self.fill(out, query.shape, rec)
        return out

    def fill(self, out: Record, shape: tuple[Leaf | Branch | SubQuery, ...], rec: Record) -> None:
        for node in shape:
            if isinstance(node, Leaf):
                if node.ref.polymorphic_leaf and node.name == "Type":
                    out["Type"] = _type_of(rec)
                else:
                    out[node.name] = _json(node.ref.field.type, rec.get(node.name))
            elif isinstance(node, Branch):
                hop = node.hop
                parent_id = rec.get(hop.field.name)
                parent = self.get(parent_id) if parent_id else None
                if parent is None:
                    out[hop.name] = None
                    continue
                real_type = _type_of(parent) or (hop.target.name if hop.target else "Name")
                nested: Record = {"attributes": self.attributes(real_type, parent)}
                if hop.target is None:
                    # Polymorphic lookups answer with the Name pseudo-type and the real record URL.
                    nested["attributes"]["type"] = "Name"
                self.fill(nested, node.children, parent)
                out[hop.name] = nested
            else:
                out[node.relationship.name] = self.child_rows(node, rec)

    def child_rows(self, sub: SubQuery, parent: Record) -> Record | None:
        parent_id = parent.get("Id")
        if not parent_id:
            return None
        rel = sub.relationship
        rows: list[Record] | None = None
        if self.index is not None:
            rows = self.index(rel.child_sobject, rel.field, str(parent_id).lower())
        if rows is None:
            groups = self.children.get((rel.child_sobject, rel.field))
            if groups is None:
                groups = {}
                for r in self.source.records(rel.child_sobject):
                    key = r.get(rel.field)
                    if key:
                        groups.setdefault(str(key).lower(), []).append(r)
                self.children[(rel.child_sobject, rel.field)] = groups
            rows = groups.get(str(parent_id).lower(), [])
        result = self.run(sub.query, list(rows))
        if not result:
            return None
        return {"totalSize": len(result), "done": True, "records": list(result)}


@functools.lru_cache(maxsize=65536)
def _parse_datetime(text: str) -> datetime | str:
    """A stored datetime string (`2026-01-31T10:00:00.000+0000` or ISO 8601) as an aware datetime."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> date | str:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return text


def _type_of(rec: Record) -> str | None:
    attrs = rec.get("attributes")
    if isinstance(attrs, dict) and attrs.get("type"):
        return str(attrs["type"])
    rid = rec.get("Id")
    return sobject_of(rid) if isinstance(rid, str) else None


def _json(ftype: str, value: Any) -> Any:
    if value is None:
        return None
    if ftype == "datetime" and isinstance(value, datetime):
        return format_datetime(value)
    if ftype == "date" and isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if ftype == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if ftype in ("double", "currency") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def run_query(
    query: Query, source: RecordSource, *, now: datetime, url_prefix: str, include_deleted: bool = False
) -> QueryResult:
    """Run a resolved query; record URLs are `{url_prefix}/sobjects/{Type}/{Id}`."""
    return _Run(source, now, url_prefix.rstrip("/"), include_deleted).run(query)
