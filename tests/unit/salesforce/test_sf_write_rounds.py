"""The write rounds against a scripted Salesforce: what is resent, what is reported, what is kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from service.config import Settings
from service.domain.plan import RecordWrite, Ref, WriteAction, WritePlan
from service.errors import TransientError
from service.salesforce.limits import UsageBook
from service.salesforce.tokens import OrgSession
from service.salesforce.transport import CallCounter, NotApplied, SfResponse, Transport
from service.salesforce.writes import MAX_ROUNDS, Writer

Answer = Callable[[dict[str, Any]], list[dict[str, Any]]]


def session() -> OrgSession:
    url = "https://a.my.salesforce.com"
    return OrgSession("o", datetime(2026, 6, 1, tzinfo=UTC), "", url, url, "rt", "at")


def ok(ref: str, n: int = 1) -> dict[str, Any]:
    return {"referenceId": ref, "httpStatusCode": 201, "body": {"id": f"00X{n:015d}", "success": True, "errors": []}}


def failed(ref: str, code: str, message: str = "no") -> dict[str, Any]:
    return {"referenceId": ref, "httpStatusCode": 400, "body": [{"errorCode": code, "message": message}]}


class ScriptedSalesforce:
    """Answers each composite with the next scripted function of its payload."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.payloads: list[dict[str, Any]] = []
        self.pauses = 0

    async def request(self, _session: OrgSession, _method: str, _path: str, **kwargs: Any) -> SfResponse:
        kwargs["counter"].calls += 1
        self.payloads.append(kwargs["json"])
        return SfResponse(200, {"compositeResponse": self.answers.pop(0)(kwargs["json"])})

    async def pause(self, _attempt: int) -> None:
        self.pauses += 1


def refs(payload: dict[str, Any]) -> list[str]:
    return [s["referenceId"] for s in payload["compositeRequest"]]


def meeting(tasks: int, relations: int = 0) -> WritePlan:
    writes = [RecordWrite("event", "Event", WriteAction.CREATE, {"Subject": "S"}, "event")]
    writes += [
        RecordWrite(f"rel_{i}", "EventRelation", WriteAction.CREATE, {"EventId": Ref("event")}, f"attendee:{i}")
        for i in range(relations)
    ]
    writes += [
        RecordWrite(f"task_{i}", "Task", WriteAction.CREATE, {"Subject": "T"}, f"task:ai-{i}", action_item_id=f"ai-{i}")
        for i in range(tasks)
    ]
    return WritePlan(writes=tuple(writes))


async def write(fake: ScriptedSalesforce, plan: WritePlan) -> tuple[Any, CallCounter]:
    counter = CallCounter()
    records, _ = await Writer(fake, "v60.0").write(session(), plan, counter)  # type: ignore[arg-type]
    return records, counter


async def test_a_refused_record_and_its_skipped_dependents_cost_one_resend() -> None:
    def first(payload: dict[str, Any]) -> list[dict[str, Any]]:  # allOrNone: stops at task_0
        return [failed("task_0", "FIELD_CUSTOM_VALIDATION_EXCEPTION")] + [
            failed(r, "PROCESSING_HALTED") for r in refs(payload) if r != "task_0"
        ]

    def second(payload: dict[str, Any]) -> list[dict[str, Any]]:  # the Event is refused now too
        assert payload["allOrNone"] is False and "task_0" not in refs(payload)
        answers = []
        for n, ref in enumerate(refs(payload)):
            if ref == "event":
                answers.append(failed(ref, "STRING_TOO_LONG"))
            elif ref.startswith("rel_"):
                answers.append(failed(ref, "PROCESSING_HALTED", "Invalid reference specified."))
            else:
                answers.append(ok(ref, n))
        return answers

    fake = ScriptedSalesforce(first, second)
    records, counter = await write(fake, meeting(tasks=3, relations=2))
    assert counter.calls == 2 and len(fake.payloads) == 2
    by_record = {e.record: e.error_code for e in records.errors}
    assert by_record == {
        "task:ai-0": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "event": "STRING_TOO_LONG",
        "attendee:0": "DEPENDENCY_REFUSED",
        "attendee:1": "DEPENDENCY_REFUSED",
    }
    assert set(records.task_ids) == {"ai-1", "ai-2"} and records.event_id is None


async def test_locked_records_are_resent_alone_and_reported_when_they_stay_locked() -> None:
    def first(payload: dict[str, Any]) -> list[dict[str, Any]]:
        return [failed("task_0", "REQUIRED_FIELD_MISSING")] + [
            failed(r, "PROCESSING_HALTED") for r in refs(payload) if r != "task_0"
        ]

    def locked(payload: dict[str, Any]) -> list[dict[str, Any]]:
        return [failed(r, "UNABLE_TO_LOCK_ROW") if r == "task_1" else ok(r, n) for n, r in enumerate(refs(payload))]

    fake = ScriptedSalesforce(first, *([locked] * (MAX_ROUNDS - 1)))
    records, counter = await write(fake, meeting(tasks=3))
    assert [refs(p) for p in fake.payloads[2:]] == [["task_1"]] * (MAX_ROUNDS - 2)  # only the locked one again
    assert counter.calls == MAX_ROUNDS and fake.pauses == MAX_ROUNDS - 2
    assert {e.record: e.error_code for e in records.errors} == {
        "task:ai-0": "REQUIRED_FIELD_MISSING",
        "task:ai-1": "UNABLE_TO_LOCK_ROW",
    }
    assert set(records.task_ids) == {"ai-2"} and records.event_id


async def test_ids_of_a_committed_batch_are_kept_when_a_later_one_is_refused() -> None:
    contacts = [
        RecordWrite(f"c_{i}", "Contact", WriteAction.CREATE, {"LastName": "X"}, f"contact:{i}") for i in range(100)
    ]
    relations = [
        RecordWrite(
            f"rel_{i}",
            "EventRelation",
            WriteAction.CREATE,
            {"EventId": Ref("event"), "RelationId": Ref(f"c_{i}")},
            f"attendee:{i}",
        )
        for i in range(100)
    ]
    event = RecordWrite("event", "Event", WriteAction.CREATE, {"Subject": "S"}, "event")
    plan = WritePlan(writes=(*contacts, event, *relations))

    def all_ok(payload: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for sub in payload["compositeRequest"]:
            records = (sub.get("body") or {}).get("records")
            if records is not None:
                body = [{"id": f"003{i:015d}", "success": True, "errors": []} for i in range(len(records))]
                out.append({"referenceId": sub["referenceId"], "httpStatusCode": 200, "body": body})
            else:
                out.append(ok(sub["referenceId"]))
        return out

    def one_relation_refused(payload: dict[str, Any]) -> list[dict[str, Any]]:
        (sub,) = payload["compositeRequest"]  # the second batch: the relations' collection
        rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "rolled back"}
        body = [
            {"id": None, "success": False, "errors": [{"statusCode": "FIELD_INTEGRITY_EXCEPTION", "message": "no"}]}
            if i == 5
            else {"id": None, "success": False, "errors": [rolled]}
            for i in range(len(sub["body"]["records"]))
        ]
        return [{"referenceId": sub["referenceId"], "httpStatusCode": 400, "body": body}]

    fake = ScriptedSalesforce(all_ok, one_relation_refused, all_ok)
    records, counter = await write(fake, plan)
    assert counter.calls == 3  # batch one, batch two (refused), batch two's rest without allOrNone
    assert fake.payloads[2]["allOrNone"] is False
    assert len(fake.payloads[2]["compositeRequest"][0]["body"]["records"]) == 99
    assert len(records.created_contact_ids) == 100  # batch one's Ids survive batch two's refusal
    assert records.event_id is not None
    assert [(e.record, e.error_code) for e in records.errors] == [("attendee:5", "FIELD_INTEGRITY_EXCEPTION")]


class FlakyNetwork(Transport):
    """A transport whose connection fails in a scripted way before answering."""

    def __init__(self, failures: list[type[Exception]]) -> None:
        super().__init__(Settings(client_retries=3, client_retry_budget_s=10.0), UsageBook(), sleep=self._no_sleep)
        self.failures = failures
        self.sent = 0

    @staticmethod
    async def _no_sleep(_delay: float) -> None:
        return None

    async def _send(self, method: str, url: Any, **kwargs: Any) -> tuple[int, Any, str | None]:
        self.sent += 1
        if self.failures:
            raise self.failures.pop(0)("scripted", detail="scripted")
        return 200, {"ok": True}, "api-usage=1/100"


@pytest.mark.parametrize("idempotent", [True, False])
async def test_a_connection_never_made_is_retried_for_reads_and_writes(idempotent: bool) -> None:
    transport = FlakyNetwork([NotApplied, NotApplied])
    counter = CallCounter()
    await transport.request(session(), "POST", "/services/data/v60.0/composite", counter=counter, idempotent=idempotent)
    assert transport.sent == 3 and counter.calls == 1  # refused connections cost nothing


async def test_a_write_is_not_resent_after_a_failure_that_may_have_reached_salesforce() -> None:
    from service.salesforce.transport import _Unanswered

    write = FlakyNetwork([_Unanswered])
    counter = CallCounter()
    with pytest.raises(TransientError):
        await write.request(session(), "POST", "/services/data/v60.0/composite", counter=counter, idempotent=False)
    assert write.sent == 1 and counter.calls == 1  # Salesforce may have counted (and applied) it

    read = FlakyNetwork([_Unanswered])
    counter = CallCounter()
    await read.request(session(), "GET", "/services/data/v60.0/query?q=x", counter=counter)
    assert read.sent == 2 and counter.calls == 2  # a read is resent; both count
