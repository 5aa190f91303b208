"""Hand-built write plans shaped like the domain's, for the client's integration tests and the bench."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain.lookup import ActionItemRef, Anchor, ReadRequest
from service.domain.plan import SYNC_KEY_FIELD, FieldValue, RecordWrite, Ref, WriteAction, WritePlan
from service.domain.snapshot import PriorSync
from service.domain.sync_keys import event_sync_key, marker, note_sync_key, short_tag, task_sync_key

START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
CREATED_AFTER = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def subject(meeting_id: str) -> str:
    return f"Demo call {meeting_id}"


def item_ids(count: int) -> list[str]:
    return [f"ai-{i}" for i in range(count)]


def read_request(meeting_id: str, *, emails: tuple[str, ...] = (), items: int = 0, anchor: bool = False) -> ReadRequest:
    return ReadRequest(
        contact_emails=emails,
        account_domains=tuple(sorted({e.split("@")[1] for e in emails})),
        anchor=Anchor("Event", event_sync_key(meeting_id), subject(meeting_id), START, CREATED_AFTER)
        if anchor
        else None,
        meeting_id=meeting_id,
        action_items=tuple(ActionItemRef(i, f"Follow up {i}") for i in item_ids(items)),
    )


def meeting_plan(
    meeting_id: str,
    *,
    keyed: bool,
    parent_id: str,
    items: int,
    attendees: tuple[str, ...] = (),
    prior: PriorSync | None = None,
    forbidden: set[str] | None = None,
) -> WritePlan:
    prior = prior or PriorSync()
    writes: list[RecordWrite] = []

    def record(
        ref: str,
        sobject: str,
        key: str,
        record_id: str | None,
        fields: dict[str, FieldValue],
        label: str,
        item: str | None = None,
        keyable: bool = True,
    ) -> None:
        if keyed and keyable:
            writes.append(
                RecordWrite(ref, sobject, WriteAction.UPSERT, fields, label, sync_key=key, action_item_id=item)
            )
        elif record_id:
            writes.append(
                RecordWrite(ref, sobject, WriteAction.UPDATE, fields, label, record_id=record_id, action_item_id=item)
            )
        else:
            writes.append(RecordWrite(ref, sobject, WriteAction.CREATE, fields, label, action_item_id=item))

    event_key = event_sync_key(meeting_id)
    record(
        "event",
        "Event",
        event_key,
        prior.event_id,
        {
            "Subject": subject(meeting_id),
            "StartDateTime": START.isoformat(),
            "EndDateTime": END.isoformat(),
            "WhatId": parent_id,
            "Description": f"Summary\n{marker(event_key)}",
        },
        "event",
    )
    event_ref: FieldValue = Ref("event")
    for n, relation in enumerate(a for a in attendees if a not in prior.attendee_ids):
        writes.append(
            RecordWrite(
                f"rel_{n}",
                "EventRelation",
                WriteAction.CREATE,
                {"EventId": event_ref, "RelationId": relation},
                f"attendee:{relation}",
            )
        )
    note_key = note_sync_key(meeting_id)
    record(
        "note",
        "Note",
        note_key,
        prior.note_id,
        {
            **({} if prior.note_id else {"ParentId": parent_id}),  # ParentId is create-only
            "Title": f"Meeting insights [{short_tag(note_key)}]",
            "Body": f"Competitors: none\n{marker(note_key)}",
        },
        "note",
        keyable=False,
    )
    for n, item in enumerate(item_ids(items)):
        key = task_sync_key(meeting_id, item)
        text = "FORBIDDEN thing" if forbidden and item in forbidden else f"Follow up {item}"
        record(
            f"task_{n}",
            "Task",
            key,
            prior.task_ids.get(item),
            {
                "Subject": text,
                "Status": "Not Started",
                "Priority": "Normal",
                "WhatId": parent_id,
                "Description": f"{text}\n{marker(key)}",
            },
            f"task:{item}",
            item=item,
        )
    return WritePlan(writes=tuple(writes), attendee_ids=tuple(sorted(prior.attendee_ids)))


__all__ = ["SYNC_KEY_FIELD", "meeting_plan", "read_request"]
