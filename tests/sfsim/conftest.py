"""Fixtures for the simulator's tests: one HTTPS simulator per session, a fresh org per test."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from sfsim.testing import SimServer, SimThread

API = "/services/data/v60.0"
_ORG_IDS = itertools.count(1)


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with SimThread(ca_dir=tmp_path_factory.mktemp("sfsim-ca")) as server:
        yield server


@pytest.fixture(name="base_doc")
def base_doc_fixture() -> Any:
    """The org document factory, as a fixture (test modules here are not a package)."""
    return base_doc


def base_doc(**overrides: Any) -> dict[str, Any]:
    """A small enterprise org: one integration user, an account, a contact, fixed clock."""
    doc: dict[str, Any] = {
        "edition": "enterprise",
        "now": "2024-05-01T10:00:00Z",
        "oauth": {"client_id": "cid", "client_secret": "secret", "refresh_token": None},
        "custom_fields": {
            "Event": [
                {"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}
            ],
            "Task": [
                {"name": "IceCubes_Sync_Key__c", "type": "string", "length": 255, "external_id": True, "unique": True}
            ],
        },
        "records": {
            "User": [
                {"Id": "005000000000001", "Email": "rep@acme.com", "FirstName": "Rita", "LastName": "Rep"},
                {"Email": "gone@acme.com", "LastName": "Gone", "IsActive": False},
            ],
            "Account": [{"Id": "001000000000001", "Name": "Globex", "Website": "www.globex.com"}],
            "Contact": [
                {
                    "Id": "003000000000001",
                    "LastName": "Buyer",
                    "Email": "Buyer@Globex.com",
                    "AccountId": "001000000000001",
                }
            ],
            "Lead": [{"Id": "00Q000000000001", "LastName": "Lee", "Company": "Initech", "Email": "lee@initech.com"}],
        },
    }
    doc.update(overrides)
    return doc


class Org:
    """One seeded org and an authenticated aiohttp client for it."""

    def __init__(self, sim: SimServer, session: aiohttp.ClientSession, org_id: str, info: dict[str, Any]) -> None:
        self.sim = sim
        self.session = session
        self.org_id = org_id
        self.info = info
        self.token = ""

    @property
    def ssl(self) -> Any:
        return self.sim.ssl_context()

    async def login(self) -> dict[str, Any]:
        status, body, _ = await self.oauth(
            grant_type="refresh_token",
            refresh_token=self.info["oauth"]["refresh_token"],
            client_id=self.info["oauth"]["client_id"],
            client_secret="secret",
        )
        assert status == 200, body
        self.token = body["access_token"]
        return body

    async def oauth(self, **form: str) -> tuple[int, Any, Any]:
        async with self.session.post(self.sim.base_url + "/services/oauth2/token", data=form, ssl=self.ssl) as resp:
            return resp.status, await resp.json(), resp.headers

    async def call(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, Any, Any]:
        hdrs = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        url = self.sim.base_url + (path if path.startswith("/") else f"{API}/{path}")
        async with self.session.request(method, url, json=json, headers=hdrs, ssl=self.ssl, **kw) as resp:
            raw = await resp.read()
            body = await resp.json() if raw else None
            return resp.status, body, resp.headers

    async def admin(self, method: str, path: str, json: Any = None) -> Any:
        url = f"{self.sim.base_url}/__sim/orgs/{self.org_id}{path}"
        async with self.session.request(method, url, json=json, ssl=self.ssl) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json()

    async def query(self, soql: str) -> Any:
        status, body, _ = await self.call("GET", "query", params={"q": soql})
        assert status == 200, body
        return body


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def make_org(sim: SimServer, session: aiohttp.ClientSession) -> Any:
    """`await make_org(doc)` seeds a new org (a unique id) and logs in."""

    async def make(doc: dict[str, Any] | None = None, *, login: bool = True) -> Org:
        org_id = f"org{next(_ORG_IDS)}"
        url = f"{sim.base_url}/__sim/orgs/{org_id}"
        async with session.put(url, json=doc or base_doc(), ssl=sim.ssl_context()) as resp:
            info = await resp.json()
            assert resp.status == 200, info
        org = Org(sim, session, org_id, info)
        if login:
            await org.login()
        return org

    return make
