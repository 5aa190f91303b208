"""An org's records: tables per sObject, lower-cased lookup indexes, and an undo log for rollback.

Implements the SOQL engine's `RecordSource` protocol (`schema`, `records`, `get`, `index_lookup`).
Records are plain dicts keyed by canonical field API names in schema order; dates are
`YYYY-MM-DD` strings and datetimes Salesforce's `2024-05-01T09:30:00.000+0000` strings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from .ids import new_id
from .schema import ObjectDef, Schema

# One counter for the whole process: ids never collide across orgs.
_ID_COUNTER = itertools.count(1)
# Fields indexed besides external ids and references: the lookups the sync service issues.
_EXTRA_INDEXED = {"Contact": ("Email",), "Lead": ("Email",), "User": ("Email", "Username")}


def next_id(sobject: str) -> str:
    return new_id(sobject, next(_ID_COUNTER))


class Store:
    """Records of one org with indexes kept in step on every write; writes can be rolled back."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._tables: dict[str, dict[str, dict[str, Any]]] = {o.name: {} for o in schema.objects}
        self._deleted: dict[str, dict[str, dict[str, Any]]] = {o.name: {} for o in schema.objects}
        self._type_of: dict[str, str] = {}
        self._indexed: dict[str, tuple[str, ...]] = {o.name: self._indexed_fields(o) for o in schema.objects}
        self._indexes: dict[tuple[str, str], dict[str, set[str]]] = {
            (sobject, f): {} for sobject, fields in self._indexed.items() for f in fields
        }
        self._undo: list[tuple[str, Any]] = []

    @staticmethod
    def _indexed_fields(obj: ObjectDef) -> tuple[str, ...]:
        names = [f.name for f in obj.fields if f.type == "reference" or f.external_id or f.unique or f.id_lookup]
        names += [n for n in _EXTRA_INDEXED.get(obj.name, ()) if n not in names and obj.field(n)]
        return tuple(names)

    # --- RecordSource ---------------------------------------------------------------------
    def records(self, sobject: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Live records of `sobject` in insertion order (plus deleted ones for queryAll)."""
        obj = self.schema.get(sobject)
        if obj is None:
            return iter(())
        live = self._tables[obj.name].values()
        if not include_deleted:
            return iter(live)
        return itertools.chain(live, self._deleted[obj.name].values())

    def get(self, record_id: str) -> dict[str, Any] | None:
        """A live record by 18-char id (15-char ids are accepted)."""
        sobject = self._type_of.get(record_id)
        if sobject is None and len(record_id) == 15:
            record_id = next((k for k in self._type_of if k[:15] == record_id), record_id)
            sobject = self._type_of.get(record_id)
        if sobject is None:
            return None
        return self._tables[sobject].get(record_id)

    def index_lookup(self, sobject: str, field: str, value_lower: str) -> list[dict[str, Any]] | None:
        """Records whose `field` equals `value_lower` ignoring case; None when the field is not indexed."""
        obj = self.schema.get(sobject)
        if obj is None:
            return None
        fdef = obj.field(field)
        if fdef is None:
            return None
        if fdef.name == "Id":
            record = self.get(value_lower) if len(value_lower) in (15, 18) else None
            if record is None:
                # Ids are case-sensitive; the lower-cased key can only be matched by scanning the id map.
                record = self._get_by_lower_id(value_lower)
            return [record] if record is not None and self._type_of[record["Id"]] == obj.name else []
        index = self._indexes.get((obj.name, fdef.name))
        if index is None:
            return None
        table = self._tables[obj.name]
        return [table[i] for i in index.get(value_lower, ()) if i in table]

    def _get_by_lower_id(self, value_lower: str) -> dict[str, Any] | None:
        for rid, sobject in self._type_of.items():
            if rid.lower() == value_lower or rid[:15].lower() == value_lower:
                return self._tables[sobject].get(rid)
        return None

    # --- reads --------------------------------------------------------------------------------
    def type_of(self, record_id: str) -> str | None:
        return self._type_of.get(record_id)

    def count(self, sobject: str) -> int:
        obj = self.schema.get(sobject)
        return len(self._tables[obj.name]) if obj else 0

    def deleted(self, record_id: str) -> bool:
        return any(record_id in table for table in self._deleted.values())

    # --- writes (each recorded in the undo log) -----------------------------------------------
    def insert(self, sobject: str, record: dict[str, Any]) -> None:
        self._tables[sobject][record["Id"]] = record
        self._type_of[record["Id"]] = sobject
        self._index_add(sobject, record)
        self._undo.append(("insert", (sobject, record["Id"])))

    def update(self, record_id: str, changes: dict[str, Any]) -> None:
        sobject = self._type_of[record_id]
        record = self._tables[sobject][record_id]
        before = {k: record.get(k) for k in changes}
        self._index_remove(sobject, record)
        record.update(changes)
        self._index_add(sobject, record)
        self._undo.append(("update", (record_id, before)))

    def delete(self, record_id: str) -> None:
        sobject = self._type_of[record_id]
        record = self._tables[sobject].pop(record_id)
        self._index_remove(sobject, record)
        del self._type_of[record_id]
        deleted = dict(record)
        deleted["IsDeleted"] = True
        self._deleted[sobject][record_id] = deleted
        self._undo.append(("delete", (sobject, record)))

    def savepoint(self) -> int:
        return len(self._undo)

    def rollback(self, savepoint: int) -> None:
        """Undo every write since `savepoint`, newest first."""
        while len(self._undo) > savepoint:
            op, args = self._undo.pop()
            if op == "insert":
                sobject, record_id = args
                record = self._tables[sobject].pop(record_id)
                self._index_remove(sobject, record)
                del self._type_of[record_id]
            elif op == "update":
                record_id, before = args
                sobject = self._type_of[record_id]
                record = self._tables[sobject][record_id]
                self._index_remove(sobject, record)
                record.update(before)
                self._index_add(sobject, record)
            else:
                sobject, record = args
                self._deleted[sobject].pop(record["Id"], None)
                self._tables[sobject][record["Id"]] = record
                self._type_of[record["Id"]] = sobject
                self._index_add(sobject, record)

    def commit(self) -> None:
        """Forget the undo log (the end of a top-level request)."""
        self._undo.clear()

    # --- indexes --------------------------------------------------------------------------------
    def _index_add(self, sobject: str, record: dict[str, Any]) -> None:
        for f in self._indexed[sobject]:
            value = record.get(f)
            if value is not None and value != "":
                self._indexes[(sobject, f)].setdefault(str(value).lower(), set()).add(record["Id"])

    def _index_remove(self, sobject: str, record: dict[str, Any]) -> None:
        for f in self._indexed[sobject]:
            value = record.get(f)
            if value is not None and value != "":
                ids = self._indexes[(sobject, f)].get(str(value).lower())
                if ids is not None:
                    ids.discard(record["Id"])
                    if not ids:
                        del self._indexes[(sobject, f)][str(value).lower()]
