"""The real path, read_request → read → match_meeting → plan_writes → write, against the simulator.

A sync "without memory" is what a crash between the Salesforce write and the ledger flush leaves:
the event is redelivered and synced again with the ledger as it was before the write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import MakeOrg, SimOrg

from service.domain.ledger import LedgerEntry
from service.domain.matching import match_meeting
from service.domain.messages import ActionItem, Insights, Meddic, MeetingSummary, Owner, Person
from service.domain.plan import SYNC_KEY_FIELD, WriteAction
from service.domain.planning import (
    event_description,
    event_end,
    event_start,
    event_subject,
    plan_writes,
    salesforce_datetime,
    task_description,
    task_subject,
)
from service.domain.reads import read_request
from service.domain.sync_keys import event_sync_key, task_sync_key
from service.salesforce import SalesforceClient
from service.salesforce.client import ReadOutcome

to18 = pytest.importorskip("sfsim.ids").to18

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the simulator's clock (conftest)
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ACCOUNT = to18("001000000000001")  # the simulator answers with 18-character Ids
OPPORTUNITY = to18("006000000000001")
JANE = to18("003000000000001")
JOE = to18("003000000000002")
LEAD = to18("00Q000000000001")
INSIGHTS = Insights(competitors=["Globex"], objections=["Too expensive"], meddic=Meddic(champion=["Jane"]))


def techcorp(**extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """TechCorp (Website techcorp.com) with an open Opportunity; Jane has a role on it, Joe is a Contact."""
    return {
        "Account": [{"Id": ACCOUNT, "Name": "TechCorp", "Website": "https://www.techcorp.com"}],
        "Contact": [
            {"Id": JANE, "LastName": "Doe", "Email": "jane@techcorp.com", "AccountId": ACCOUNT},
            {"Id": JOE, "LastName": "Roe", "Email": "joe@techcorp.com", "AccountId": ACCOUNT},
        ],
        "Lead": [{"Id": LEAD, "LastName": "Lee", "Company": "Solo", "Email": "lee@solo.example"}],
        "Opportunity": [
            {
                "Id": OPPORTUNITY,
                "Name": "Renewal",
                "StageName": "Prospecting",
                "CloseDate": "2026-09-30",
                "AccountId": ACCOUNT,
                "CreatedDate": "2026-05-01T00:00:00.000+0000",
            }
        ],
        "OpportunityContactRole": [{"OpportunityId": OPPORTUNITY, "ContactId": JANE, "IsPrimary": True}],
    } | extra


def meeting(
    org: SimOrg,
    revision: int,
    *,
    emails: tuple[str, ...] = ("jane@techcorp.com", "joe@techcorp.com"),
    items: tuple[str, ...] = ("a", "b"),
    insights: Insights | None = None,
) -> MeetingSummary:
    return MeetingSummary(
        event_id=f"ev-{revision}",
        org_id=org.org_id,
        meeting_id="m-1",
        revision=revision,
        title="Quarterly review",
        started_at=START,
        ended_at=START + timedelta(minutes=45),
        owner=Owner(email="rep@ours.example", name="Rita Rep"),
        participants=[Person(email=e) for e in emails],
        action_items=[ActionItem(id=i, text=f"Follow up {i}") for i in items],
        insights=insights,
    )


async def sync(
    client: SalesforceClient, org: SimOrg, m: MeetingSummary, ledger: LedgerEntry | None
) -> tuple[LedgerEntry, ReadOutcome]:
    """One sync as the pipeline runs it; the ledger entry it would record afterwards."""
    read = await client.read(org.config, read_request(m, org.config, ledger))
    match = match_meeting(m, org.config, read.snapshot, NOW)
    plan = plan_writes(m, org.config, read.snapshot, match, ledger, NOW)
    written = await client.write(org.config, plan)
    assert written.records.errors == []
    entry = ledger or LedgerEntry(org_id=org.org_id, meeting_id=m.meeting_id)
    records = written.records
    entry = entry.model_copy(
        update={
            "revision": m.revision,
            "event_id": records.event_id or entry.event_id,
            "note_id": records.note_id or entry.note_id,
            "task_ids": {**entry.task_ids, **records.task_ids},
            "attendee_ids": sorted(set(entry.attendee_ids) | set(written.attendee_ids)),
        }
    )
    return entry, read


def counts(org: SimOrg) -> dict[str, int]:
    return {s: len(org.records(s)) for s in ("Event", "Note", "Task", "EventRelation")}


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "unkeyed"])
async def test_a_first_sync_redelivered_after_a_crash_writes_each_record_once(
    client: SalesforceClient, make_org: MakeOrg, keyed: bool
) -> None:
    org = make_org(keyed=keyed, records=techcorp())
    m = meeting(org, 1, insights=INSIGHTS)
    first, _ = await sync(client, org, m, None)
    again, read = await sync(client, org, m, None)  # the ledger never heard of the first write
    assert read.snapshot.prior is not None
    assert counts(org) == {"Event": 1, "Note": 1, "Task": 2, "EventRelation": 1}  # Joe; Jane is the WhoId
    assert (again.event_id, again.note_id, again.task_ids) == (first.event_id, first.note_id, first.task_ids)
    event = org.records("Event")[0]
    assert (event["WhoId"], event["WhatId"]) == (JANE, OPPORTUNITY)


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "unkeyed"])
@pytest.mark.parametrize("items", [("a", "b"), ("a", "b", "c")], ids=["note-only", "note-and-task"])
async def test_a_later_revision_that_adds_insights_writes_the_note_once_after_a_crash(
    client: SalesforceClient, make_org: MakeOrg, keyed: bool, items: tuple[str, ...]
) -> None:
    org = make_org(keyed=keyed, records=techcorp())
    ledger, _ = await sync(client, org, meeting(org, 1), None)
    assert counts(org) == {"Event": 1, "Note": 0, "Task": 2, "EventRelation": 1}
    later = meeting(org, 2, items=items, insights=INSIGHTS)
    written, _ = await sync(client, org, later, ledger)
    redelivered, read = await sync(client, org, later, ledger)  # the ledger lost revision 2's write
    assert read.snapshot.prior is not None and read.snapshot.prior.note_id == written.note_id
    assert counts(org) == {"Event": 1, "Note": 1, "Task": len(items), "EventRelation": 1}
    assert redelivered.task_ids == written.task_ids
    assert org.records("Note")[0]["ParentId"] == OPPORTUNITY


@pytest.mark.parametrize("ledger_knows", [True, False], ids=["ledger", "no-ledger"])
async def test_records_written_before_the_key_field_existed_are_not_duplicated(
    client: SalesforceClient, make_org: MakeOrg, ledger_knows: bool
) -> None:
    # Revision 1 was synced while the org had no IceCubes_Sync_Key__c; the admin installed it since.
    probe = make_org(keyed=False)  # only to build the meeting as revision 1 wrote it
    first = meeting(probe, 1)
    event_id, task_ids = to18("00U000000000001"), {"a": to18("00T000000000001"), "b": to18("00T000000000002")}
    old_records = {
        "Event": [
            {
                "Id": event_id,
                "Subject": event_subject(first.title),
                "StartDateTime": salesforce_datetime(event_start(first)),
                "EndDateTime": salesforce_datetime(event_end(first)),
                "Description": event_description(first, probe.config.settings),
                "WhoId": JANE,
                "WhatId": OPPORTUNITY,
                "CreatedDate": "2026-06-01T11:00:00.000+0000",
            }
        ],
        "Task": [
            {
                "Id": task_ids[item.id],
                "Subject": task_subject(item.text),
                "Description": task_description(first, item),
                "Status": "Not Started",
                "Priority": "Normal",
                "CreatedDate": "2026-06-01T11:00:00.000+0000",
            }
            for item in first.action_items
        ],
    }
    org = make_org(keyed=True, records=techcorp(**old_records))
    ledger = (
        LedgerEntry(org_id=org.org_id, meeting_id="m-1", revision=1, event_id=event_id, task_ids=task_ids)
        if ledger_knows
        else None  # dropped by retention, or lost in a crash: the anchor finds them by their marker
    )
    later = meeting(org, 2, items=("a", "b", "c"))
    read = await client.read(org.config, read_request(later, org.config, ledger))
    assert read.snapshot.has_sync_key_field
    match = match_meeting(later, org.config, read.snapshot, NOW)
    plan = plan_writes(later, org.config, read.snapshot, match, ledger, NOW)
    assert [(w.label, w.action) for w in plan.writes if w.sobject in {"Event", "Task"}] == [
        ("event", WriteAction.UPDATE),
        ("task:a", WriteAction.UPDATE),
        ("task:b", WriteAction.UPDATE),
        ("task:c", WriteAction.UPSERT),
    ]
    assert (await client.write(org.config, plan)).records.errors == []
    assert counts(org)["Event"] == 1 and counts(org)["Task"] == 3
    keys = {r["Id"]: r[SYNC_KEY_FIELD] for r in org.records("Task")}
    assert keys[task_ids["a"]] == task_sync_key("m-1", "a")  # from now on the upsert finds it
    assert org.records("Event")[0][SYNC_KEY_FIELD] == event_sync_key("m-1")

    await sync(client, org, meeting(org, 3, items=("a", "b", "c")), None)  # and a later upsert by key does
    assert counts(org)["Event"] == 1 and counts(org)["Task"] == 3


async def test_a_subdomain_participant_finds_the_parent_company_account(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org(keyed=False, records=techcorp())
    m = meeting(org, 1, emails=("john@eu.techcorp.com",), items=())
    read = await client.read(org.config, read_request(m, org.config, None))
    assert ACCOUNT in {a.id for a in read.snapshot.accounts}
    await sync(client, org, m, None)
    event = org.records("Event")[0]
    assert event["WhatId"] == OPPORTUNITY  # the domain path: TechCorp's open Opportunity
    assert event.get("WhoId") is None


async def test_a_revision_that_falls_back_to_a_lead_clears_the_earlier_what(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org(keyed=False, records=techcorp())
    ledger, _ = await sync(client, org, meeting(org, 1), None)
    assert org.records("Event")[0]["WhatId"] == OPPORTUNITY
    # Revision 2 only has a Lead: WhoId = Lead, and the Opportunity left as WhatId would be refused.
    await sync(client, org, meeting(org, 2, emails=("lee@solo.example",)), ledger)
    event = org.records("Event")[0]
    assert (event["WhoId"], event.get("WhatId")) == (LEAD, None)
    assert {(t.get("WhoId"), t.get("WhatId")) for t in org.records("Task")} == {(LEAD, None)}
