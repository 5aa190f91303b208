"""Query paging in the reader: bounded, and never silently."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from structlog.testing import capture_logs

from service.salesforce.caches import DescribeCache, UserCache
from service.salesforce.composite import SubRequest, SubResponse
from service.salesforce.reads import MAX_PAGES, Reader
from service.salesforce.tokens import OrgSession
from service.salesforce.transport import CallCounter, SfResponse


def session() -> OrgSession:
    return OrgSession("o", datetime(2026, 6, 1, tzinfo=UTC), "", "https://a.my.salesforce.com", "", "rt", "at")


def page(n: int, *, done: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": 10_000, "done": done, "records": [{"Id": f"005{n:015d}"}]}
    if not done:
        body["nextRecordsUrl"] = f"/services/data/v60.0/query/01g-{n + 1}"
    return body


class EndlessPages:
    """A transport whose query never ends: every page points at another one."""

    def __init__(self) -> None:
        self.requests = 0

    async def request(self, _session: OrgSession, _method: str, _path: str, **kwargs: Any) -> SfResponse:
        self.requests += 1
        kwargs["counter"].calls += 1
        return SfResponse(200, page(self.requests, done=False))


async def test_a_query_longer_than_the_page_limit_is_cut_with_a_warning() -> None:
    transport = EndlessPages()
    reader = Reader(transport, "v60.0", UserCache(60, lambda: 0.0), DescribeCache(60, lambda: 0.0))  # type: ignore[arg-type]
    sub = SubRequest("q0_users", "GET", "/services/data/v60.0/query?q=x", heavy=True, sobject="User")
    counter = CallCounter()
    with capture_logs() as logs:
        records = await reader._records(session(), SubResponse("q0_users", 200, page(0, done=False)), sub, counter)
    assert len(records) == 1 + MAX_PAGES and transport.requests == MAX_PAGES == counter.calls
    warnings = [e for e in logs if e["event"] == "salesforce.query_truncated"]
    assert len(warnings) == 1
    assert warnings[0]["fetched"] == 1 + MAX_PAGES and warnings[0]["total"] == 10_000
    assert warnings[0]["log_level"] == "warning" and warnings[0]["sobject"] == "User"


async def test_a_finished_query_logs_nothing() -> None:
    transport = EndlessPages()
    reader = Reader(transport, "v60.0", UserCache(60, lambda: 0.0), DescribeCache(60, lambda: 0.0))  # type: ignore[arg-type]
    sub = SubRequest("q0_users", "GET", "/services/data/v60.0/query?q=x", heavy=True, sobject="User")
    with capture_logs() as logs:
        records = await reader._records(session(), SubResponse("q0_users", 200, page(0, done=True)), sub, CallCounter())
    assert len(records) == 1 and transport.requests == 0
    assert not [e for e in logs if e["event"] == "salesforce.query_truncated"]
