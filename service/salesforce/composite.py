"""`POST /composite`: up to 25 subrequests, at most 5 of them queries or sObject Collections, 1 API call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.errors import SyncError
from service.salesforce.tokens import OrgSession
from service.salesforce.transport import CallCounter, Inspect, Transport

MAX_SUBREQUESTS = 25
MAX_HEAVY_SUBREQUESTS = 5  # queries and sObject Collections


@dataclass(frozen=True)
class SubRequest:
    reference_id: str
    method: str
    url: str  # /services/data/vXX.X/...
    body: Any = None
    heavy: bool = False  # a query or a collection: counts toward the 5
    sobject: str = ""


@dataclass(frozen=True)
class SubResponse:
    reference_id: str
    status: int
    body: Any


def fits(subrequests: list[SubRequest]) -> bool:
    return len(subrequests) <= MAX_SUBREQUESTS and sum(s.heavy for s in subrequests) <= MAX_HEAVY_SUBREQUESTS


async def send_composite(
    transport: Transport,
    session: OrgSession,
    api_version: str,
    subrequests: list[SubRequest],
    *,
    all_or_none: bool,
    counter: CallCounter,
    inspect: Inspect | None = None,
    idempotent: bool = True,
) -> dict[str, SubResponse]:
    """Send one composite request; the subresponses by referenceId. Writes pass `idempotent=False`."""
    if not subrequests or not fits(subrequests):
        raise ValueError("a composite request needs 1-25 subrequests with at most 5 queries/collections")
    payload = {
        "allOrNone": all_or_none,
        "collateSubrequests": False,
        "compositeRequest": [
            {"method": s.method, "url": s.url, "referenceId": s.reference_id}
            | ({"body": s.body} if s.body is not None else {})
            for s in subrequests
        ],
    }
    response = await transport.request(
        session,
        "POST",
        f"/services/data/{api_version}/composite",
        counter=counter,
        json=payload,
        inspect=inspect,
        idempotent=idempotent,
    )
    items = response.body.get("compositeResponse") if isinstance(response.body, dict) else None
    if not isinstance(items, list):
        raise SyncError("Salesforce returned an unexpected composite response", detail="no compositeResponse")
    found: dict[str, SubResponse] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("referenceId"), str):
            found[item["referenceId"]] = SubResponse(
                item["referenceId"], int(item.get("httpStatusCode") or 0), item.get("body")
            )
    return found


def composite_items(body: Any) -> list[dict[str, Any]]:
    """The subresponses of a raw composite body (for inspectors that run before parsing)."""
    items = body.get("compositeResponse") if isinstance(body, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
