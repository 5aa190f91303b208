"""One meeting's writes: ONE atomic composite (allOrNone), refused records dropped and the rest resent.

Records are single subrequests while they fit in 25; beyond that, same-type records travel in
sObject Collections (200 each, at most 5 per composite), so 60 action items are still one request.
A record others reference (`Ref`) stays a single subrequest so `@{ref.id}` can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog

from service.domain.messages import RecordError, WrittenRecords
from service.domain.plan import SYNC_KEY_FIELD, FieldValue, RecordWrite, Ref, WriteAction, WritePlan
from service.errors import RecordRejected, SyncError, TransientError
from service.salesforce.composite import (
    MAX_HEAVY_SUBREQUESTS,
    MAX_SUBREQUESTS,
    SubRequest,
    SubResponse,
    composite_items,
    send_composite,
)
from service.salesforce.failures import (
    GONE_CODES,
    ROLLBACK_CODES,
    TRANSIENT_CODES,
    SfError,
    errors_in,
    org_level_error,
    redact,
)
from service.salesforce.tokens import OrgSession
from service.salesforce.transport import CallCounter, SfResponse, Transport

log = structlog.get_logger(__name__)

MAX_ROUNDS = 5
# RFC 3986 path characters stay literal (sync keys are `meeting:item`); everything else is escaped.
_PATH_SAFE = ":@!$&'()*+,;=-._~"
COLLECTION_SIZE = 200


@dataclass(frozen=True)
class Unit:
    """One subrequest: a single record, or a collection of same-type, same-action records."""

    writes: tuple[RecordWrite, ...]
    collection: bool

    @property
    def reference_id(self) -> str:
        return self.writes[0].ref if not self.collection else f"coll_{self.writes[0].ref}"


@dataclass
class WriteState:
    ids: dict[str, str] = field(default_factory=dict)  # ref -> Salesforce Id
    errors: list[RecordError] = field(default_factory=list)
    done: set[str] = field(default_factory=set)  # refs written


def _refs_of(write: RecordWrite) -> set[str]:
    return {v.ref for v in write.fields.values() if isinstance(v, Ref)}


def _units(pending: list[RecordWrite], *, group_referenced: bool) -> list[Unit]:
    if len(pending) <= MAX_SUBREQUESTS:
        return [Unit((w,), False) for w in pending]
    referenced = set().union(*(_refs_of(w) for w in pending))
    groups: dict[tuple[str, WriteAction], list[RecordWrite]] = {}
    for write in pending:
        if group_referenced or write.ref not in referenced:
            groups.setdefault((write.sobject, write.action), []).append(write)
    units: list[Unit] = []
    emitted: set[tuple[str, WriteAction]] = set()
    for write in pending:
        key = (write.sobject, write.action)
        if key not in groups:
            units.append(Unit((write,), False))
        elif key not in emitted:
            emitted.add(key)
            members = groups[key]
            if len(members) == 1:
                units.append(Unit((members[0],), False))
            else:
                units += [
                    Unit(tuple(members[i : i + COLLECTION_SIZE]), True) for i in range(0, len(members), COLLECTION_SIZE)
                ]
    return units


def _pack_units(units: list[Unit]) -> list[list[Unit]]:
    """Greedy packing under the 25/5 caps; a record that needs an Id from a collection waits for the next one."""
    batches: list[list[Unit]] = [[]]
    in_collections: set[str] = set()
    for unit in units:
        batch = batches[-1]
        needs = set().union(*(_refs_of(w) for w in unit.writes))
        heavy = sum(u.collection for u in batch) + unit.collection
        if batch and (len(batch) + 1 > MAX_SUBREQUESTS or heavy > MAX_HEAVY_SUBREQUESTS or needs & in_collections):
            batches.append([])
            in_collections = set()
        batches[-1].append(unit)
        if unit.collection:
            in_collections |= {w.ref for w in unit.writes}
    return [b for b in batches if b]


def plan_batches(pending: list[RecordWrite]) -> list[list[Unit]]:
    """The fewest composites for these writes (one, unless hundreds of referenced records)."""
    first = _pack_units(_units(pending, group_referenced=False))
    if len(first) == 1:
        return first
    second = _pack_units(_units(pending, group_referenced=True))
    return second if len(second) < len(first) else first


class Writer:
    def __init__(self, transport: Transport, api_version: str) -> None:
        self._transport = transport
        self._version = api_version

    # ------------------------------------------------------------------ rendering

    def _value(self, value: FieldValue, batch_singles: set[str], state: WriteState) -> Any:
        if not isinstance(value, Ref):
            return value
        if value.ref in state.ids:
            return state.ids[value.ref]
        if value.ref in batch_singles:
            return f"@{{{value.ref}.id}}"
        raise SyncError("a write refers to a record that was not written", detail=value.ref)

    def _body(
        self, write: RecordWrite, batch_singles: set[str], state: WriteState, *, drop_key: bool
    ) -> dict[str, Any]:
        return {
            name: self._value(value, batch_singles, state)
            for name, value in write.fields.items()
            if not (drop_key and name == SYNC_KEY_FIELD)
        }

    def _render(self, unit: Unit, batch_singles: set[str], state: WriteState) -> SubRequest:
        base = f"/services/data/{self._version}"
        if not unit.collection:
            write = unit.writes[0]
            if write.action is WriteAction.CREATE:
                return SubRequest(
                    write.ref,
                    "POST",
                    f"{base}/sobjects/{write.sobject}",
                    self._body(write, batch_singles, state, drop_key=False),
                    sobject=write.sobject,
                )
            if write.action is WriteAction.UPDATE:
                if not write.record_id:
                    raise SyncError("an update without a record Id", detail=write.label)
                return SubRequest(
                    write.ref,
                    "PATCH",
                    f"{base}/sobjects/{write.sobject}/{quote(write.record_id, safe='')}",
                    self._body(write, batch_singles, state, drop_key=False),
                    sobject=write.sobject,
                )
            if not write.sync_key:
                raise SyncError("an upsert without a sync key", detail=write.label)
            return SubRequest(
                write.ref,
                "PATCH",
                f"{base}/sobjects/{write.sobject}/{SYNC_KEY_FIELD}/{quote(write.sync_key, safe=_PATH_SAFE)}",
                self._body(write, batch_singles, state, drop_key=True),
                sobject=write.sobject,
            )
        first = unit.writes[0]
        records = []
        for write in unit.writes:
            record: dict[str, Any] = {"attributes": {"type": write.sobject}}
            record |= self._body(write, batch_singles, state, drop_key=False)
            if write.action is WriteAction.UPDATE:
                record["Id"] = write.record_id
            elif write.action is WriteAction.UPSERT:
                record[SYNC_KEY_FIELD] = write.sync_key
            records.append(record)
        body = {"allOrNone": True, "records": records}
        if first.action is WriteAction.CREATE:
            return SubRequest(
                unit.reference_id, "POST", f"{base}/composite/sobjects", body, heavy=True, sobject=first.sobject
            )
        if first.action is WriteAction.UPDATE:
            return SubRequest(
                unit.reference_id, "PATCH", f"{base}/composite/sobjects", body, heavy=True, sobject=first.sobject
            )
        return SubRequest(
            unit.reference_id,
            "PATCH",
            f"{base}/composite/sobjects/{first.sobject}/{SYNC_KEY_FIELD}",
            body,
            heavy=True,
            sobject=first.sobject,
        )

    # ------------------------------------------------------------------ the rounds

    async def write(
        self, session: OrgSession, plan: WritePlan, counter: CallCounter
    ) -> tuple[WrittenRecords, tuple[str, ...]]:
        state = WriteState()
        pending = list(plan.writes)
        rounds = 0
        while pending:
            rounds += 1
            if rounds > MAX_ROUNDS:
                raise RecordRejected(
                    "Salesforce kept refusing the meeting's records",
                    detail=f"{len(pending)} records after {MAX_ROUNDS} rounds",
                )
            refused = await self._round(session, pending, state, counter)
            dropped = _with_dependents(refused, pending)
            for write in pending:
                if write.ref in dropped and write.ref not in refused:
                    state.errors.append(
                        RecordError(
                            record=write.label,
                            error_code="DEPENDENCY_REFUSED",
                            message="not written because a record it depends on was refused",
                        )
                    )
            pending = [w for w in pending if w.ref not in state.done and w.ref not in dropped]
        return self._written(plan, state)

    async def _round(
        self, session: OrgSession, pending: list[RecordWrite], state: WriteState, counter: CallCounter
    ) -> set[str]:
        """Send the pending writes; the refs Salesforce refused (empty when all were written)."""
        for batch in plan_batches(pending):
            singles = {u.writes[0].ref for u in batch if not u.collection}
            subrequests = [self._render(u, singles, state) for u in batch]
            responses = await send_composite(
                self._transport,
                session,
                self._version,
                subrequests,
                all_or_none=True,
                counter=counter,
                inspect=_retry_on_transient,
            )
            refused: dict[str, SfError] = {}
            for unit, sub in zip(batch, subrequests, strict=True):
                response = responses.get(sub.reference_id)
                if response is None:
                    raise SyncError("Salesforce skipped a write subrequest", detail=sub.reference_id)
                refused |= _refusals(unit, response)
            if refused:
                for ref, error in refused.items():
                    write = next(w for w in pending if w.ref == ref)
                    raised = org_level_error([error], status=400, sobject=write.sobject)
                    if raised is not None:
                        raise raised
                    state.errors.append(
                        RecordError(
                            record=write.label,
                            error_code=error.code,
                            message=redact(error.message)[:1000],
                            fields=list(error.fields),
                        )
                    )
                    log.info(
                        "salesforce.record_refused", record=write.label, code=error.code, gone=error.code in GONE_CODES
                    )
                return set(refused)
            if any(_failed(r) for r in responses.values()):
                raise TransientError("Salesforce rolled the write back without naming a record", detail="no culprit")
            for unit in batch:
                _collect_ids(unit, responses[unit.reference_id], state)
        return set()

    @staticmethod
    def _written(plan: WritePlan, state: WriteState) -> tuple[WrittenRecords, tuple[str, ...]]:
        event_id = note_id = None
        task_ids: dict[str, str] = {}
        created: list[str] = []
        attendees: dict[str, None] = dict.fromkeys(plan.attendee_ids)
        for write in plan.writes:
            record_id = state.ids.get(write.ref)
            if write.ref not in state.done:
                continue
            if write.sobject == "Event" and record_id:
                event_id = record_id
            elif write.sobject == "Note" and record_id:
                note_id = record_id
            elif write.sobject == "Task" and record_id and write.action_item_id:
                task_ids[write.action_item_id] = record_id
            elif write.sobject == "Contact" and write.action is WriteAction.CREATE and record_id:
                created.append(record_id)
            elif write.sobject == "EventRelation":
                relation = write.fields.get("RelationId")
                relation_id = state.ids.get(relation.ref) if isinstance(relation, Ref) else relation
                if isinstance(relation_id, str):
                    attendees.setdefault(relation_id, None)
        records = WrittenRecords(
            event_id=event_id,
            note_id=note_id,
            task_ids=task_ids,
            created_contact_ids=created,
            owner_ids=dict(plan.owner_ids),
            removed_action_item_ids=list(plan.removed_action_item_ids),
            errors=state.errors,
        )
        return records, tuple(attendees)


def _with_dependents(refused: Iterable[str], pending: list[RecordWrite]) -> set[str]:
    dropped = set(refused)
    changed = True
    while changed:
        changed = False
        for write in pending:
            if write.ref not in dropped and _refs_of(write) & dropped:
                dropped.add(write.ref)
                changed = True
    return dropped


def _culprit(errors: list[SfError]) -> SfError | None:
    return next((e for e in errors if e.code not in ROLLBACK_CODES), None)


def _refusals(unit: Unit, response: SubResponse) -> dict[str, SfError]:
    if not unit.collection:
        if response.status < 300:
            return {}
        error = _culprit(errors_in(response.body))
        return {unit.writes[0].ref: error} if error else {}
    if response.status >= 300:
        error = _culprit(errors_in(response.body))
        return dict.fromkeys((w.ref for w in unit.writes), error) if error else {}
    refused: dict[str, SfError] = {}
    items = response.body if isinstance(response.body, list) else []
    for write, item in zip(unit.writes, items, strict=False):
        if isinstance(item, dict) and not item.get("success", False):
            error = _culprit(errors_in(item))
            if error is not None:
                refused[write.ref] = error
    return refused


def _failed(response: SubResponse) -> bool:
    if response.status >= 300:
        return True
    items = response.body if isinstance(response.body, list) else []
    return any(isinstance(i, dict) and i.get("success") is False for i in items)


def _collect_ids(unit: Unit, response: SubResponse, state: WriteState) -> None:
    if not unit.collection:
        write = unit.writes[0]
        body = response.body if isinstance(response.body, dict) else {}
        record_id = body.get("id") or write.record_id
        if isinstance(record_id, str):
            state.ids[write.ref] = record_id
        state.done.add(write.ref)
        return
    items = response.body if isinstance(response.body, list) else []
    for write, item in zip(unit.writes, items, strict=False):
        record_id = (item.get("id") if isinstance(item, dict) else None) or write.record_id
        if isinstance(record_id, str):
            state.ids[write.ref] = record_id
        state.done.add(write.ref)


def _retry_on_transient(response: SfResponse) -> None:
    """A lock conflict rolled the whole composite back: resending it is safe, so retry in-process."""
    for item in composite_items(response.body):
        body = item.get("body")
        nested = (
            [e for b in body if isinstance(b, dict) for e in (b.get("errors") or [])] if isinstance(body, list) else []
        )
        for error in errors_in(body) + errors_in(nested) if body else []:
            if error.code in TRANSIENT_CODES:
                raise TransientError("a Salesforce record was locked; retrying the write", detail=error.code)
