"""API requests per meeting (from the simulator's stats) for 1/10/200 participants and 1/60 action items.

Run: `.venv/bin/python bench/api_calls.py` (starts an in-process simulator; needs no broker).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration" / "salesforce")]

from meeting_plans import meeting_plan, read_request  # noqa: E402

from service.config import Settings  # noqa: E402
from service.crypto import TokenCipher, new_key  # noqa: E402
from service.domain.messages import Crm, OrgConfig, SalesforceConnection  # noqa: E402
from service.salesforce import SalesforceClient  # noqa: E402
from sfsim.testing import SimThread  # noqa: E402

KEY_FIELD = {"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}


def stats(sim: Any, org_id: str) -> int:
    return int(sim.admin("GET", f"/__sim/orgs/{org_id}/stats")["api_requests"])


async def measure(sim: Any, keyed: bool) -> list[tuple[str, int, int, int, int, int]]:
    cipher = TokenCipher([new_key()])
    settings = Settings(
        instance_allowlist=sim.base_url.removeprefix("https://"),
        ca_file=str(sim.ca_file),
        oauth_client_id="bench",
        oauth_client_secret=SecretStr("bench-secret"),
    )
    client = SalesforceClient(settings, cipher)
    await client.start()
    rows = []
    try:
        for participants in (1, 10, 200):
            for items in (1, 60):
                org_id = f"bench-{'k' if keyed else 'u'}-{participants}-{items}"
                doc: dict[str, Any] = {
                    "edition": "enterprise",
                    "oauth": {"client_id": "bench", "client_secret": "bench-secret", "refresh_token": f"rt-{org_id}"},
                    "records": {
                        "User": [{"Email": "rep@ours.example", "LastName": "Rep"}],
                        "Account": [{"Name": "Acme", "Website": "acme.example"}],
                    },
                }
                if keyed:
                    doc["custom_fields"] = {"Event": [KEY_FIELD], "Task": [KEY_FIELD]}
                created = sim.put_org(org_id, doc)["records"]
                org = OrgConfig(
                    org_id=org_id,
                    crm=Crm.SALESFORCE,
                    salesforce=SalesforceConnection(
                        instance_url=sim.base_url, refresh_token=cipher.encrypt(f"rt-{org_id}"), login_url=sim.base_url
                    ),
                    updated_at=datetime(2026, 6, 1, tzinfo=UTC),
                )
                emails = tuple(f"p{i}@company{i % 9}.example" for i in range(participants))
                cold_before = stats(sim, org_id)
                await client.read(org, read_request("warmup", emails=emails, items=items, anchor=True))
                cold = stats(sim, org_id) - cold_before
                before = stats(sim, org_id)
                read = await client.read(org, read_request("m1", emails=emails, items=items, anchor=False))
                after_read = stats(sim, org_id)
                plan = meeting_plan(
                    "m1",
                    keyed=read.snapshot.has_sync_key_field,
                    parent_id=created["Account"][0],
                    items=items,
                    attendees=tuple(created["User"]),
                )
                written = await client.write(org, plan)
                after_write = stats(sim, org_id)
                assert not written.records.errors, written.records.errors
                kind = "keyed" if keyed else "unkeyed"
                rows.append((kind, participants, items, cold, after_read - before, after_write - after_read))
    finally:
        await client.close()
    return rows


def main() -> None:
    with SimThread() as sim:
        print(f"{'org':8} {'participants':>12} {'items':>6} {'cold read':>10} {'read':>5} {'write':>6}")
        for keyed in (True, False):
            for org, participants, items, cold, read, write in asyncio.run(measure(sim, keyed)):
                print(f"{org:8} {participants:>12} {items:>6} {cold:>10} {read:>5} {write:>6}")


if __name__ == "__main__":
    main()
