"""How a plan becomes composite subrequests: within Salesforce's caps, references kept intact."""

from __future__ import annotations

from service.domain.plan import RecordWrite, Ref, WriteAction
from service.salesforce.composite import MAX_HEAVY_SUBREQUESTS, MAX_SUBREQUESTS
from service.salesforce.writes import _with_dependents, plan_batches


def plan(tasks: int, relations: int = 0, contacts: int = 0) -> list[RecordWrite]:
    writes = [
        RecordWrite(f"contact_{i}", "Contact", WriteAction.CREATE, {"LastName": "X"}, f"contact:{i}")
        for i in range(contacts)
    ]
    writes.append(RecordWrite("event", "Event", WriteAction.UPSERT, {"Subject": "S"}, "event", sync_key="m"))
    writes += [
        RecordWrite(
            f"rel_{i}",
            "EventRelation",
            WriteAction.CREATE,
            {"EventId": Ref("event"), "RelationId": Ref(f"contact_{i}") if i < contacts else f"005{i:015d}"},
            f"attendee:{i}",
        )
        for i in range(relations)
    ]
    writes += [
        RecordWrite(f"task_{i}", "Task", WriteAction.UPSERT, {"Subject": "T"}, f"task:{i}", sync_key=f"m:{i}")
        for i in range(tasks)
    ]
    return writes


def check_caps(batches: list) -> None:  # type: ignore[type-arg]
    for batch in batches:
        assert len(batch) <= MAX_SUBREQUESTS
        assert sum(u.collection for u in batch) <= MAX_HEAVY_SUBREQUESTS


def test_a_small_plan_is_single_subrequests_in_one_composite() -> None:
    batches = plan_batches(plan(tasks=5, relations=3))
    assert len(batches) == 1 and not any(u.collection for u in batches[0])


def test_sixty_action_items_and_two_hundred_attendees_are_one_composite() -> None:
    batches = plan_batches(plan(tasks=60, relations=200))
    check_caps(batches)
    assert len(batches) == 1
    event = next(u for u in batches[0] if u.writes[0].ref == "event")
    assert not event.collection  # referenced by every EventRelation: stays addressable as @{event.id}
    assert sum(len(u.writes) for u in batches[0]) == 261


def test_many_created_contacts_spill_only_when_they_must() -> None:
    batches = plan_batches(plan(tasks=10, relations=100, contacts=100))
    check_caps(batches)
    assert len(batches) == 2  # relations need the contacts' Ids, which a collection only returns afterwards
    first_refs = {w.ref for u in batches[0] for w in u.writes}
    assert {f"contact_{i}" for i in range(100)} <= first_refs


def test_a_refused_record_takes_its_dependents_along() -> None:
    writes = plan(tasks=2, relations=2, contacts=1)
    assert _with_dependents({"contact_0"}, writes) == {"contact_0", "rel_0"}
    assert _with_dependents({"event"}, writes) == {"event", "rel_0", "rel_1"}
