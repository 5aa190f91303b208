"""One meeting's writes: ONE atomic composite (allOrNone); after a refusal, the rest once without it.

Salesforce stops an `allOrNone` composite at the first record it refuses, so it names one culprit
per request. After a refusal the remaining records therefore go once more with `allOrNone: false`:
that answer names every success and every failure (records that reference a failed one are skipped),
so a meeting with six refused Tasks costs two write requests, not seven.

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
from service.errors import SyncError, TransientError
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
from service.salesforce.transport import CallCounter, NotApplied, SfResponse, Transport

log = structlog.get_logger(__name__)

MAX_ROUNDS = 5  # the first request, the resend without allOrNone, then resends of records left locked
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


@dataclass
class RoundOutcome:
    """What a round left unwritten (its other records are in the WriteState)."""

    refused: dict[str, SfError] = field(default_factory=dict)  # ref -> why Salesforce refused it
    locked: dict[str, SfError] = field(default_factory=dict)  # ref -> a transient failure; not applied


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

    def _render(self, unit: Unit, batch_singles: set[str], state: WriteState, *, all_or_none: bool) -> SubRequest:
        base = f"/services/data/{self._version}"
        if not unit.collection:
            write = unit.writes[0]
            method, path = _single_target(write)
            return SubRequest(
                write.ref,
                method,
                f"{base}/sobjects/{write.sobject}{path}",
                # An upsert carries its key in the URL; Salesforce refuses it in the body too.
                self._body(write, batch_singles, state, drop_key=write.action is WriteAction.UPSERT),
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
        body = {"allOrNone": all_or_none, "records": records}
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
        """Write the plan; refused records (and those that need them) come back as errors, never raised."""
        state = WriteState()
        pending = list(plan.writes)
        all_or_none = True
        rounds = 0
        while pending:
            rounds += 1
            outcome = await self._round(session, pending, state, counter, all_or_none=all_or_none)
            self._report_refused(outcome.refused, pending, state)
            dropped = _with_dependents(outcome.refused, pending)
            for write in pending:
                if write.ref in dropped and write.ref not in outcome.refused:
                    state.errors.append(
                        RecordError(
                            record=write.label,
                            error_code="DEPENDENCY_REFUSED",
                            message="not written because a record it depends on was refused",
                        )
                    )
            pending = [w for w in pending if w.ref not in state.done and w.ref not in dropped]
            if pending and not all_or_none:
                # Only records Salesforce did not apply (a lock) and those that need them are left.
                if rounds >= MAX_ROUNDS:
                    self._report_locked(outcome.locked, pending, state)
                    break
                await self._transport.pause(rounds - 2)
            all_or_none = False
        return self._written(plan, state)

    async def _round(
        self,
        session: OrgSession,
        pending: list[RecordWrite],
        state: WriteState,
        counter: CallCounter,
        *,
        all_or_none: bool,
    ) -> RoundOutcome:
        """Send the pending writes, batch by batch.

        allOrNone: stops at the first batch Salesforce refused (nothing of it was applied) and names
        the culprits. Without it: every batch is sent; each record is written, refused, left locked,
        or skipped because it needs one of those (for the caller to sort out).
        """
        outcome = RoundOutcome()
        unwritten: set[str] = set()  # refs of this round that were not applied
        for planned in plan_batches(pending):
            batch = planned
            if unwritten:  # records that need one of those wait: a reference to them cannot resolve
                waiting = _with_dependents(unwritten, pending)
                batch = [Unit(kept, u.collection) for u in planned if (kept := _without(u.writes, waiting))]
                if not batch:
                    continue
            singles = {u.writes[0].ref for u in batch if not u.collection}
            subrequests = [self._render(u, singles, state, all_or_none=all_or_none) for u in batch]
            responses = await send_composite(
                self._transport,
                session,
                self._version,
                subrequests,
                all_or_none=all_or_none,
                counter=counter,
                inspect=_resend_after_rollback if all_or_none else None,
                idempotent=False,
            )
            failures: dict[str, SfError] = {}
            written: dict[str, str | None] = {}
            for unit, sub in zip(batch, subrequests, strict=True):
                response = responses.get(sub.reference_id)
                if response is None:
                    raise SyncError("Salesforce skipped a write subrequest", detail=sub.reference_id)
                for write, (record_id, error) in zip(unit.writes, _results(unit, response), strict=True):
                    if error is None:
                        written[write.ref] = record_id or write.record_id
                    else:
                        failures[write.ref] = error
            if all_or_none:
                culprits = {ref: e for ref, e in failures.items() if e.code not in ROLLBACK_CODES}
                if failures and not culprits:
                    raise TransientError("Salesforce rolled the write back without naming a record", detail="none")
                if culprits:
                    _raise_org_level(culprits, pending)
                    outcome.refused = culprits
                    return outcome
            _record_written(written, state)
            refused: dict[str, SfError] = {}
            for ref, error in failures.items():
                if error.code in TRANSIENT_CODES:
                    outcome.locked[ref] = error
                elif error.code not in ROLLBACK_CODES:
                    refused[ref] = error
            if not state.done:  # nothing written yet, so no Id is lost by failing the whole meeting
                _raise_org_level(refused, pending)
            outcome.refused |= refused
            failed = set(outcome.refused) | set(outcome.locked)
            needs_failed = _with_dependents(failed, pending)
            for ref, error in failures.items():
                if ref not in failed and ref not in needs_failed:
                    outcome.refused[ref] = error  # halted for no reason we can see: report it as is
            unwritten |= set(failures)
        return outcome

    @staticmethod
    def _report_refused(refused: dict[str, SfError], pending: list[RecordWrite], state: WriteState) -> None:
        for write in pending:
            error = refused.get(write.ref)
            if error is None:
                continue
            state.errors.append(
                RecordError(
                    record=write.label,
                    error_code=error.code,
                    message=redact(error.message)[:1000],
                    fields=list(error.fields),
                )
            )
            log.info("salesforce.record_refused", record=write.label, code=error.code, gone=error.code in GONE_CODES)

    @staticmethod
    def _report_locked(locked: dict[str, SfError], pending: list[RecordWrite], state: WriteState) -> None:
        for write in pending:
            error = locked.get(write.ref)
            state.errors.append(
                RecordError(
                    record=write.label,
                    error_code=error.code if error else "DEPENDENCY_NOT_WRITTEN",
                    message=(
                        f"not written: Salesforce kept the record locked ({MAX_ROUNDS} attempts)"
                        if error
                        else "not written because a record it depends on stayed locked"
                    ),
                )
            )
            log.warning("salesforce.record_locked", record=write.label, code=error.code if error else None)

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


def _raise_org_level(refused: dict[str, SfError], pending: list[RecordWrite]) -> None:
    """A missing permission or API access fails the meeting (with what to change), not one record."""
    for ref, error in refused.items():
        sobject = next(w.sobject for w in pending if w.ref == ref)
        raised = org_level_error([error], status=400, sobject=sobject)
        if raised is not None:
            raise raised


def _without(writes: tuple[RecordWrite, ...], refs: set[str]) -> tuple[RecordWrite, ...]:
    return tuple(w for w in writes if w.ref not in refs)


def _culprit(errors: list[SfError]) -> SfError | None:
    return next((e for e in errors if e.code not in ROLLBACK_CODES), None)


def _error(errors: list[SfError]) -> SfError:
    """The record's own error when it names one; else why it was halted."""
    return _culprit(errors) or (errors[0] if errors else SfError("UNKNOWN_ERROR", ""))


def _results(unit: Unit, response: SubResponse) -> list[tuple[str | None, SfError | None]]:
    """Per write of the unit: (its Id if Salesforce returned one, None) or (None, its error)."""
    items = response.body if isinstance(response.body, list) else []
    per_record = unit.collection and any(isinstance(i, dict) and "success" in i for i in items)
    if response.status >= 300 and not per_record:  # a failed collection still answers record by record
        return [(None, _error(errors_in(response.body)))] * len(unit.writes)
    if not unit.collection:
        body = response.body if isinstance(response.body, dict) else {}
        record_id = body.get("id")
        return [(record_id if isinstance(record_id, str) else None, None)]
    results: list[tuple[str | None, SfError | None]] = []
    for index in range(len(unit.writes)):
        item = items[index] if index < len(items) else None
        if isinstance(item, dict) and item.get("success") is False:
            results.append((None, _error(errors_in(item))))
        else:
            record_id = item.get("id") if isinstance(item, dict) else None
            results.append((record_id if isinstance(record_id, str) else None, None))
    return results


def _record_written(written: dict[str, str | None], state: WriteState) -> None:
    for ref, record_id in written.items():
        if record_id is not None:
            state.ids[ref] = record_id
        state.done.add(ref)


def _resend_after_rollback(response: SfResponse) -> None:
    """A lock conflict rolled the whole allOrNone composite back: resending it is safe, so retry in-process."""
    for item in composite_items(response.body):
        body = item.get("body")
        nested = (
            [e for b in body if isinstance(b, dict) for e in (b.get("errors") or [])] if isinstance(body, list) else []
        )
        for error in errors_in(body) + errors_in(nested) if body else []:
            if error.code in TRANSIENT_CODES:
                raise NotApplied("a Salesforce record was locked; the write was rolled back", detail=error.code)


def _single_target(write: RecordWrite) -> tuple[str, str]:
    """HTTP method and the path after `/sobjects/{Type}` for one record's write."""
    if write.action is WriteAction.CREATE:
        return "POST", ""
    if write.action is WriteAction.UPDATE:
        if not write.record_id:
            raise SyncError("an update without a record Id", detail=write.label)
        return "PATCH", f"/{quote(write.record_id, safe='')}"
    if not write.sync_key:
        raise SyncError("an upsert without a sync key", detail=write.label)
    return "PATCH", f"/{SYNC_KEY_FIELD}/{quote(write.sync_key, safe=_PATH_SAFE)}"
