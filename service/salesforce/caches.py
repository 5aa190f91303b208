"""Per-org caches that keep steady state at one read request: active Users by email, the describe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from service.domain.snapshot import SfUser


@dataclass
class _Entry:
    users: tuple[SfUser, ...]  # () = a cached miss: no active User has this email
    expires_at: float


class UserCache:
    """Active Users per org per email, hits and misses alike, for `ttl_s` seconds."""

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._orgs: dict[str, dict[str, _Entry]] = {}

    def lookup(self, org_id: str, emails: Iterable[str]) -> tuple[list[SfUser], list[str]]:
        """(cached users for the emails, emails not cached or expired)."""
        now = self._clock()
        entries = self._orgs.get(org_id, {})
        found: list[SfUser] = []
        missing: list[str] = []
        for email in emails:
            entry = entries.get(email.lower())
            if entry is None or entry.expires_at <= now:
                missing.append(email)
            else:
                found.extend(entry.users)
        return found, missing

    def store(self, org_id: str, asked: Iterable[str], users: Iterable[SfUser]) -> None:
        expires_at = self._clock() + self._ttl_s
        by_email: dict[str, list[SfUser]] = {}
        for found in users:
            by_email.setdefault(found.email.lower(), []).append(found)
        entries = self._orgs.setdefault(org_id, {})
        for email in asked:
            entries[email.lower()] = _Entry(tuple(by_email.get(email.lower(), ())), expires_at)

    def forget(self, org_id: str) -> None:
        self._orgs.pop(org_id, None)


class DescribeCache:
    """Whether Event and Task both carry the sync-key external id field, per org."""

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._orgs: dict[str, tuple[bool, float]] = {}

    def get(self, org_id: str) -> bool | None:
        entry = self._orgs.get(org_id)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def store(self, org_id: str, keyed: bool) -> None:
        self._orgs[org_id] = (keyed, self._clock() + self._ttl_s)

    def forget(self, org_id: str) -> None:
        self._orgs.pop(org_id, None)
