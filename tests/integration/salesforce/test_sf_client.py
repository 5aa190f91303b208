"""The Salesforce client against the simulator: API economy, auth, limits, faults, idempotent writes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import MakeOrg
from meeting_plans import meeting_plan, read_request

from service.config import Settings
from service.crypto import TokenCipher
from service.domain.lookup import ReadRequest
from service.errors import (
    ApiAccessUnavailable,
    ApiLimitReached,
    ConnectionExpired,
    InstanceNotAllowed,
    InsufficientPermissions,
    TransientError,
)
from service.salesforce import SalesforceClient

pytestmark = pytest.mark.integration


async def fresh_client(settings: Settings, cipher: TokenCipher, **overrides: Any) -> SalesforceClient:
    client = SalesforceClient(settings.model_copy(update=overrides), cipher)
    await client.start()
    return client


async def test_a_meeting_read_costs_one_request_and_an_empty_one_none(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org(
        records={
            "Account": [{"Name": "Acme", "Website": "https://www.acme.com"}],
            "Contact": [
                {"LastName": "OBrien", "Email": "o'brien@acme.com"},
                {"LastName": "Plain", "Email": "obrien@acme.com"},
            ],
            "Lead": [{"LastName": "Lee", "Company": "Acme", "Email": "lead@acme.com"}],
        }
    )
    request = ReadRequest(("o'brien@acme.com", "lead@acme.com"), ("acme.com",), None, "m1")
    outcome = await client.read(org.config, request)
    assert outcome.api_calls == 1 == org.api_requests()  # cold caches ride in the same composite
    snapshot = outcome.snapshot
    assert [c.email for c in snapshot.contacts] == ["o'brien@acme.com"]  # the quote did not widen the match
    assert [lead.email for lead in snapshot.leads] == ["lead@acme.com"]
    assert [a.name for a in snapshot.accounts] == ["Acme"]
    assert "rep@ours.example" in {u.email for u in snapshot.users}  # every active User, cached org-wide
    assert snapshot.has_sync_key_field is True

    warm = await client.read(org.config, request)
    assert warm.api_calls == 1 and org.api_requests() == 2
    assert warm.snapshot.users == snapshot.users  # from the cache
    nothing = await client.read(org.config, ReadRequest((), (), None, "m1"))
    assert nothing.api_calls == 0 and org.api_requests() == 2
    assert nothing.snapshot.users == snapshot.users


@pytest.mark.parametrize("participants", [1, 10, 200])
async def test_reads_stay_one_request_for_many_participants(
    client: SalesforceClient, make_org: MakeOrg, participants: int
) -> None:
    org = make_org()
    emails = tuple(f"person{i}@company{i % 7}.example" for i in range(participants))
    warm_up = await client.read(org.config, read_request("m0", emails=emails, anchor=False))
    assert warm_up.api_calls <= 2  # cold: users and describe may add one
    outcome = await client.read(org.config, read_request("m1", emails=emails, anchor=True))
    assert outcome.api_calls == 1


async def test_an_empty_read_with_a_cold_describe_still_learns_the_key_field(
    make_org: MakeOrg, settings: Settings, cipher: TokenCipher
) -> None:
    org = make_org(keyed=True)
    client = await fresh_client(settings, cipher, describe_cache_ttl_s=0.0)  # the describe is always cold
    try:
        await client.read(org.config, read_request("m0", emails=("a@b.example",)))  # warms the Users
        before = org.api_requests()
        outcome = await client.read(org.config, ReadRequest((), (), None, "m1"))
    finally:
        await client.close()
    assert outcome.snapshot.has_sync_key_field is True  # not a guess of "unkeyed" (which would create twins)
    assert outcome.api_calls == 1 == org.api_requests() - before


async def test_only_active_internal_users_are_cached(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(
        records={
            "User": [
                {"Email": "rep@ours.example", "FirstName": "Rita", "LastName": "Rep"},
                {"Email": "partner@reseller.example", "LastName": "Partner", "UserType": "PowerPartner"},
                {"Email": "gone@ours.example", "LastName": "Gone", "IsActive": False},
            ]
        }
    )
    outcome = await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    emails = {u.email for u in outcome.snapshot.users}
    assert "rep@ours.example" in emails
    assert "partner@reseller.example" not in emails  # a portal user is not one of "ours"
    assert "gone@ours.example" not in emails


async def test_unkeyed_org_is_detected(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(keyed=False)
    outcome = await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    assert outcome.snapshot.has_sync_key_field is False


@pytest.mark.parametrize("items", [1, 60])
async def test_a_meeting_write_costs_one_request(client: SalesforceClient, make_org: MakeOrg, items: int) -> None:
    org = make_org(records={"Account": [{"Name": "Acme", "Website": "acme.com"}]})
    account = org.ids["Account"][0]
    users = org.ids["User"]
    plan = meeting_plan("m1", keyed=True, parent_id=account, items=items, attendees=tuple(users))
    before = org.api_requests()
    outcome = await client.write(org.config, plan)
    assert outcome.api_calls == 1 == org.api_requests() - before
    assert outcome.records.errors == []
    assert outcome.records.event_id and outcome.records.note_id
    assert len(outcome.records.task_ids) == items
    assert set(outcome.attendee_ids) == set(users)
    assert len(org.records("Task")) == items


@pytest.mark.parametrize("keyed", [True, False])
async def test_writing_a_meeting_twice_without_memory_leaves_one_copy(
    client: SalesforceClient, make_org: MakeOrg, keyed: bool
) -> None:
    org = make_org(keyed=keyed, records={"Account": [{"Name": "Acme", "Website": "acme.com"}]})
    account = org.ids["Account"][0]
    attendees = tuple(org.ids["User"])
    calls = []
    for _attempt in range(2):  # the second time, the ledger has forgotten the first (crash before record)
        read = await client.read(org.config, read_request("m1", emails=("x@acme.com",), items=3, anchor=True))
        plan = meeting_plan(
            "m1",
            keyed=read.snapshot.has_sync_key_field,
            parent_id=account,
            items=3,
            attendees=attendees,
            prior=read.snapshot.prior,
        )
        written = await client.write(org.config, plan)
        assert written.records.errors == []
        calls.append((read.api_calls, written.api_calls))
    assert len(org.records("Event")) == 1
    assert len(org.records("Note")) == 1
    assert len(org.records("Task")) == 3
    assert len(org.records("EventRelation")) == len(attendees)
    assert read.snapshot.prior is not None
    assert read.snapshot.prior.event_id == org.records("Event")[0]["Id"]
    assert set(read.snapshot.prior.task_ids) == {"ai-0", "ai-1", "ai-2"}
    assert calls[0][1] == 1 and calls[1][0] == 2  # the recovery read is the one extra request


async def test_a_refused_record_is_reported_and_the_rest_written(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(
        records={"Account": [{"Name": "Acme", "Website": "acme.com"}]},
        validation_rules=[{"sobject": "Task", "field": "Subject", "contains": "FORBIDDEN", "message": "Not allowed"}],
    )
    plan = meeting_plan("m1", keyed=True, parent_id=org.ids["Account"][0], items=3, forbidden={"ai-1"})
    outcome = await client.write(org.config, plan)
    assert [(e.record, e.error_code) for e in outcome.records.errors] == [
        ("task:ai-1", "FIELD_CUSTOM_VALIDATION_EXCEPTION")
    ]
    assert set(outcome.records.task_ids) == {"ai-0", "ai-2"}
    assert outcome.api_calls == 2
    assert len(org.records("Task")) == 2 and len(org.records("Event")) == 1


async def test_expired_token_refreshes_once_for_concurrent_requests(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org()
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    assert org.stats()["token_requests"] == 1
    org.admin("POST", "expire-tokens")
    outcomes = await asyncio.gather(
        *(client.read(org.config, read_request(f"m{i}", emails=(f"p{i}@b.example",))) for i in range(10))
    )
    assert org.stats()["token_requests"] == 2
    assert all(o.api_calls == 1 for o in outcomes)


async def test_rotated_refresh_tokens_are_kept(
    client: SalesforceClient, make_org: MakeOrg, settings: Settings, cipher: TokenCipher
) -> None:
    org = make_org(oauth={"rotate_refresh_tokens": True})
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    stored = client.tokens_for(org.org_id)
    assert stored is not None
    assert cipher.decrypt(stored.refresh_token) not in {"", f"rt-{org.org_id}"}
    assert "rt-" not in stored.refresh_token  # ciphertext, not plaintext

    restarted = await fresh_client(settings, cipher)  # another worker, with the persisted tokens
    try:
        org.admin("POST", "expire-tokens")
        outcome = await restarted.read(org.config, read_request("m1", emails=("a@b.example",)), tokens=stored)
        assert outcome.api_calls == 1
    finally:
        await restarted.close()
    stale = await fresh_client(settings, cipher)  # only the config's (rotated away) refresh token
    try:
        with pytest.raises(ConnectionExpired):
            await stale.read(org.config, read_request("m2", emails=("a@b.example",)))
    finally:
        await stale.close()


async def test_revoked_connection_is_connection_expired(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org()
    org.admin("POST", "revoke", {})
    with pytest.raises(ConnectionExpired):
        await client.read(org.config, read_request("m1", emails=("a@b.example",)))


async def test_api_disabled_names_editions_and_permission(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(edition="essentials")
    with pytest.raises(ApiAccessUnavailable) as caught:
        await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    assert "Enterprise" in caught.value.message and "API Enabled" in caught.value.message


async def test_refused_permissions_name_the_object(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(permissions={"Contact": "none", "Task": "read"})
    with pytest.raises(InsufficientPermissions) as read_refused:
        await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    assert read_refused.value.sobject == "Contact"
    plan = meeting_plan("m1", keyed=True, parent_id=org.ids["User"][0], items=1)
    with pytest.raises(InsufficientPermissions) as write_refused:
        await client.write(org.config, plan)
    assert write_refused.value.sobject in {"Task", "Event"}


async def test_usage_above_the_reserve_defers_before_sending(
    make_org: MakeOrg, settings: Settings, cipher: TokenCipher
) -> None:
    org = make_org(daily_api_limit=4)
    client = await fresh_client(settings, cipher, api_reserve_fraction=0.5)
    try:
        await client.read(org.config, read_request("m1", emails=("a@b.example",)))
        await client.read(org.config, read_request("m2", emails=("a@b.example",)))
        assert client.usage(org.org_id) is not None and client.usage(org.org_id).used == 2  # type: ignore[union-attr]
        with pytest.raises(ApiLimitReached):
            await client.read(org.config, read_request("m3", emails=("a@b.example",)))
        assert org.api_requests() == 2  # nothing was sent
    finally:
        await client.close()
    exhausted = await fresh_client(settings, cipher, api_reserve_fraction=1.0)
    try:
        await exhausted.read(org.config, read_request("m4", emails=("a@b.example",)))
        await exhausted.read(org.config, read_request("m5", emails=("a@b.example",)))
    finally:
        await exhausted.close()
    unaware = await fresh_client(settings, cipher, api_reserve_fraction=1.0)  # knows nothing of the usage
    try:
        with pytest.raises(ApiLimitReached):  # the org's own limit: the simulator answers 403
            await unaware.read(org.config, read_request("m6", emails=("a@b.example",)))
        with pytest.raises(ApiLimitReached):  # and now it refuses before sending
            await unaware.read(org.config, read_request("m7", emails=("a@b.example",)))
    finally:
        await unaware.close()
    assert org.api_requests() == 4


async def test_short_503_bursts_are_retried_and_long_ones_fail_transient(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org()
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    org.admin("PATCH", "faults", {"error_burst": 2})
    outcome = await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    assert outcome.api_calls == 1
    org.admin("PATCH", "faults", {"error_burst": 50})
    with pytest.raises(TransientError):
        await client.read(org.config, read_request("m2", emails=("a@b.example",)))
    org.admin("PATCH", "faults", {"error_burst": 0})


async def test_a_hanging_instance_gives_transient_within_the_budget(
    client: SalesforceClient, make_org: MakeOrg, settings: Settings
) -> None:
    org = make_org()
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    org.admin("PATCH", "faults", {"hang": True})
    started = asyncio.get_running_loop().time()
    try:
        with pytest.raises(TransientError):
            await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    finally:
        org.admin("PATCH", "faults", {"hang": False})
    assert asyncio.get_running_loop().time() - started < settings.client_retry_budget_s + 2 * settings.request_timeout_s


@pytest.mark.parametrize("field", ["instance_url", "login_url"])
async def test_a_forged_host_gets_nothing(client: SalesforceClient, make_org: MakeOrg, field: str) -> None:
    org = make_org(**{field: "https://attacker.example"})
    with pytest.raises(InstanceNotAllowed):
        await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    with pytest.raises(InstanceNotAllowed):
        await client.write(org.config, meeting_plan("m1", keyed=True, parent_id=org.ids["User"][0], items=1))
    stats = org.stats()
    assert stats["api_requests"] == 0 and stats["token_requests"] == 0


NASTY = [
    "o'brien@x.example",
    "back\\slash@x.example",
    'dq"uote@x.example',
    "per%cent@x.example",
    "under_score@x.example",
    "x' OR Email != '@x.example",
]


async def test_no_email_changes_the_query_against_the_simulator(client: SalesforceClient, make_org: MakeOrg) -> None:
    decoys = ["obrien@x.example", "backslash@x.example", "perXcent@x.example", "underXscore@x.example"]
    org = make_org(records={"Contact": [{"LastName": "C", "Email": e} for e in NASTY + decoys]})
    for email in NASTY:
        outcome = await client.read(org.config, ReadRequest((email,), (), None, "m"))
        assert [c.email for c in outcome.snapshot.contacts] == [email]


# ---------------------------------------------------------------- refusals (one extra request at most)


@pytest.mark.parametrize("keyed", [True, False])
async def test_six_refused_tasks_cost_one_extra_request(
    client: SalesforceClient, make_org: MakeOrg, keyed: bool
) -> None:
    org = make_org(
        keyed=keyed,
        records={"Account": [{"Name": "Acme", "Website": "acme.com"}]},
        validation_rules=[{"sobject": "Task", "field": "Subject", "contains": "FORBIDDEN", "message": "Not allowed"}],
    )
    items = {f"ai-{i}" for i in range(6)}
    plan = meeting_plan("m1", keyed=keyed, parent_id=org.ids["Account"][0], items=6, forbidden=items)
    outcome = await client.write(org.config, plan)
    errors = outcome.records.errors
    assert sorted(e.record for e in errors) == sorted(f"task:{i}" for i in items)
    assert {e.error_code for e in errors} == {"FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    assert outcome.records.event_id and outcome.records.note_id
    assert outcome.records.task_ids == {}
    assert outcome.api_calls == 2
    assert len(org.records("Event")) == 1 and len(org.records("Note")) == 1 and org.records("Task") == []


async def test_refusals_among_many_items_leave_the_rest_written(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(
        records={"Account": [{"Name": "Acme", "Website": "acme.com"}]},
        validation_rules=[{"sobject": "Task", "field": "Subject", "contains": "FORBIDDEN", "message": "Not allowed"}],
    )
    forbidden = {"ai-3", "ai-10", "ai-40"}  # 60 items: the Tasks travel in sObject Collections
    plan = meeting_plan("m1", keyed=True, parent_id=org.ids["Account"][0], items=60, forbidden=forbidden)
    outcome = await client.write(org.config, plan)
    assert sorted(e.record for e in outcome.records.errors) == sorted(f"task:{i}" for i in forbidden)
    assert len(outcome.records.task_ids) == 57 and not forbidden & set(outcome.records.task_ids)
    assert outcome.api_calls == 2
    assert len(org.records("Task")) == 57


# ---------------------------------------------------------------- write retries (never a duplicate)


def count_sends(client: SalesforceClient) -> list[str]:
    """Record every HTTP request the client's transport sends (method and path)."""
    transport = client._transport
    sent: list[str] = []
    send = transport._send

    async def counting(method: str, url: Any, **kwargs: Any) -> Any:
        sent.append(f"{method} {url.path}")
        return await send(method, url, **kwargs)

    transport._send = counting  # type: ignore[method-assign]
    return sent


async def test_a_write_that_timed_out_is_not_resent(
    client: SalesforceClient, make_org: MakeOrg, settings: Settings
) -> None:
    org = make_org(keyed=False, records={"Account": [{"Name": "Acme", "Website": "acme.com"}]})
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))  # token and caches warm
    plan = meeting_plan("m1", keyed=False, parent_id=org.ids["Account"][0], items=2)
    sent = count_sends(client)
    org.admin("PATCH", "faults", {"hang": True})  # Salesforce may be committing while we wait
    started = asyncio.get_running_loop().time()
    try:
        with pytest.raises(TransientError):
            await client.write(org.config, plan)
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        org.admin("PATCH", "faults", {"hang": False})
    assert sent == ["POST /services/data/v60.0/composite"]  # one attempt: a resend could write it twice
    assert elapsed < 2 * settings.request_timeout_s


async def test_a_5xx_on_a_write_goes_to_the_pipeline(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(keyed=False, records={"Account": [{"Name": "Acme", "Website": "acme.com"}]})
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    plan = meeting_plan("m1", keyed=False, parent_id=org.ids["Account"][0], items=1)
    org.admin("PATCH", "faults", {"error_burst": 1})  # one 503: a resend would have succeeded
    with pytest.raises(TransientError):
        await client.write(org.config, plan)
    assert org.records("Event") == []
    assert (await client.write(org.config, plan)).api_calls == 1  # the pipeline's next attempt


async def test_a_rolled_back_lock_conflict_is_resent_in_process(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org(keyed=False, records={"Account": [{"Name": "Acme", "Website": "acme.com"}]})
    plan = meeting_plan("m1", keyed=False, parent_id=org.ids["Account"][0], items=2)
    org.admin("PATCH", "faults", {"lock_burst": 1})
    outcome = await client.write(org.config, plan)
    assert outcome.records.errors == []
    assert outcome.api_calls == 2  # the rolled-back request counts too
    assert len(org.records("Event")) == 1 and len(org.records("Task")) == 2


async def test_a_read_that_timed_out_is_resent_and_counted(client: SalesforceClient, make_org: MakeOrg) -> None:
    org = make_org()
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    before = org.api_requests()
    org.admin("PATCH", "faults", {"hang": True})

    async def unhang_after_the_first_timeout() -> None:
        await asyncio.sleep(2.0)  # request_timeout_s is 1.5: the first attempt has given up by now
        org.admin("PATCH", "faults", {"hang": False})

    unhang = asyncio.create_task(unhang_after_the_first_timeout())
    try:
        outcome = await client.read(org.config, read_request("m1", emails=("a@b.example",)))
    finally:
        await unhang
    # Salesforce counts a request that timed out on our side; the simulator drops it when we hang up.
    assert outcome.api_calls == 2 and org.api_requests() - before == 1


async def test_a_failed_refresh_is_shared_with_the_meetings_waiting_for_it(
    client: SalesforceClient, make_org: MakeOrg
) -> None:
    org = make_org()
    await client.read(org.config, read_request("m0", emails=("a@b.example",)))
    sent = count_sends(client)
    org.admin("POST", "revoke", {})
    org.admin("POST", "expire-tokens")
    outcomes = await asyncio.gather(
        *(client.read(org.config, read_request(f"m{i}", emails=(f"p{i}@b.example",))) for i in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(o, ConnectionExpired) for o in outcomes)
    assert sent.count("POST /services/oauth2/token") == 1  # ONE refresh for ten meetings
    with pytest.raises(ConnectionExpired):  # a later meeting of the same connection does not ask again
        await client.read(org.config, read_request("m11", emails=("a@b.example",)))
    assert sent.count("POST /services/oauth2/token") == 1
