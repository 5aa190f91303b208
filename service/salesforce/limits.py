"""The org's daily API usage, as Salesforce reports it on every response (`Sforce-Limit-Info`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    used: int
    limit: int

    def above_reserve(self, reserve_fraction: float) -> bool:
        """True when the org has spent its budget down to the reserve kept for its own users."""
        return self.used >= reserve_fraction * self.limit


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """`api-usage=18/5000; api-bursts=1/750` -> ApiUsage(18, 5000); None when absent or garbled."""
    if not header:
        return None
    found = _API_USAGE.search(header)
    if found is None:
        return None
    return ApiUsage(int(found.group(1)), int(found.group(2)))


class UsageBook:
    """Latest known usage per org (this worker owns its orgs, so no coordination is needed).

    The limit is a rolling 24 hours, and an org refused for being over its reserve sends nothing that
    would tell us it recovered. So a reading over the reserve blocks for `recheck_s`; after that one
    request goes through as a probe and its `Sforce-Limit-Info` says whether the budget is back.
    """

    def __init__(self, recheck_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._usage: dict[str, ApiUsage] = {}
        self._measured_at: dict[str, float] = {}
        self._recheck_s = recheck_s
        self._clock = clock

    def record(self, org_id: str, header: str | None) -> None:
        usage = parse_limit_info(header)
        if usage is not None:
            self._usage[org_id] = usage
            self._measured_at[org_id] = self._clock()

    def blocking(self, org_id: str, reserve_fraction: float) -> ApiUsage | None:
        """The usage that forbids a request now, or None (including a probe after `recheck_s`)."""
        usage = self._usage.get(org_id)
        if usage is None or not usage.above_reserve(reserve_fraction):
            return None
        now = self._clock()
        if now - self._measured_at.get(org_id, now) >= self._recheck_s:
            self._measured_at[org_id] = now  # one probe per window, not one per waiting meeting
            return None
        return usage

    def mark_exhausted(self, org_id: str) -> None:
        """REQUEST_LIMIT_EXCEEDED without a header: treat the budget as spent until told otherwise."""
        known = self._usage.get(org_id)
        limit = known.limit if known else 1
        self._usage[org_id] = ApiUsage(max(limit, known.used if known else 1), limit)
        self._measured_at[org_id] = self._clock()

    def get(self, org_id: str) -> ApiUsage | None:
        return self._usage.get(org_id)

    def forget(self, org_id: str) -> None:
        self._usage.pop(org_id, None)
        self._measured_at.pop(org_id, None)
