"""Percent-decoding of request URLs, top-level and inside composite subrequests, and refresh-token ownership."""

from __future__ import annotations

import uuid
from urllib.parse import quote, quote_plus

import pytest
from yarl import URL

from sfsim.admin import build_org
from sfsim.org import Registry

API = "/services/data/v60.0"
KEY = "IceCubes_Sync_Key__c"

# External ids without "/": a colon, a space, a literal percent sign, a plus, non-ASCII text.
EXTERNAL_IDS = ["m1:ai-0", "meeting 1", "50%off", "a+b", "a%2Bb", "réunion-€-会議", "x:y z%+é"]


async def _direct_upsert(org, value: str, body: dict) -> tuple[int, dict]:
    """`PATCH sobjects/Task/<key>/<value>` with the value percent-encoded exactly once (no client re-quoting)."""
    url = URL(f"{org.sim.base_url}{API}/sobjects/Task/{KEY}/{quote(value, safe='')}", encoded=True)
    async with org.session.patch(url, json=body, headers={"Authorization": f"Bearer {org.token}"}, ssl=org.ssl) as resp:
        return resp.status, await resp.json()


async def _composite_upsert(org, value: str, body: dict) -> dict:
    req = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "PATCH",
                "url": f"{API}/sobjects/Task/{KEY}/{quote(value, safe='')}",
                "referenceId": "up",
                "body": body,
            },
            {"method": "GET", "url": f"{API}/sobjects/Task/{KEY}/{quote(value, safe='')}", "referenceId": "get"},
        ],
    }
    status, resp, _ = await org.call("POST", "composite", req)
    assert status == 200, resp
    return {r["referenceId"]: r for r in resp["compositeResponse"]}


async def _stored_keys(org) -> list[str]:
    body = await org.admin("GET", "/records/Task")
    return [r[KEY] for r in body["records"]]


@pytest.mark.parametrize("value", EXTERNAL_IDS)
async def test_upsert_direct_then_composite_finds_the_same_record(make_org, value):
    org = await make_org()
    status, first = await _direct_upsert(org, value, {"Subject": "v1"})
    assert (status, first["created"]) == (201, True), first
    results = await _composite_upsert(org, value, {"Subject": "v2"})
    assert results["up"]["httpStatusCode"] == 200, results["up"]
    assert results["up"]["body"] == {"id": first["id"], "success": True, "errors": [], "created": False}
    assert results["get"]["httpStatusCode"] == 200, results["get"]
    assert (results["get"]["body"]["Id"], results["get"]["body"][KEY]) == (first["id"], value)
    assert await _stored_keys(org) == [value]


@pytest.mark.parametrize("value", EXTERNAL_IDS)
async def test_upsert_composite_then_direct_finds_the_same_record(make_org, value):
    org = await make_org()
    results = await _composite_upsert(org, value, {"Subject": "v1"})
    assert results["up"]["httpStatusCode"] == 201, results["up"]
    created_id = results["up"]["body"]["id"]
    status, second = await _direct_upsert(org, value, {"Subject": "v2"})
    assert (status, second) == (200, {"id": created_id, "success": True, "errors": [], "created": False})
    assert await _stored_keys(org) == [value]
    rows = (await org.query(f"SELECT Subject, {KEY} FROM Task"))["records"]
    assert [(r["Subject"], r[KEY]) for r in rows] == [("v2", value)]


async def test_composite_path_is_decoded_once_and_plus_stays_literal(make_org):
    org = await make_org()
    # "%253A" is the encoding of the three characters "%3A": decoded once it must stay "%3A".
    results = await _composite_upsert(org, "k%3A1", {"Subject": "s"})
    assert results["up"]["httpStatusCode"] == 201
    req = {
        "compositeRequest": [
            {"method": "PATCH", "url": f"{API}/sobjects/Task/{KEY}/p+q", "referenceId": "plus", "body": {}},
        ]
    }
    _, body, _ = await org.call("POST", "composite", req)
    assert body["compositeResponse"][0]["httpStatusCode"] == 201
    assert sorted(await _stored_keys(org)) == ["k%3A1", "p+q"]


async def test_composite_query_with_encoded_q(make_org):
    org = await make_org()
    for key, subject in (("m1:ai-0", "a+b & c"), ("m1:ai-1", "50% off")):
        status, _ = await _direct_upsert(org, key, {"Subject": subject})
        assert status == 201
    soql_plus = f"SELECT Id, {KEY}, Subject FROM Task WHERE Subject = 'a+b & c'"
    soql_like = f"SELECT {KEY} FROM Task WHERE Subject LIKE '50\\% %' ORDER BY {KEY}"
    req = {
        "compositeRequest": [
            {"method": "GET", "url": f"{API}/query?q={quote_plus(soql_plus)}", "referenceId": "plus"},
            {"method": "GET", "url": f"{API}/query/?q={quote(soql_like, safe='')}", "referenceId": "pct"},
            {"method": "GET", "url": f"{API}/queryAll?q={quote_plus(soql_like)}", "referenceId": "all"},
        ]
    }
    status, body, _ = await org.call("POST", "composite", req)
    assert status == 200
    res = {r["referenceId"]: r for r in body["compositeResponse"]}
    assert all(r["httpStatusCode"] == 200 for r in res.values()), res
    assert [(r[KEY], r["Subject"]) for r in res["plus"]["body"]["records"]] == [("m1:ai-0", "a+b & c")]
    assert [r[KEY] for r in res["pct"]["body"]["records"]] == ["m1:ai-1"]
    assert [r[KEY] for r in res["all"]["body"]["records"]] == ["m1:ai-1"]
    # The same query sent directly gives the same rows.
    assert (await org.query(soql_plus))["records"] == res["plus"]["body"]["records"]


# --- a refresh token names one org -----------------------------------------------------------------
def test_registry_refuses_a_second_org_for_one_refresh_token(base_doc):
    registry = Registry()
    doc = base_doc(oauth={"client_id": "cid", "refresh_token": "rt-shared"})
    first, _ = build_org("a", doc)
    registry.put_org(first)
    second, _ = build_org("b", doc)
    with pytest.raises(ValueError, match="already belongs to org a"):
        registry.put_org(second)
    assert set(registry.orgs) == {"a"}
    assert registry.refresh_tokens["rt-shared"] is first
    again, _ = build_org("a", doc)  # replacing the owner itself is fine
    registry.put_org(again)
    assert registry.refresh_tokens["rt-shared"] is again


async def test_admin_put_answers_409_for_a_refresh_token_of_another_org(sim, session, base_doc):
    token = f"rt-{uuid.uuid4().hex}"
    owner, other = f"owner-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    doc = base_doc(oauth={"client_id": "cid", "client_secret": "secret", "refresh_token": token})
    ssl = sim.ssl_context()
    async with session.put(f"{sim.base_url}/__sim/orgs/{owner}", json=doc, ssl=ssl) as resp:
        assert resp.status == 200
    async with session.put(f"{sim.base_url}/__sim/orgs/{other}", json=doc, ssl=ssl) as resp:
        assert resp.status == 409
        assert (await resp.json()) == {"error": f"refresh token already belongs to org {owner}"}
    async with session.get(f"{sim.base_url}/__sim/orgs/{other}", ssl=ssl) as resp:
        assert resp.status == 404  # nothing was created
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "cid", "client_secret": "secret"}
    async with session.post(f"{sim.base_url}/services/oauth2/token", data=form, ssl=ssl) as resp:
        assert resp.status == 200
        access = (await resp.json())["access_token"]
    async with session.get(f"{sim.base_url}/__sim/orgs/{owner}", ssl=ssl) as resp:
        summary = await resp.json()
    assert access.startswith(summary["sf_org_id"][:15])  # the token still routes to the owner
    async with session.put(f"{sim.base_url}/__sim/orgs/{owner}", json=doc, ssl=ssl) as resp:
        assert resp.status == 200  # the owner may be replaced with the same token
    for org_id in (owner, other):
        async with session.delete(f"{sim.base_url}/__sim/orgs/{org_id}", ssl=ssl) as resp:
            assert resp.status == 204
