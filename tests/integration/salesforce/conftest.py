"""A running simulator (in-process, own thread, HTTPS with its own CA) and clients wired to it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from service.config import Settings
from service.crypto import TokenCipher, new_key
from service.domain.messages import Crm, OrgConfig, SalesforceConnection
from service.salesforce import SalesforceClient

pytestmark = pytest.mark.integration

sfsim_testing = pytest.importorskip("sfsim.testing")

CLIENT_ID = "sfsync-test"
CLIENT_SECRET = "sfsync-test-secret"
KEY_FIELD = {"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}
_ORG_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def sim() -> Iterator[Any]:
    with sfsim_testing.SimThread() as server:
        yield server


@pytest.fixture(scope="session")
def cipher() -> TokenCipher:
    return TokenCipher([new_key()])


@pytest.fixture
def settings(sim: Any, cipher: TokenCipher) -> Settings:
    port = sim.base_url.rsplit(":", 1)[1]
    return Settings(
        instance_allowlist=f"127.0.0.1:{port}",
        ca_file=str(sim.ca_file),
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=SecretStr(CLIENT_SECRET),
        connect_timeout_s=2.0,
        request_timeout_s=1.5,
        client_retries=3,
        client_retry_budget_s=4.0,
    )


@pytest.fixture
async def client(settings: Settings, cipher: TokenCipher) -> AsyncIterator[SalesforceClient]:
    sf = SalesforceClient(settings, cipher)
    await sf.start()
    yield sf
    await sf.close()


@dataclass
class SimOrg:
    org_id: str
    config: OrgConfig
    ids: dict[str, list[str]]
    sim: Any

    def stats(self) -> dict[str, Any]:
        return self.sim.admin("GET", f"/__sim/orgs/{self.org_id}/stats")  # type: ignore[no-any-return]

    def api_requests(self) -> int:
        return int(self.stats()["api_requests"])

    def records(self, sobject: str) -> list[dict[str, Any]]:
        return self.sim.admin("GET", f"/__sim/orgs/{self.org_id}/records/{sobject}")["records"]  # type: ignore[no-any-return]

    def admin(self, method: str, what: str, body: Any = None) -> Any:
        return self.sim.admin(method, f"/__sim/orgs/{self.org_id}/{what}", body)


MakeOrg = Callable[..., SimOrg]


@pytest.fixture
def make_org(sim: Any, cipher: TokenCipher) -> MakeOrg:
    def make(
        *,
        keyed: bool = True,
        records: dict[str, list[dict[str, Any]]] | None = None,
        instance_url: str | None = None,
        login_url: str | None = None,
        oauth: dict[str, Any] | None = None,
        **doc: Any,
    ) -> SimOrg:
        org_id = f"org{next(_ORG_NUMBERS)}"
        refresh = f"rt-{org_id}"
        body: dict[str, Any] = {
            "edition": "enterprise",
            "now": "2026-06-01T12:00:00Z",
            "oauth": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": refresh} | (oauth or {}),
            "records": {
                "User": [
                    {"Email": "integration@ours.example", "FirstName": "Int", "LastName": "User"},
                    {"Email": "rep@ours.example", "FirstName": "Rita", "LastName": "Rep"},
                ]
            }
            | (records or {}),
        }
        if keyed:
            body["custom_fields"] = {"Event": [KEY_FIELD], "Task": [KEY_FIELD]}
        body |= doc
        created = sim.put_org(org_id, body)
        config = OrgConfig(
            org_id=org_id,
            crm=Crm.SALESFORCE,
            salesforce=SalesforceConnection(
                instance_url=instance_url or sim.base_url,
                access_token=None,
                refresh_token=cipher.encrypt(refresh),
                login_url=login_url or sim.base_url,
            ),
            updated_at=datetime(2026, 6, 1, tzinfo=UTC),
        )
        return SimOrg(org_id, config, created.get("records", {}), sim)

    return make
