"""Per-org caches that keep steady state at one read request: active Users by email, the describe."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from service.domain.snapshot import SfUser


class UserCache:
    """All active Users of an org, for `ttl_s` seconds.

    Org-wide rather than per email: every meeting brings new external emails, and a per-email cache
    would need a Users query (a sixth query, so a second request) for nearly every first sync.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._orgs: dict[str, tuple[tuple[SfUser, ...], float]] = {}

    def get(self, org_id: str) -> tuple[SfUser, ...] | None:
        """The org's active Users, or None when cold or expired."""
        entry = self._orgs.get(org_id)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def store(self, org_id: str, users: Iterable[SfUser]) -> None:
        self._orgs[org_id] = (tuple(users), self._clock() + self._ttl_s)

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
