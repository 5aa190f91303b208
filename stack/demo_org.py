"""The demo company: a Salesforce org with every matching path in it, and meetings that walk them.

Acme (verified domain acme.io) sells to TechCorp, Globex, Initech and Umbrella. Used by the demo,
the end-to-end tests and the benchmarks, so what the demo shows is what the tests check.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

ORG_ID = "acme"
REFRESH_TOKEN = "demo-refresh-token"  # noqa: S105 - a simulator credential, not a secret
SYNC_KEY_FIELDS = {
    "Event": [{"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}],
    "Task": [{"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}],
}

# Fixed ids make the report and the tests readable (valid 18-character ids with the right prefixes
# are produced by the simulator from these 15-character ones).
U_INTEGRATION, U_DANA, U_SAM, U_OLD, U_PARTNER = (
    "005000000000001", "005000000000002", "005000000000003", "005000000000004", "005000000000005",
)
A_TECHCORP, A_GLOBEX, A_INITECH, A_UMBRELLA = "001000000000001", "001000000000002", "001000000000003", "001000000000004"
C_JOHN, C_MARY, C_HANK, C_BOB, C_NATE = (
    "003000000000001", "003000000000002", "003000000000003", "003000000000004", "003000000000005",
)
O_EXPANSION, O_RENEWAL, O_PILOT, O_GLOBEX_OLD, O_INITECH, O_UMBRELLA_OLD = (
    "006000000000001", "006000000000002", "006000000000003", "006000000000004", "006000000000005", "006000000000006",
)
L_LISA, L_CONVERTED = "00Q000000000001", "00Q000000000002"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def org_document(now: datetime, *, keyed: bool = True, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The simulator's org document for Acme."""
    ago = lambda days: _ts(now - timedelta(days=days))  # noqa: E731 - a local shorthand
    doc: dict[str, Any] = {
        "edition": "enterprise",
        "oauth": {"client_id": "sfsync", "client_secret": "", "refresh_token": REFRESH_TOKEN, "access_token_ttl_s": 7200},
        "integration_user": U_INTEGRATION,
        "custom_fields": SYNC_KEY_FIELDS if keyed else {},
        "records": {
            "User": [
                {"Id": U_INTEGRATION, "Email": "integration@acme.io", "FirstName": "Sync", "LastName": "Integration",
                 "Username": "integration@acme.io", "IsActive": True, "UserType": "Standard"},
                {"Id": U_DANA, "Email": "dana@acme.io", "FirstName": "Dana", "LastName": "Seller",
                 "Username": "dana@acme.io", "IsActive": True, "UserType": "Standard"},
                {"Id": U_SAM, "Email": "sam@acme.io", "FirstName": "Sam", "LastName": "Manager",
                 "Username": "sam@acme.io", "IsActive": True, "UserType": "Standard"},
                {"Id": U_OLD, "Email": "former@acme.io", "FirstName": "Fred", "LastName": "Former",
                 "Username": "former@acme.io", "IsActive": False, "UserType": "Standard"},
                {"Id": U_PARTNER, "Email": "pia@partnerco.com", "FirstName": "Pia", "LastName": "Partner",
                 "Username": "pia@partnerco.com", "IsActive": True, "UserType": "PowerPartner"},
            ],
            "Account": [
                {"Id": A_TECHCORP, "Name": "TechCorp", "Website": "https://www.techcorp.com/about", "OwnerId": U_DANA},
                {"Id": A_GLOBEX, "Name": "Globex", "Website": "globex.com", "OwnerId": U_DANA},
                {"Id": A_INITECH, "Name": "Initech", "Website": "http://initech.com", "OwnerId": U_SAM},
                {"Id": A_UMBRELLA, "Name": "Umbrella", "Website": "www.umbrella.co", "OwnerId": U_SAM},
            ],
            "Contact": [
                {"Id": C_JOHN, "FirstName": "John", "LastName": "Smith", "Email": "john@techcorp.com",
                 "AccountId": A_TECHCORP, "LastActivityDate": ago(3)[:10]},
                {"Id": C_MARY, "FirstName": "Mary", "LastName": "Jones", "Email": "mary@techcorp.com",
                 "AccountId": A_TECHCORP, "LastActivityDate": ago(10)[:10]},
                {"Id": C_HANK, "FirstName": "Hank", "LastName": "Scorpio", "Email": "hank@globex.com",
                 "AccountId": A_GLOBEX},
                {"Id": C_BOB, "FirstName": "Bob", "LastName": "Ross", "Email": "bob@umbrella.co", "AccountId": A_UMBRELLA},
                {"Id": C_NATE, "FirstName": "Nate", "LastName": "Loner", "Email": "nate@freelance.dev"},
            ],
            "Lead": [
                {"Id": L_LISA, "FirstName": "Lisa", "LastName": "Lead", "Email": "lisa@startup.io", "Company": "Startup"},
                {"Id": L_CONVERTED, "LastName": "Converted", "Email": "carl@converted.com", "Company": "Conv",
                 "IsConverted": True},
            ],
            "Opportunity": [
                {"Id": O_EXPANSION, "Name": "TechCorp Expansion", "AccountId": A_TECHCORP, "OwnerId": U_SAM,
                 "StageName": "Proposal/Price Quote", "CloseDate": ago(-30)[:10], "CreatedDate": ago(60),
                 "LastModifiedDate": ago(5)},
                {"Id": O_RENEWAL, "Name": "TechCorp Renewal", "AccountId": A_TECHCORP, "OwnerId": U_DANA,
                 "StageName": "Qualification", "CloseDate": ago(-60)[:10], "CreatedDate": ago(30),
                 "LastModifiedDate": ago(1)},
                {"Id": O_PILOT, "Name": "Globex Pilot", "AccountId": A_GLOBEX, "OwnerId": U_DANA,
                 "StageName": "Prospecting", "CloseDate": ago(-20)[:10], "CreatedDate": ago(20),
                 "LastModifiedDate": ago(2)},
                {"Id": O_GLOBEX_OLD, "Name": "Globex 2024", "AccountId": A_GLOBEX, "OwnerId": U_SAM,
                 "StageName": "Closed Won", "CloseDate": ago(200)[:10], "CreatedDate": ago(300),
                 "LastModifiedDate": ago(200)},
                {"Id": O_INITECH, "Name": "Initech Platform", "AccountId": A_INITECH, "OwnerId": U_SAM,
                 "StageName": "Needs Analysis", "CloseDate": ago(-45)[:10], "CreatedDate": ago(40),
                 "LastModifiedDate": ago(4)},
                {"Id": O_UMBRELLA_OLD, "Name": "Umbrella 2023", "AccountId": A_UMBRELLA, "OwnerId": U_SAM,
                 "StageName": "Closed Lost", "CloseDate": ago(500)[:10], "CreatedDate": ago(600),
                 "LastModifiedDate": ago(500)},
            ],
            "OpportunityContactRole": [
                {"OpportunityId": O_EXPANSION, "ContactId": C_JOHN, "IsPrimary": True, "Role": "Decision Maker"},
                {"OpportunityId": O_EXPANSION, "ContactId": C_MARY, "IsPrimary": False, "Role": "Evaluator"},
            ],
        },
    }
    doc.update(extra or {})
    return doc


def meeting(
    meeting_id: str,
    title: str,
    participants: list[tuple[str, str]],
    *,
    now: datetime,
    owner: str = "dana@acme.io",
    minutes: int = 30,
    revision: int = 1,
    action_items: list[dict[str, Any]] | None = None,
    insights: dict[str, Any] | None = None,
    summary: str = "We discussed the roll-out plan and next steps.",
    org_id: str = ORG_ID,
    platform: str = "zoom",
    ended_minutes_ago: int = 5,
) -> dict[str, Any]:
    ended = now - timedelta(minutes=ended_minutes_ago)
    return {
        "schema_version": 1,
        "event_id": f"{meeting_id}-r{revision}",
        "org_id": org_id,
        "meeting_id": meeting_id,
        "revision": revision,
        "title": title,
        "platform": platform,
        "started_at": (ended - timedelta(minutes=minutes)).isoformat(),
        "ended_at": ended.isoformat(),
        "owner": {"email": owner, "name": owner.split("@", maxsplit=1)[0].title()},
        "participants": [{"email": email, "name": name} for email, name in participants],
        "summary": {"text": summary, "key_points": ["Pricing reviewed", "Security review next week"]},
        "insights": insights,
        "action_items": action_items or [],
    }


INSIGHTS = {
    "competitors": ["Initrode"],
    "objections": ["Price is above budget"],
    "meddic": {"metrics": ["Cut onboarding time by 30%"], "economic_buyer": ["CFO Jane"], "decision_criteria": [],
               "decision_process": ["Security review, then procurement"], "identify_pain": ["Manual reporting"],
               "champion": ["John Smith"]},
    "pricing": ["Asked for a 3-year discount"],
}


def demo_meetings(now: datetime | None = None) -> list[dict[str, Any]]:
    """A dozen meetings, one per thing worth showing; see the README's demo section."""
    now = now or datetime.now(UTC)
    dana = ("dana@acme.io", "Dana Seller")
    return [
        meeting("m-ocr", "TechCorp expansion review", [dana, ("john@techcorp.com", "John"), ("mary@techcorp.com", "Mary")],
                now=now, insights=INSIGHTS, action_items=[
                    {"id": "ai-1", "text": "Send the security questionnaire to John", "assignee_email": "sam@acme.io",
                     "priority": "high", "due_date": (now + timedelta(days=3)).date().isoformat()},
                    {"id": "ai-2", "text": "Prepare the 3-year pricing option", "assignee_email": "dana@acme.io"},
                ]),
        meeting("m-owned", "Globex pilot check-in", [dana, ("hank@globex.com", "Hank")], now=now,
                action_items=[{"id": "ai-1", "text": "Share pilot success criteria", "assignee_email": "nobody@acme.io"}]),
        meeting("m-account", "Globex intro with Sam", [("sam@acme.io", "Sam"), ("hank@globex.com", "Hank")], now=now,
                owner="sam@acme.io"),
        meeting("m-domain", "Initech discovery", [dana, ("peter@initech.com", "Peter")], now=now),
        meeting("m-account-only", "Umbrella catch-up", [dana, ("bob@umbrella.co", "Bob")], now=now),
        meeting("m-lead", "Startup demo", [dana, ("lisa@startup.io", "Lisa")], now=now,
                action_items=[{"id": "ai-1", "text": "Send trial invite to Lisa", "assignee_email": "dana@acme.io"}]),
        meeting("m-none", "Coffee with a freelancer", [dana, ("someone@gmail.com", "Someone")], now=now),
        meeting("m-internal", "Weekly pipeline review", [dana, ("sam@acme.io", "Sam")], now=now),
        meeting("m-short", "Quick call", [dana, ("john@techcorp.com", "John")], now=now, minutes=3),
        meeting("m-long-title", "Q" * 300, [dana, ("john@techcorp.com", "John")], now=now, summary="S" * 40_000),
        meeting("m-ocr", "TechCorp expansion review", [dana, ("john@techcorp.com", "John"), ("mary@techcorp.com", "Mary")],
                now=now, revision=2, insights=INSIGHTS, action_items=[
                    {"id": "ai-1", "text": "Send the security questionnaire to John", "assignee_email": "sam@acme.io",
                     "priority": "high", "status": "completed", "due_date": (now + timedelta(days=3)).date().isoformat()},
                    {"id": "ai-2", "text": "Prepare the 3-year pricing option", "assignee_email": "dana@acme.io"},
                    {"id": "ai-3", "text": "Book the procurement call", "assignee_email": "sam@acme.io"},
                ]),
    ]
