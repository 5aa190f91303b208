"""The simulator over HTTPS with aiohttp: OAuth, REST, composite, limits, faults, editions, rules."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time

import pytest

from sfsim.ids import is_valid_id

API = "/services/data/v60.0"

HALTED = "PROCESSING_HALTED"


# --- OAuth ------------------------------------------------------------------------------------
async def test_refresh_returns_salesforce_shape_with_valid_signature(make_org):
    org = await make_org(login=False)
    body = await org.login()
    assert set(body) == {"access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"}
    assert body["instance_url"] == org.sim.base_url
    assert body["issued_at"] == str(1714557600 * 1000)  # the org's fixed clock, epoch ms
    expected = base64.b64encode(
        hmac.new(b"secret", (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    ).decode()
    assert body["signature"] == expected


async def test_client_credentials_by_http_basic(make_org):
    org = await make_org(login=False)
    basic = "Basic " + base64.b64encode(b"cid:secret").decode()
    async with org.session.post(
        org.sim.base_url + "/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": org.info["oauth"]["refresh_token"]},
        headers={"Authorization": basic},
        ssl=org.ssl,
    ) as resp:
        assert resp.status == 200
        assert "access_token" in await resp.json()


async def test_token_endpoint_errors(make_org):
    org = await make_org(login=False)
    rt = org.info["oauth"]["refresh_token"]
    status, body, _ = await org.oauth(grant_type="password", refresh_token=rt, client_id="cid")
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body, _ = await org.oauth(grant_type="refresh_token", refresh_token=rt, client_id="nope")
    assert (status, body["error"]) == (400, "invalid_client")
    status, body, _ = await org.oauth(
        grant_type="refresh_token", refresh_token=rt, client_id="cid", client_secret="wrong"
    )
    assert (status, body["error"]) == (400, "invalid_client")
    status, body, _ = await org.oauth(grant_type="refresh_token", refresh_token="unknown", client_id="cid")
    assert (status, body) == (400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})


async def test_revoked_refresh_token_is_invalid_grant_and_kills_sessions(make_org):
    org = await make_org()
    await org.admin("POST", "/revoke")
    status, body, _ = await org.oauth(
        grant_type="refresh_token", refresh_token=org.info["oauth"]["refresh_token"], client_id="cid"
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body, _ = await org.call("GET", "limits")
    assert status == 401


async def test_rotation_returns_new_refresh_token_and_invalidates_old(make_org, base_doc):
    org = await make_org(
        base_doc(oauth={"client_id": "cid", "client_secret": "secret", "rotate_refresh_tokens": True}), login=False
    )
    old = org.info["oauth"]["refresh_token"]
    status, body, _ = await org.oauth(
        grant_type="refresh_token", refresh_token=old, client_id="cid", client_secret="secret"
    )
    assert status == 200
    assert body["refresh_token"] != old
    status, again, _ = await org.oauth(
        grant_type="refresh_token", refresh_token=old, client_id="cid", client_secret="secret"
    )
    assert (status, again["error"]) == (400, "invalid_grant")
    status, _, _ = await org.oauth(
        grant_type="refresh_token", refresh_token=body["refresh_token"], client_id="cid", client_secret="secret"
    )
    assert status == 200


async def test_no_refresh_token_without_rotation(make_org):
    org = await make_org(login=False)
    assert "refresh_token" not in await org.login()


async def test_access_token_expires_after_ttl_on_the_org_clock(make_org, base_doc):
    org = await make_org(base_doc(oauth={"client_id": "cid", "client_secret": "secret", "access_token_ttl_s": 60}))
    assert (await org.call("GET", "limits"))[0] == 200
    await org.admin("PATCH", "/clock", {"advance_s": 61})
    status, body, _ = await org.call("GET", "limits")
    assert (status, body) == (401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])


async def test_expire_tokens_admin_then_refresh_works(make_org):
    org = await make_org()
    await org.admin("POST", "/expire-tokens")
    assert (await org.call("GET", "limits"))[0] == 401
    await org.login()
    assert (await org.call("GET", "limits"))[0] == 200


async def test_token_of_one_org_never_sees_another(make_org):
    a = await make_org()
    b = await make_org()
    status, created, _ = await a.call("POST", "sobjects/Account", {"Name": "Only in A"})
    assert status == 201
    assert (await b.call("GET", f"sobjects/Account/{created['id']}"))[0] == 404
    body = await b.query("SELECT Id FROM Account WHERE Name = 'Only in A'")
    assert body["totalSize"] == 0


# --- limits and counting ---------------------------------------------------------------------------
async def test_limit_header_counts_like_salesforce(make_org):
    org = await make_org()
    status, _, headers = await org.call("GET", API + "/")
    assert status == 200
    assert "Sforce-Limit-Info" not in headers
    _, _, headers = await org.call("GET", "query", params={"q": "SELECT Id FROM Contact"})
    assert headers["Sforce-Limit-Info"] == "api-usage=1/101000"  # 100,000 + 1 active user x 1,000
    composite = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "GET", "url": f"{API}/query?q=SELECT+Id+FROM+Contact", "referenceId": "q1"},
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "a", "body": {"Name": "N"}},
        ],
    }
    _, _, headers = await org.call("POST", "composite", composite)
    assert headers["Sforce-Limit-Info"].startswith("api-usage=2/")
    _, limits, headers = await org.call("GET", "limits")
    assert headers["Sforce-Limit-Info"].startswith("api-usage=3/")
    assert limits["DailyApiRequests"]["Remaining"] == limits["DailyApiRequests"]["Max"] - 3
    stats = await org.admin("GET", "/stats")
    assert stats["api_requests"] == 3
    assert stats["by_resource"] == {"query": 1, "composite": 1, "limits": 1}
    assert stats["token_requests"] == 1
    assert stats["log"][1]["subrequests"] == 2


async def test_daily_limit_exhausted(make_org, base_doc):
    org = await make_org(base_doc(daily_api_limit=2))
    assert (await org.call("GET", "limits"))[0] == 200
    assert (await org.call("GET", "limits"))[0] == 200
    status, body, _ = await org.call("GET", "limits")
    assert (status, body[0]["errorCode"], body[0]["message"]) == (
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )
    await org.admin("PATCH", "/clock", {"advance_s": 24 * 3600 + 1})  # the window rolls
    await org.login()
    assert (await org.call("GET", "limits"))[0] == 200


@pytest.mark.parametrize(
    ("edition", "extra", "limit"),
    [("developer", {}, 15_000), ("unlimited", {}, 100_000 + 1 * 5_000), ("professional", {"api_addon": True}, 101_000)],
)
async def test_edition_default_limits(make_org, edition, extra, limit, base_doc):
    org = await make_org(base_doc(edition=edition, **extra))
    _, body, _ = await org.call("GET", "limits")
    assert body["DailyApiRequests"]["Max"] == limit


@pytest.mark.parametrize(("edition", "extra"), [("professional", {}), ("essentials", {})])
async def test_editions_without_api(make_org, edition, extra, base_doc):
    org = await make_org(base_doc(edition=edition, **extra))
    status, body, _ = await org.call("GET", "query", params={"q": "SELECT Id FROM Contact"})
    assert status == 403
    assert body == [
        {"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}
    ]


async def test_user_without_api_enabled(make_org, base_doc):
    doc = base_doc()
    doc["records"]["User"][0]["api_enabled"] = False
    org = await make_org(doc)
    status, body, _ = await org.call("GET", "limits")
    assert (status, body[0]["errorCode"]) == (403, "API_CURRENTLY_DISABLED")


# --- permissions ----------------------------------------------------------------------------------
async def test_read_only_object_refuses_writes(make_org, base_doc):
    org = await make_org(base_doc(permissions={"Contact": "read"}))
    status, body, _ = await org.call("POST", "sobjects/Contact", {"LastName": "X"})
    assert (status, body[0]["errorCode"]) == (400, "INSUFFICIENT_ACCESS_OR_READONLY")
    assert (await org.query("SELECT Id FROM Contact"))["totalSize"] == 1


async def test_invisible_object_query_is_invalid_type(make_org, base_doc):
    org = await make_org(base_doc(permissions={"Contact": "none"}))
    status, body, _ = await org.call("GET", "query", params={"q": "SELECT Id FROM Contact"})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")
    assert "sObject type 'Contact' is not supported" in body[0]["message"]


# --- CRUD and rules -----------------------------------------------------------------------------
async def test_create_ids_are_18_chars_with_the_right_prefix(make_org):
    org = await make_org()
    for sobject, body, prefix in [
        ("Account", {"Name": "A"}, "001"),
        ("Contact", {"LastName": "C"}, "003"),
        ("Task", {"Subject": "T"}, "00T"),
        ("Event", {"Subject": "E", "StartDateTime": "2024-05-01T09:00:00Z", "DurationInMinutes": 30}, "00U"),
        ("Note", {"ParentId": "001000000000001", "Title": "N"}, "002"),
    ]:
        status, created, _ = await org.call("POST", f"sobjects/{sobject}", body)
        assert status == 201, created
        assert created["id"].startswith(prefix)
        assert len(created["id"]) == 18
        assert is_valid_id(created["id"])
        assert created == {"id": created["id"], "errors": [], "success": True}


async def test_id_in_create_body_is_invalid_field(make_org):
    org = await make_org()
    status, body, _ = await org.call("POST", "sobjects/Account", {"Id": "001000000000001AAA", "Name": "X"})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD")


async def test_field_errors(make_org):
    org = await make_org()
    cases = [
        ({"LastName": "x", "Nope__c": 1}, "INVALID_FIELD", None),
        ({"FirstName": "x"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ({"LastName": "x", "LastActivityDate": "2024-01-01"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["LastActivityDate"]),
        ({"LastName": "x", "AccountId": "001000000000zzz"}, "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
        ({"LastName": "x", "AccountId": "garbage"}, "MALFORMED_ID", ["AccountId"]),
        ({"LastName": "x", "OwnerId": "005000000000001"}, None, None),
    ]
    for body, code, fields in cases:
        status, resp, _ = await org.call("POST", "sobjects/Contact", body)
        if code is None:
            assert status == 201, resp
            continue
        assert (status, resp[0]["errorCode"]) == (400, code), (body, resp)
        if fields is not None:
            assert resp[0]["fields"] == fields


async def test_string_too_long_message(make_org):
    org = await make_org()
    status, body, _ = await org.call("POST", "sobjects/Task", {"Subject": "s" * 256})
    assert status == 400
    assert body[0]["errorCode"] == "STRING_TOO_LONG"
    assert body[0]["message"].startswith("Subject: data value too large: ")
    assert body[0]["message"].endswith("(max length=255)")
    assert body[0]["fields"] == ["Subject"]


async def test_task_picklists_restricted_and_defaults(make_org):
    org = await make_org()
    status, body, _ = await org.call("POST", "sobjects/Task", {"Subject": "x", "Status": "Doing"})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    status, created, _ = await org.call("POST", "sobjects/Task", {"Subject": "x", "WhoId": "003000000000001"})
    _, task, _ = await org.call("GET", f"sobjects/Task/{created['id']}")
    assert (task["Status"], task["Priority"], task["IsClosed"]) == ("Not Started", "Normal", False)
    assert task["OwnerId"] == org.info["integration_user_id"] == task["CreatedById"]
    assert task["AccountId"] == "001000000000001AAA"  # derived from the contact
    await org.call("PATCH", f"sobjects/Task/{created['id']}", {"Status": "Completed"})
    _, task, _ = await org.call("GET", f"sobjects/Task/{created['id']}", params={"fields": "IsClosed,Status"})
    assert task["IsClosed"] is True
    assert set(task) == {"attributes", "IsClosed", "Status"}


async def test_inactive_owner(make_org):
    org = await make_org()
    gone = org.info["users"]["gone@acme.com"]
    status, body, _ = await org.call("POST", "sobjects/Task", {"Subject": "x", "OwnerId": gone})
    assert (status, body[0]["errorCode"]) == (400, "INACTIVE_OWNER_OR_USER")


async def test_lead_who_forbids_what(make_org):
    org = await make_org()
    status, body, _ = await org.call(
        "POST", "sobjects/Task", {"Subject": "x", "WhoId": "00Q000000000001", "WhatId": "001000000000001"}
    )
    assert (status, body[0]["errorCode"]) == (400, "FIELD_INTEGRITY_EXCEPTION")
    status, _, _ = await org.call("POST", "sobjects/Task", {"Subject": "x", "WhoId": "00Q000000000001"})
    assert status == 201


async def test_event_duration_rules(make_org):
    org = await make_org()
    start = "2024-05-01T09:00:00Z"
    status, body, _ = await org.call("POST", "sobjects/Event", {"StartDateTime": start, "DurationInMinutes": 1441})
    assert (status, body[0]["errorCode"], body[0]["message"]) == (
        400,
        "FIELD_INTEGRITY_EXCEPTION",
        "Duration must be between 0 and 1440 minutes",
    )
    status, body, _ = await org.call(
        "POST",
        "sobjects/Event",
        {"StartDateTime": start, "EndDateTime": "2024-05-01T10:00:00Z", "DurationInMinutes": 30},
    )
    assert (status, body[0]["errorCode"]) == (400, "FIELD_INTEGRITY_EXCEPTION")
    status, body, _ = await org.call("POST", "sobjects/Event", {"StartDateTime": start})
    assert (status, body[0]["errorCode"]) == (400, "REQUIRED_FIELD_MISSING")
    status, created, _ = await org.call(
        "POST",
        "sobjects/Event",
        {"StartDateTime": start, "EndDateTime": "2024-05-01T10:30:00Z", "WhoId": "003000000000001"},
    )
    assert status == 201
    _, event, _ = await org.call("GET", f"sobjects/Event/{created['id']}")
    assert event["DurationInMinutes"] == 90
    assert event["ActivityDate"] == "2024-05-01"
    assert event["AccountId"] == "001000000000001AAA"
    _, contact, _ = await org.call("GET", "sobjects/Contact/003000000000001")
    assert contact["LastActivityDate"] == "2024-05-01"


async def test_multiday_events_capped_at_14_days(make_org, base_doc):
    org = await make_org(base_doc(multiday_events=True))
    start = "2024-05-01T09:00:00Z"
    status, _, _ = await org.call("POST", "sobjects/Event", {"StartDateTime": start, "DurationInMinutes": 3 * 1440})
    assert status == 201
    status, body, _ = await org.call(
        "POST", "sobjects/Event", {"StartDateTime": start, "DurationInMinutes": 14 * 1440 + 1}
    )
    assert (status, body[0]["errorCode"]) == (400, "FIELD_INTEGRITY_EXCEPTION")


async def test_duplicate_event_relation(make_org):
    org = await make_org()
    _, ev, _ = await org.call(
        "POST", "sobjects/Event", {"StartDateTime": "2024-05-01T09:00:00Z", "DurationInMinutes": 5}
    )
    rel = {"EventId": ev["id"], "RelationId": "003000000000001"}
    assert (await org.call("POST", "sobjects/EventRelation", rel))[0] == 201
    status, body, _ = await org.call("POST", "sobjects/EventRelation", rel)
    assert (status, body[0]["errorCode"]) == (400, "DUPLICATE_VALUE")


async def test_validation_rule(make_org, base_doc):
    rule = {"sobject": "Task", "field": "Subject", "contains": "FORBIDDEN", "message": "No forbidden tasks"}
    org = await make_org(base_doc(validation_rules=[rule]))
    status, body, _ = await org.call("POST", "sobjects/Task", {"Subject": "a forbidden thing"})
    assert (status, body[0]["errorCode"], body[0]["message"]) == (
        400,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "No forbidden tasks",
    )


async def test_opportunity_closed_flags_derived(make_org):
    org = await make_org()
    body = {"Name": "Deal", "StageName": "Closed Won", "CloseDate": "2024-06-01", "AccountId": "001000000000001"}
    _, created, _ = await org.call("POST", "sobjects/Opportunity", body)
    _, opp, _ = await org.call("GET", f"sobjects/Opportunity/{created['id']}")
    assert (opp["IsClosed"], opp["IsWon"]) == (True, True)
    status, resp, _ = await org.call("PATCH", f"sobjects/Opportunity/{created['id']}", {"IsClosed": False})
    assert (status, resp[0]["errorCode"]) == (400, "INVALID_FIELD_FOR_INSERT_UPDATE")


async def test_upsert_by_external_id(make_org):
    org = await make_org()
    url = "sobjects/Event/IceCubes_Sync_Key__c/meeting-1"
    body = {"Subject": "Call", "StartDateTime": "2024-05-01T09:00:00Z", "DurationInMinutes": 30}
    status, first, _ = await org.call("PATCH", url, body)
    assert status == 201
    assert first["created"] is True
    status, second, _ = await org.call("PATCH", url, {"Subject": "Call v2"})
    assert (status, second) == (200, {"id": first["id"], "success": True, "errors": [], "created": False})
    status, _, _ = await org.call("PATCH", "sobjects/Event/IceCubes_Sync_Key__c/other?updateOnly=true", body)
    assert status == 404
    status, body404, _ = await org.call("PATCH", "sobjects/Event/Subject/x", body)
    assert (status, body404[0]["errorCode"]) == (404, "NOT_FOUND")
    body["IceCubes_Sync_Key__c"] = "meeting-1"
    status, dup, _ = await org.call("POST", "sobjects/Event", body)
    assert (status, dup[0]["errorCode"]) == (400, "DUPLICATE_VALUE")


async def test_delete_then_query_all_sees_it(make_org):
    org = await make_org()
    _, created, _ = await org.call("POST", "sobjects/Account", {"Name": "Temp"})
    assert (await org.call("DELETE", f"sobjects/Account/{created['id']}"))[0] == 204
    assert (await org.call("GET", f"sobjects/Account/{created['id']}"))[0] == 404
    status, body, _ = await org.call(
        "GET", "queryAll", params={"q": "SELECT Id, IsDeleted FROM Account WHERE Name = 'Temp'"}
    )
    assert status == 200
    assert body["records"][0]["IsDeleted"] is True


# --- query paging -------------------------------------------------------------------------------------
async def test_query_paging_with_batch_size_and_child_rows(make_org, base_doc):
    doc = base_doc()
    doc["records"]["Contact"] += [
        {"LastName": f"C{i}", "Email": f"c{i}@globex.com", "AccountId": "001000000000001"} for i in range(450)
    ]
    org = await make_org(doc)
    status, page, _ = await org.call(
        "GET", "query", params={"q": "SELECT Id FROM Contact"}, headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert status == 200
    assert page["totalSize"] == 451
    assert page["done"] is False
    assert len(page["records"]) == 200
    seen = len(page["records"])
    while not page["done"]:
        status, page, _ = await org.call("GET", page["nextRecordsUrl"])
        assert status == 200
        seen += len(page["records"])
    assert seen == 451
    assert "nextRecordsUrl" not in page
    # One account with 451 contacts: the children count toward the page but a row is never split.
    page = await org.query("SELECT Id, (SELECT Id FROM Contacts) FROM Account")
    assert page["done"] is True
    assert page["records"][0]["Contacts"]["totalSize"] == 451


# --- composite --------------------------------------------------------------------------------------
async def test_composite_references_and_query_references(make_org):
    org = await make_org()
    req = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "GET",
                "url": f"{API}/query?q=SELECT+Id+FROM+Contact+WHERE+Email='buyer@globex.com'",
                "referenceId": "q",
            },
            {
                "method": "POST",
                "url": f"{API}/sobjects/Event",
                "referenceId": "ev",
                "body": {
                    "Subject": "S",
                    "StartDateTime": "2024-05-01T09:00:00Z",
                    "DurationInMinutes": 30,
                    "WhoId": "@{q.records[0].Id}",
                },
            },
            {
                "method": "POST",
                "url": f"{API}/sobjects/EventRelation",
                "referenceId": "rel",
                "body": {"EventId": "@{ev.id}", "RelationId": "@{q.records[0].Id}"},
            },
            {"method": "GET", "url": f"{API}/sobjects/Event/@{{ev.id}}?fields=WhoId", "referenceId": "get"},
        ],
    }
    status, body, _ = await org.call("POST", "composite", req)
    assert status == 200
    results = {r["referenceId"]: r for r in body["compositeResponse"]}
    assert [r["httpStatusCode"] for r in body["compositeResponse"]] == [200, 201, 201, 200]
    assert results["get"]["body"]["WhoId"] == results["q"]["body"]["records"][0]["Id"]


async def test_composite_all_or_none_rolls_back(make_org):
    org = await make_org()
    req = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "a", "body": {"Name": "Rolled"}},
            {"method": "POST", "url": f"{API}/sobjects/Task", "referenceId": "t", "body": {"Subject": "x" * 300}},
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "b", "body": {"Name": "Never"}},
        ],
    }
    status, body, _ = await org.call("POST", "composite", req)
    assert status == 200
    codes = [(r["referenceId"], r["httpStatusCode"], r["body"][0]["errorCode"]) for r in body["compositeResponse"]]
    assert codes == [("a", 400, HALTED), ("t", 400, "STRING_TOO_LONG"), ("b", 400, HALTED)]
    assert body["compositeResponse"][0]["body"][0]["message"] == (
        "The transaction was rolled back since another operation in the same transaction failed."
    )
    assert (await org.query("SELECT Id FROM Account WHERE Name IN ('Rolled', 'Never')"))["totalSize"] == 0


async def test_composite_partial_skips_dependents_only(make_org):
    org = await make_org()
    req = {
        "allOrNone": False,
        "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "bad", "body": {"FirstName": "NoLast"}},
            {
                "method": "POST",
                "url": f"{API}/sobjects/Task",
                "referenceId": "dep",
                "body": {"Subject": "t", "WhoId": "@{bad.id}"},
            },
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "ok", "body": {"Name": "Kept"}},
        ],
    }
    _, body, _ = await org.call("POST", "composite", req)
    res = body["compositeResponse"]
    assert res[0]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert res[1]["httpStatusCode"] == 400
    assert res[1]["body"][0]["errorCode"] == HALTED
    assert "Invalid reference specified" in res[1]["body"][0]["message"]
    assert res[2]["httpStatusCode"] == 201
    assert (await org.query("SELECT Id FROM Account WHERE Name = 'Kept'"))["totalSize"] == 1


async def test_composite_envelope_limits(make_org):
    org = await make_org()
    too_many = [{"method": "GET", "url": f"{API}/limits", "referenceId": f"r{i}"} for i in range(26)]
    status, _body, _ = await org.call("POST", "composite", {"compositeRequest": too_many})
    assert status == 400
    queries = [
        {"method": "GET", "url": f"{API}/query?q=SELECT+Id+FROM+Account", "referenceId": f"q{i}"} for i in range(6)
    ]
    status, _, _ = await org.call("POST", "composite", {"compositeRequest": queries})
    assert status == 400
    status, _, _ = await org.call(
        "POST", "composite", {"compositeRequest": [{"method": "GET", "url": f"{API}/limits", "referenceId": "bad-id"}]}
    )
    assert status == 400


async def test_collections_inside_composite_outer_all_or_none_wins(make_org):
    org = await make_org()
    req = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "a", "body": {"Name": "Outer"}},
            {
                "method": "POST",
                "url": f"{API}/composite/sobjects",
                "referenceId": "tasks",
                "body": {
                    "allOrNone": False,
                    "records": [
                        {"attributes": {"type": "Task"}, "Subject": "fine", "WhatId": "@{a.id}"},
                        {"attributes": {"type": "Task"}, "Subject": "bad", "Status": "Nope"},
                    ],
                },
            },
        ],
    }
    _, body, _ = await org.call("POST", "composite", req)
    res = body["compositeResponse"]
    assert res[0]["body"][0]["errorCode"] == HALTED
    records = res[1]["body"]
    assert records[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert records[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert (await org.query("SELECT Id FROM Account WHERE Name = 'Outer'"))["totalSize"] == 0


async def test_collections_create_update_upsert(make_org):
    org = await make_org()
    recs = [{"attributes": {"type": "Task"}, "Subject": f"T{i}", "IceCubes_Sync_Key__c": f"k{i}"} for i in range(3)]
    recs[1]["Subject"] = "x" * 300
    status, body, _ = await org.call("POST", "composite/sobjects", {"allOrNone": False, "records": recs})
    assert status == 200
    assert [r["success"] for r in body] == [True, False, True]
    assert body[1] == {
        "id": None,
        "success": False,
        "errors": [
            {"statusCode": "STRING_TOO_LONG", "message": body[1]["errors"][0]["message"], "fields": ["Subject"]}
        ],
    }
    status, body, _ = await org.call(
        "PATCH",
        "composite/sobjects/Task/IceCubes_Sync_Key__c",
        {
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Task"}, "IceCubes_Sync_Key__c": k, "Subject": "u"} for k in ("k0", "k1")
            ],
        },
    )
    assert [r["created"] for r in body] == [False, True]
    status, body, _ = await org.call(
        "POST", "composite/sobjects", {"records": [{"attributes": {"type": "Account"}, "Name": "n"}] * 201}
    )
    assert status == 400


# --- faults -------------------------------------------------------------------------------------------
async def test_latency_fault(make_org, base_doc):
    org = await make_org(base_doc(faults={"latency_ms": 150}))
    started = time.monotonic()
    await org.call("GET", "limits")
    assert time.monotonic() - started >= 0.14


async def test_error_burst_then_recovery_not_counted(make_org):
    org = await make_org()
    await org.admin("PATCH", "/faults", {"error_burst": 2})
    statuses = [(await org.call("GET", "limits"))[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (await org.admin("GET", "/stats"))["api_requests"] == 1


async def test_error_rate_is_seeded(make_org, base_doc):
    org = await make_org(base_doc(faults={"error_rate": 0.5, "seed": 7}))
    first = [(await org.call("GET", "limits"))[0] for _ in range(12)]
    org2 = await make_org(base_doc(faults={"error_rate": 0.5, "seed": 7}))
    second = [(await org2.call("GET", "limits"))[0] for _ in range(12)]
    assert first == second
    assert {500, 503} & set(first)
    assert 200 in first


async def test_hang_until_cleared(make_org):
    org = await make_org()
    await org.admin("PATCH", "/faults", {"hang": True})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(org.call("GET", "limits"), 0.3)
    task = asyncio.create_task(org.call("GET", "limits"))
    await asyncio.sleep(0.1)
    assert not task.done()
    await org.admin("PATCH", "/faults", {"hang": False})
    assert (await asyncio.wait_for(task, 5))[0] == 200


async def test_lock_burst_fails_writes(make_org, base_doc):
    org = await make_org(base_doc(faults={"lock_burst": 1}))
    status, body, _ = await org.call("POST", "sobjects/Account", {"Name": "L"})
    assert (status, body[0]["errorCode"]) == (400, "UNABLE_TO_LOCK_ROW")
    assert (await org.call("POST", "sobjects/Account", {"Name": "L"}))[0] == 201


# --- admin --------------------------------------------------------------------------------------------
async def test_admin_records_and_seed_ids(make_org):
    org = await make_org()
    assert org.info["Contact"] == ["003000000000001AAA"]  # 15-char seed id normalised to 18
    body = await org.admin("GET", "/records/Contact")
    assert body["totalSize"] == 1
    assert body["records"][0]["Email"] == "Buyer@Globex.com"
    assert body["records"][0]["attributes"]["type"] == "Contact"
