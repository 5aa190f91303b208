"""One simulated org (edition, limits, OAuth, users, data, clock, faults, stats) and the registry of orgs."""

from __future__ import annotations

import itertools
import secrets
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clock import OrgClock, parse_instant
from .errors import SfError, invalid_session
from .faults import Faults
from .ids import to18

API_EDITIONS = {"enterprise", "unlimited", "performance", "developer"}
EDITIONS = API_EDITIONS | {"professional", "essentials", "group", "contact_manager", "starter"}
_LOG_CAP = 10_000
_CURSOR_CAP = 200
_CURSORS = itertools.count(1)
_DAY = timedelta(hours=24)


@dataclass
class OAuthConfig:
    client_id: str = "sfsim-client"
    client_secret: str = "sfsim-secret"
    refresh_token: str | None = None
    access_token_ttl_s: float = 7200.0
    rotate_refresh_tokens: bool = False
    access_token: str | None = None  # optional pre-minted token (benchmarks, simple tests)


@dataclass
class Stats:
    api_requests: int = 0
    token_requests: int = 0
    by_resource: Counter[str] = field(default_factory=Counter)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_LOG_CAP))

    def as_dict(self) -> dict[str, Any]:
        return {
            "api_requests": self.api_requests,
            "by_resource": dict(self.by_resource),
            "log": list(self.log),
            "token_requests": self.token_requests,
        }


@dataclass
class ValidationRule:
    sobject: str
    field: str
    contains: str
    message: str
    error_field: str | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ValidationRule:
        return cls(
            sobject=doc["sobject"],
            field=doc["field"],
            contains=doc["contains"],
            message=doc.get("message", f"{doc['field']} is not allowed"),
            error_field=doc.get("error_field"),
        )


def sf_org_id(name: str) -> str:
    """A stable 18-char Organization id (prefix 00D) derived from the admin's org name."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    n = int.from_bytes(name.encode(), "big") % (62**9)
    serial = ""
    for _ in range(9):
        n, r = divmod(n, 62)
        serial = alphabet[r] + serial
    return to18("00D5g0" + serial)


class Org:
    """All state of one simulated Salesforce org."""

    def __init__(self, org_id: str, doc: dict[str, Any], store: Any) -> None:
        self.org_id = org_id
        self.sf_id = sf_org_id(org_id)
        edition = str(doc.get("edition", "enterprise")).lower()
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition!r}; one of {sorted(EDITIONS)}")
        self.edition = edition
        self.api_addon = bool(doc.get("api_addon", False))
        self.licenses: int | None = doc.get("licenses")
        self.daily_api_limit_override: int | None = doc.get("daily_api_limit")
        self.multiday_events = bool(doc.get("multiday_events", False))
        oauth = dict(doc.get("oauth") or {})
        self.oauth = OAuthConfig(**oauth)
        self.permissions: dict[str, str] = {k: str(v).lower() for k, v in (doc.get("permissions") or {}).items()}
        self.validation_rules = [ValidationRule.from_doc(r) for r in doc.get("validation_rules") or []]
        self.faults = Faults.from_doc(doc.get("faults"))
        self.clock = OrgClock()
        if doc.get("now"):
            self.clock.set(parse_instant(doc["now"]))
        self.integration_user_ref: str | None = doc.get("integration_user")
        self.store = store
        self.stats = Stats()
        self._window: deque[datetime] = deque()
        self.cursors: dict[str, tuple[list[dict[str, Any]], int]] = {}
        self.api_disabled_users: set[str] = set()

    # --- identity -------------------------------------------------------------------------
    def connected_user(self) -> dict[str, Any] | None:
        """The user the connection acts as: `integration_user` (id or email), else the first active User."""
        users = list(self.store.records("User"))
        ref = self.integration_user_ref
        if ref:
            for user in users:
                email = (user.get("Email") or "").lower()
                if user["Id"] == ref or user["Id"][:15] == ref[:15] or email == ref.lower():
                    return user
            return None
        for user in users:
            if user.get("IsActive", True):
                return user
        return None

    # --- API access and limits --------------------------------------------------------------
    def has_api(self) -> bool:
        return self.edition in API_EDITIONS or (self.edition == "professional" and self.api_addon)

    def daily_limit(self) -> int:
        if self.daily_api_limit_override is not None:
            return int(self.daily_api_limit_override)
        if self.edition == "developer":
            return 15_000
        licenses = self.licenses
        if licenses is None:
            licenses = sum(
                1
                for u in self.store.records("User")
                if u.get("IsActive", True) and (u.get("UserType") or "Standard") == "Standard"
            )
        per_license = 5_000 if self.edition in {"unlimited", "performance"} else 1_000
        return 100_000 + licenses * per_license

    def used_in_window(self) -> int:
        """Calls counted in the rolling 24 h before the org clock's now."""
        cutoff = self.clock.now() - _DAY
        window = self._window
        while window and window[0] <= cutoff:
            window.popleft()
        return len(window)

    def check_access(self) -> None:
        """The refusals every API call meets before doing anything (edition, user, daily limit)."""
        if not self.has_api():
            raise SfError(403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
        user = self.connected_user()
        if user is not None and user["Id"] in self.api_disabled_users:
            raise SfError(403, "API_CURRENTLY_DISABLED", "API is disabled for this User")
        if self.used_in_window() >= self.daily_limit():
            raise SfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    def count_call(self, resource: str) -> None:
        self.stats.api_requests += 1
        self.stats.by_resource[resource] += 1
        self._window.append(self.clock.now())

    def limit_header(self) -> str:
        return f"api-usage={self.used_in_window()}/{self.daily_limit()}"

    def reset_stats(self) -> None:
        self.stats = Stats()
        self._window.clear()

    # --- query cursors -----------------------------------------------------------------------
    def new_cursor(self, records: list[dict[str, Any]], batch: int) -> str:
        """Remember a query's rows for `query/<locator>-<offset>` paging; oldest cursors are dropped."""
        locator = to18("01g5g0" + f"{next(_CURSORS):09d}")
        self.cursors[locator] = (records, batch)
        while len(self.cursors) > _CURSOR_CAP:
            self.cursors.pop(next(iter(self.cursors)))
        return locator

    # --- permissions ------------------------------------------------------------------------
    def can_read(self, sobject: str) -> bool:
        return self.permissions.get(sobject, "edit") != "none"

    def can_write(self, sobject: str) -> bool:
        return self.permissions.get(sobject, "edit") not in {"none", "read"}


@dataclass
class AccessToken:
    token: str
    org: Org
    issued_at: datetime
    refresh_token: str | None


class Registry:
    """All orgs and the tokens that route requests to them."""

    def __init__(self) -> None:
        self.orgs: dict[str, Org] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, Org] = {}
        self.base_url = ""

    def put_org(self, org: Org) -> None:
        """Add or replace an org. A refresh token names exactly one org, as in Salesforce."""
        owner = self.refresh_tokens.get(org.oauth.refresh_token or "")
        if owner is not None and owner.org_id != org.org_id:
            raise ValueError(f"refresh token already belongs to org {owner.org_id}")
        self.drop_org(org.org_id)
        self.orgs[org.org_id] = org
        if org.oauth.refresh_token is None:
            org.oauth.refresh_token = f"5Aep{secrets.token_urlsafe(24)}"
        self.refresh_tokens[org.oauth.refresh_token] = org
        if org.oauth.access_token:
            self.access_tokens[org.oauth.access_token] = AccessToken(
                org.oauth.access_token, org, org.clock.now(), org.oauth.refresh_token
            )

    def drop_org(self, org_id: str) -> None:
        old = self.orgs.pop(org_id, None)
        if old is None:
            return
        self.access_tokens = {k: v for k, v in self.access_tokens.items() if v.org is not old}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v is not old}

    def mint_access_token(self, org: Org, refresh_token: str | None) -> AccessToken:
        token = f"{org.sf_id[:15]}!AQ{secrets.token_urlsafe(40)}"
        entry = AccessToken(token, org, org.clock.now(), refresh_token)
        self.access_tokens[token] = entry
        return entry

    def resolve(self, token: str) -> Org:
        """The org of a live access token, else 401 INVALID_SESSION_ID."""
        entry = self.access_tokens.get(token)
        if entry is None:
            raise invalid_session()
        org = entry.org
        if (org.clock.now() - entry.issued_at).total_seconds() >= org.oauth.access_token_ttl_s:
            del self.access_tokens[token]
            raise invalid_session()
        return org

    def expire_tokens(self, org: Org) -> int:
        doomed = [k for k, v in self.access_tokens.items() if v.org is org]
        for key in doomed:
            del self.access_tokens[key]
        return len(doomed)

    def revoke(self, org: Org, refresh_token: str | None = None) -> int:
        """Revoke the org's refresh token(s) (or one) and the access tokens minted from them."""
        doomed = [k for k, v in self.refresh_tokens.items() if v is org and (refresh_token in (None, k))]
        for key in doomed:
            del self.refresh_tokens[key]
        self.access_tokens = {
            k: v for k, v in self.access_tokens.items() if not (v.org is org and v.refresh_token in doomed)
        }
        return len(doomed)
