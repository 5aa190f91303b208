"""Fidelity of sfsim as seen by simple-salesforce, a client nobody here wrote."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from sfsim.testing import SimServer

_IDS = itertools.count(1)


def _client(sim: SimServer, org_id: str) -> Salesforce:
    session = requests.Session()
    session.verify = str(sim.ca_file)
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    return Salesforce(instance_url=sim.base_url, session_id=sim.token(org_id), session=session, version="60.0")


@pytest.fixture
def seeded(sim: SimServer, base_doc: Any) -> tuple[str, Salesforce]:
    doc = base_doc()
    doc["records"]["Account"].append({"Id": "001000000000002", "Name": "Empty Co"})
    doc["records"]["Contact"] += [
        {"LastName": f"Bulk{i}", "Email": f"bulk{i}@globex.com", "AccountId": "001000000000001"} for i in range(2100)
    ]
    doc["records"]["Opportunity"] = [
        {
            "Id": "006000000000001",
            "Name": "Deal",
            "StageName": "Prospecting",
            "CloseDate": "2024-09-01",
            "AccountId": "001000000000001",
        }
    ]
    doc["records"]["OpportunityContactRole"] = [
        {
            "OpportunityId": "006000000000001",
            "ContactId": "003000000000001",
            "IsPrimary": True,
            "Role": "Decision Maker",
        }
    ]
    org_id = f"ss{next(_IDS)}"
    sim.put_org(org_id, doc)
    return org_id, _client(sim, org_id)


def test_query_with_parent_relationship_and_case_insensitive_email(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    result = sf.query("SELECT Id, Email, Account.Name, Account.Website FROM Contact WHERE Email = 'BUYER@globex.com'")
    assert result["totalSize"] == 1 and result["done"] is True
    record = result["records"][0]
    assert record["attributes"]["type"] == "Contact"
    assert record["attributes"]["url"].startswith("/services/data/v60.0/sobjects/Contact/003")
    assert record["Account"]["attributes"]["type"] == "Account"
    assert (record["Account"]["Name"], record["Account"]["Website"]) == ("Globex", "www.globex.com")


def test_subquery_and_semi_join(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    result = sf.query(
        "SELECT Id, Name, (SELECT Id, IsClosed FROM Opportunities) FROM Account WHERE Id = '001000000000002'"
    )
    assert result["records"][0]["Opportunities"] is None
    result = sf.query(
        "SELECT Id, Name FROM Opportunity WHERE IsClosed = false AND Id IN "
        "(SELECT OpportunityId FROM OpportunityContactRole WHERE Contact.Email = 'buyer@globex.com')"
    )
    assert [r["Name"] for r in result["records"]] == ["Deal"]


def test_query_all_pages_past_2000(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    first = sf.query("SELECT Id FROM Contact")
    assert first["totalSize"] == 2101 and first["done"] is False and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    everything = sf.query_all("SELECT Id, Email FROM Contact")
    assert everything["totalSize"] == 2101 and len(everything["records"]) == 2101


def test_crud_and_upsert(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    created = sf.Contact.create({"LastName": "New", "Email": "new@globex.com", "AccountId": "001000000000001"})
    assert created["success"] is True and created["errors"] == [] and len(created["id"]) == 18
    assert sf.Contact.update(created["id"], {"Title": "CTO"}) == 204
    assert sf.Contact.get(created["id"])["Title"] == "CTO"
    status = sf.Event.upsert(
        "IceCubes_Sync_Key__c/m-42",
        {"Subject": "Demo", "StartDateTime": "2024-05-01T09:00:00Z", "DurationInMinutes": 45},
    )
    assert status == 201
    assert sf.Event.upsert("IceCubes_Sync_Key__c/m-42", {"Subject": "Demo 2"}) == 200
    assert sf.Event.get_by_custom_id("IceCubes_Sync_Key__c", "m-42")["Subject"] == "Demo 2"
    assert sf.Contact.delete(created["id"]) == 204


def test_composite_through_restful(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    body = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/v60.0/sobjects/Account",
                    "referenceId": "acc",
                    "body": {"Name": "Comp"},
                },
                {
                    "method": "POST",
                    "url": "/services/data/v60.0/sobjects/Contact",
                    "referenceId": "con",
                    "body": {"LastName": "C", "AccountId": "@{acc.id}"},
                },
            ],
        },
    )
    statuses = [r["httpStatusCode"] for r in body["compositeResponse"]]
    assert statuses == [201, 201]
    assert body["compositeResponse"][1]["body"]["id"].startswith("003")


def test_limits(seeded: tuple[str, Salesforce]) -> None:
    _, sf = seeded
    limits = sf.limits()
    assert isinstance(limits["DailyApiRequests"]["Max"], int)
    assert limits["DailyApiRequests"]["Remaining"] < limits["DailyApiRequests"]["Max"]
    assert sf.api_usage["api-usage"].used >= 1


def test_errors_map_to_simple_salesforce_exceptions(sim: SimServer, seeded: tuple[str, Salesforce]) -> None:
    org_id, sf = seeded
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT FROM Contact")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as too_long:
        sf.Task.create({"Subject": "x" * 256})
    assert too_long.value.content[0]["errorCode"] == "STRING_TOO_LONG"
    sim.admin("POST", f"/__sim/orgs/{org_id}/expire-tokens")
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Contact")
    assert expired.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_api_disabled_edition_is_refused(sim: SimServer, base_doc: Any) -> None:
    org_id = f"ss{next(_IDS)}"
    sim.put_org(org_id, base_doc(edition="professional"))
    sf = _client(sim, org_id)
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Contact")
    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "API_DISABLED_FOR_ORG"
