"""Resolved queries: a syntax tree checked against a Schema, with canonical names and typed literals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sfsim.ids import InvalidIdError, normalize_id
from sfsim.schema import NUMBER_TYPES, ChildRelationship, FieldDef, ObjectDef, Schema

from .errors import (
    MAX_STRING_LITERAL,
    SoqlError,
    located,
    no_such_column,
    unknown_relationship,
    unsupported_type,
)
from .parser import (
    RawBool,
    RawCompare,
    RawCond,
    RawCount,
    RawIn,
    RawLike,
    RawNot,
    RawPath,
    RawQuery,
    RawValue,
)

MAX_RELATIONSHIP_DEPTH = 5
MAX_SEMI_JOINS = 2
MAX_OFFSET = 2000
STRINGISH = frozenset({"string", "textarea", "email", "url", "picklist", "phone"})
IDISH = frozenset({"id", "reference"})

# Fields reachable through a polymorphic relationship (Who., What., Relation., Parent.): the
# "Name" pseudo-object. `Type` is the related record's sObject type.
_NAME_FIELDS: dict[str, FieldDef] = {
    f.name.lower(): f
    for f in (
        FieldDef("Id", "id", 18),
        FieldDef("Name", "string", 255),
        FieldDef("Type", "string", 40),
        FieldDef("FirstName", "string", 40),
        FieldDef("LastName", "string", 80),
        FieldDef("Email", "email", 80),
        FieldDef("Phone", "phone", 40),
        FieldDef("Title", "string", 128),
        FieldDef("Alias", "string", 8),
        FieldDef("Username", "string", 80),
        FieldDef("IsActive", "boolean"),
    )
}


# --- resolved nodes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hop:
    field: FieldDef  # the reference field, e.g. AccountId
    name: str  # canonical relationship name, e.g. "Account"
    target: ObjectDef | None  # None: polymorphic (fields of the Name pseudo-object)


@dataclass(frozen=True, slots=True)
class FieldRef:
    hops: tuple[Hop, ...]
    field: FieldDef
    path: str  # canonical dotted path, e.g. "Account.Website"

    @property
    def polymorphic_leaf(self) -> bool:
        return bool(self.hops) and self.hops[-1].target is None


@dataclass(frozen=True, slots=True)
class Compare:
    ref: FieldRef
    op: str  # = != < <= > >=
    value: Any  # normalized (lower-cased strings/ids), or None for NULL
    date_literal: tuple[str, int | None] | None = None  # TODAY, (LAST_N_DAYS, 30)...


@dataclass(frozen=True, slots=True)
class InList:
    ref: FieldRef
    values: frozenset[Any]  # normalized, without None
    has_null: bool
    negate: bool
    ordered: tuple[Any, ...]  # the same values in query order (index lookups)


@dataclass(frozen=True, slots=True)
class Like:
    ref: FieldRef
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class SemiJoin:
    ref: FieldRef
    query: Query
    negate: bool


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Cond


Cond = Compare | InList | Like | SemiJoin | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    ref: FieldRef
    desc: bool
    nulls_last: bool


@dataclass(frozen=True, slots=True)
class SubQuery:
    relationship: ChildRelationship  # canonical name, child sObject, child field
    query: Query


@dataclass(frozen=True, slots=True)
class Leaf:
    name: str  # output key
    ref: FieldRef


@dataclass(frozen=True, slots=True)
class Branch:
    hop: Hop  # output key is hop.name
    children: tuple[Leaf | Branch, ...]


Shape = tuple[Leaf | Branch | SubQuery, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed and resolved SOQL query (immutable; shared by every execution of the same text)."""

    text: str
    sobject: ObjectDef
    fields: tuple[FieldRef, ...]  # selected fields, in order
    subqueries: tuple[SubQuery, ...]
    shape: Shape  # output layout: selected items in order, parent paths nested
    count: bool  # SELECT COUNT()
    where: Cond | None
    order: tuple[OrderKey, ...]
    limit: int | None
    offset: int | None
    schema: Schema | None = None  # the schema it was resolved against


@dataclass(frozen=True, slots=True)
class DeferredQuery:
    """Syntax-checked SOQL not yet resolved against a schema (`parse(text)` without a schema)."""

    text: str


# --- resolution -------------------------------------------------------------------------------


class _Resolver:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.semi_joins = 0

    def err(self, code: str, row: int, col: int, message: str) -> SoqlError:
        return SoqlError(code, located(self.text, row, col, message))

    def query(self, raw: RawQuery, obj: ObjectDef | None = None) -> Query:
        if obj is None:
            obj = self.schema.get(raw.sobject)
            if obj is None:
                tok = raw.sobject_token
                raise self.err("INVALID_TYPE", tok.row, tok.col, unsupported_type(raw.sobject))
        fields: list[FieldRef] = []
        subqueries: list[SubQuery] = []
        count = False
        seen: set[str] = set()
        for item in raw.items:
            if isinstance(item, RawCount):
                if len(raw.items) > 1:
                    raise self.err("MALFORMED_QUERY", item.token.row, item.token.col, "unexpected token: COUNT")
                count = True
            elif isinstance(item, RawQuery):
                sub = self.child_subquery(obj, item)
                key = "(" + sub.relationship.name.lower()
                if key in seen:
                    tok = item.sobject_token
                    raise self.err("MALFORMED_QUERY", tok.row, tok.col, f"duplicate field selected: {tok.text}")
                seen.add(key)
                subqueries.append(sub)
            else:
                ref = self.path(obj, item)
                key = ref.path.lower()
                if key in seen:
                    raise self.err("MALFORMED_QUERY", item.row, item.col, f"duplicate field selected: {item.dotted}")
                seen.add(key)
                fields.append(ref)
        where = self.cond(obj, raw.where, under_or=False, under_not=False) if raw.where is not None else None
        order = []
        for o in raw.order:
            ref = self.path(obj, o.path)
            if not ref.field.sortable:
                raise self.err(
                    "INVALID_FIELD",
                    o.path.row,
                    o.path.col,
                    f"field '{ref.field.name}' can not be sorted in a query call",
                )
            nulls_last = o.desc if o.nulls_last is None else o.nulls_last
            order.append(OrderKey(ref, o.desc, nulls_last))
        if count and order:
            tok = raw.select_token
            raise self.err("MALFORMED_QUERY", tok.row, tok.col, "unexpected token: ORDER")
        if raw.offset is not None and raw.offset > MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        return Query(
            text=self.text,
            sobject=obj,
            fields=tuple(fields),
            subqueries=tuple(subqueries),
            shape=_shape(raw, fields, subqueries),
            count=count,
            where=where,
            order=tuple(order),
            limit=raw.limit,
            offset=raw.offset,
            schema=self.schema,
        )

    def child_subquery(self, parent: ObjectDef, raw: RawQuery) -> SubQuery:
        rel = parent.child_relationship(raw.sobject)
        if rel is None:
            tok = raw.sobject_token
            raise self.err(
                "INVALID_TYPE", tok.row, tok.col, unknown_relationship(raw.sobject, "FROM part of query call")
            )
        child = self.schema[rel.child_sobject]
        return SubQuery(rel, self.query(raw, child))

    def path(self, obj: ObjectDef, raw: RawPath) -> FieldRef:
        parts = list(raw.parts)
        # `SELECT Contact.Email FROM Contact`: a leading object name is allowed.
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.parent_relationship(parts[0]) is None:
            parts = parts[1:]
        if len(parts) - 1 > MAX_RELATIONSHIP_DEPTH:
            raise self.err(
                "MALFORMED_QUERY",
                raw.row,
                raw.col,
                f"SOQL statements cannot query relationships more than {MAX_RELATIONSHIP_DEPTH} levels away "
                f"from the root entity object: {raw.dotted}",
            )
        hops: list[Hop] = []
        current: ObjectDef | None = obj
        names: list[str] = []
        for part in parts[:-1]:
            ref = current.parent_relationship(part) if current is not None else None
            if ref is None or ref.relationship_name is None:
                raise self.err("INVALID_FIELD", raw.row, raw.col, unknown_relationship(part))
            target = self.schema.get(ref.reference_to[0]) if len(ref.reference_to) == 1 else None
            if target is None and len(ref.reference_to) == 1:
                raise self.err("INVALID_FIELD", raw.row, raw.col, unknown_relationship(part))
            hops.append(Hop(ref, ref.relationship_name, target))
            names.append(ref.relationship_name)
            current = target
        last = parts[-1]
        if current is None:
            field = _NAME_FIELDS.get(last.lower())
            entity = "Name"
        else:
            field = current.field(last)
            entity = current.name
        if field is None:
            raise self.err("INVALID_FIELD", raw.row, raw.col, no_such_column(last, entity))
        names.append(field.name)
        return FieldRef(tuple(hops), field, ".".join(names))

    # -- WHERE
    def cond(self, obj: ObjectDef, raw: RawCond, *, under_or: bool, under_not: bool) -> Cond:
        if isinstance(raw, RawBool):
            is_or = raw.op == "OR"
            items = tuple(self.cond(obj, c, under_or=under_or or is_or, under_not=under_not) for c in raw.items)
            return Or(items) if is_or else And(items)
        if isinstance(raw, RawNot):
            return Not(self.cond(obj, raw.item, under_or=under_or, under_not=True))
        ref = self.path(obj, raw.path)
        if not ref.field.filterable:
            raise self.err(
                "INVALID_FIELD",
                raw.path.row,
                raw.path.col,
                f"field '{ref.field.name}' can not be filtered in a query call",
            )
        if isinstance(raw, RawCompare):
            return self.compare(ref, raw)
        if isinstance(raw, RawLike):
            return self.like(ref, raw)
        if raw.subquery is not None:
            return self.semi_join(obj, ref, raw, under_or=under_or, under_not=under_not)
        assert raw.values is not None
        values = [self.literal(ref, v) for v in raw.values]
        for v, rv in zip(values, raw.values, strict=True):
            if isinstance(v, _Range):
                raise self.err("MALFORMED_QUERY", rv.token.row, rv.token.col, f"unexpected token: {rv.token.text}")
        non_null = tuple(v for v in values if v is not None)
        return InList(ref, frozenset(non_null), len(non_null) < len(values), raw.negate, non_null)

    def compare(self, ref: FieldRef, raw: RawCompare) -> Compare:
        op = "!=" if raw.op == "<>" else raw.op
        value = self.literal(ref, raw.value)
        if isinstance(value, _Range):
            return Compare(ref, op, None, (value.literal, value.n))
        if op not in ("=", "!=") and value is None:
            tok = raw.value.token
            raise self.err("MALFORMED_QUERY", tok.row, tok.col, f"unexpected token: {tok.text}")
        if op not in ("=", "!=") and ref.field.type == "boolean":
            tok = raw.value.token
            raise self.err(
                "INVALID_QUERY_FILTER_OPERATOR",
                tok.row,
                tok.col,
                f"invalid operator on boolean field: {ref.field.name}",
            )
        return Compare(ref, op, value)

    def like(self, ref: FieldRef, raw: RawLike) -> Like:
        field = ref.field
        tok = raw.value.token
        if field.type not in STRINGISH:
            raise self.err(
                "INVALID_QUERY_FILTER_OPERATOR",
                tok.row,
                tok.col,
                f"invalid operator on {field.type} field: {field.name}",
            )
        text = str(raw.value.value)
        self.check_length(raw.value)
        out = []
        for i, ch in enumerate(text):
            if i in tok.like_escapes:
                out.append(re.escape(ch))
            elif ch == "%":
                out.append(".*")
            elif ch == "_":
                out.append(".")
            else:
                out.append(re.escape(ch.lower()))
        return Like(ref, re.compile("".join(out), re.DOTALL))

    def semi_join(self, obj: ObjectDef, ref: FieldRef, raw: RawIn, *, under_or: bool, under_not: bool) -> SemiJoin:
        tok = raw.token
        assert raw.subquery is not None
        if under_or:
            raise self.err(
                "MALFORMED_QUERY", tok.row, tok.col, "Semi join sub-selects are not allowed with the 'OR' operator"
            )
        if under_not:
            raise self.err(
                "MALFORMED_QUERY",
                tok.row,
                tok.col,
                "Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested "
                "WHERE expressions.",
            )
        self.semi_joins += 1
        if self.semi_joins > MAX_SEMI_JOINS:
            raise self.err(
                "MALFORMED_QUERY", tok.row, tok.col, f"Maximum of {MAX_SEMI_JOINS} semi join sub-selects are allowed"
            )
        if ref.hops or ref.field.type not in IDISH:
            raise self.err(
                "MALFORMED_QUERY",
                raw.path.row,
                raw.path.col,
                f"Semi join sub-selects are only allowed on an Id or reference field: {raw.path.dotted}",
            )
        sub_raw = raw.subquery
        inner = _Resolver(self.text, self.schema)
        inner.semi_joins = MAX_SEMI_JOINS + 1  # any IN (SELECT) inside fails below
        try:
            sub = inner.query(sub_raw)
        except SoqlError as exc:
            if "semi join" in exc.message:
                raise self.err(
                    "MALFORMED_QUERY", tok.row, tok.col, "Nesting of semi join sub-selects is not supported"
                ) from None
            raise
        stok = sub_raw.select_token
        if sub.count or sub.subqueries or len(sub.fields) != 1:
            raise self.err(
                "MALFORMED_QUERY",
                stok.row,
                stok.col,
                "The selected field in a semi join sub-select must be a single Id or reference field",
            )
        inner_field = sub.fields[0]
        if inner_field.hops or inner_field.field.type not in IDISH:
            raise self.err(
                "MALFORMED_QUERY",
                stok.row,
                stok.col,
                f"The selected field '{inner_field.path}' in a semi join sub-select must be an Id or reference field",
            )
        if sub.order or sub.limit is not None or sub.offset is not None:
            bad = sub_raw.limit_token or sub_raw.offset_token or stok
            raise self.err("MALFORMED_QUERY", bad.row, bad.col, f"unexpected token: {bad.text}")
        return SemiJoin(ref, sub, raw.negate)

    def check_length(self, raw: RawValue) -> None:
        if isinstance(raw.value, str) and len(raw.value) > MAX_STRING_LITERAL:
            tok = raw.token
            raise self.err(
                "MALFORMED_QUERY",
                tok.row,
                tok.col,
                f"String literal exceeds the maximum of {MAX_STRING_LITERAL} characters",
            )

    def literal(self, ref: FieldRef, raw: RawValue) -> Any:
        """The literal normalized for comparison with `ref`'s values."""
        field = ref.field
        tok = raw.token
        if raw.kind == "string":
            self.check_length(raw)
            if tok.like_escapes:
                bad = "\\%" if "\\%" in tok.text else "\\_"
                raise self.err(
                    "MALFORMED_QUERY",
                    tok.row,
                    tok.col,
                    f"Invalid string literal {tok.text}. Illegal escape sequence: {bad}",
                )
        if raw.kind == "null":
            return None
        ftype = field.type
        if ftype in STRINGISH:
            if raw.kind != "string":
                raise self._type_error(field, tok, quoted=True)
            text = str(raw.value)
            return text.lower() if text else None
        if ftype in IDISH:
            if raw.kind != "string":
                raise self._type_error(field, tok, quoted=True)
            text = str(raw.value)
            if not text:
                return None
            try:
                return normalize_id(text).lower()
            except InvalidIdError:
                raise self.err("INVALID_QUERY_FILTER_OPERATOR", tok.row, tok.col, f"invalid ID field: {text}") from None
        if ftype == "boolean":
            if raw.kind != "bool":
                raise self._type_error(field, tok, quoted=False)
            return raw.value
        if ftype in NUMBER_TYPES:
            if raw.kind != "number":
                raise self._type_error(field, tok, quoted=False)
            return raw.value
        if ftype in ("date", "datetime"):
            if raw.kind == "dateliteral":
                return _Range(str(raw.value), raw.n)
            if raw.kind != ftype:
                raise self._type_error(field, tok, quoted=False)
            return raw.value
        raise self._type_error(field, tok, quoted=False)

    def _type_error(self, field: FieldDef, tok: Any, *, quoted: bool) -> SoqlError:
        sftype = {
            "datetime": "dateTime",
            "currency": "double",
            "int": "double",
            "id": "id",
            "reference": "id",
        }.get(field.type, field.type if field.type in ("boolean", "double", "date") else "string")
        hint = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
        return self.err(
            "INVALID_QUERY_FILTER_OPERATOR",
            tok.row,
            tok.col,
            f"value of filter criterion for field '{field.name}' must be of type {sftype} and {hint}",
        )


@dataclass(frozen=True, slots=True)
class _Range:
    literal: str
    n: int | None


def _shape(raw: RawQuery, fields: list[FieldRef], subqueries: list[SubQuery]) -> Shape:
    """Output layout in select order; parent paths sharing a relationship share one nested object."""
    root: list[Any] = []
    branches: dict[tuple[str, ...], list[Any]] = {}
    field_iter = iter(fields)
    sub_iter = iter(subqueries)
    for item in raw.items:
        if isinstance(item, RawCount):
            continue
        if isinstance(item, RawQuery):
            root.append(next(sub_iter))
            continue
        ref = next(field_iter)
        container = root
        key: tuple[str, ...] = ()
        for hop in ref.hops:
            key = (*key, hop.name.lower())
            if key not in branches:
                children: list[Any] = []
                branches[key] = children
                container.append((hop, children))
            container = branches[key]
        container.append(Leaf(ref.field.name, ref))

    def freeze(items: list[Any]) -> tuple[Leaf | Branch | SubQuery, ...]:
        out: list[Leaf | Branch | SubQuery] = []
        for it in items:
            if isinstance(it, tuple):
                out.append(Branch(it[0], freeze(it[1])))
            else:
                out.append(it)
        return tuple(out)

    return freeze(root)


def resolve(raw: RawQuery, text: str, schema: Schema) -> Query:
    """Check a syntax tree against `schema`: INVALID_TYPE, INVALID_FIELD, filter type errors."""
    return _Resolver(text, schema).query(raw)


__all__ = [
    "And",
    "Branch",
    "Compare",
    "Cond",
    "DeferredQuery",
    "FieldRef",
    "Hop",
    "InList",
    "Leaf",
    "Like",
    "Not",
    "Or",
    "OrderKey",
    "Query",
    "SemiJoin",
    "SubQuery",
    "resolve",
]
