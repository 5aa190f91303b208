"""HTTP to Salesforce: one pooled session, the allowlist, auth and refresh, limits, retries.

Nothing aiohttp-shaped leaves this module: callers get `SfResponse` or a `service.errors` error.

Retries in-process: reads are resent after any transient failure. A write (or a token refresh, which
rotates the refresh token) is resent only when Salesforce certainly did not apply it: the connection
was never made, or Salesforce answered that it rolled everything back (`NotApplied`). After a timeout,
a broken connection or a 5xx it may have committed, so the TransientError goes to the pipeline, whose
next attempt reads the anchor before writing again.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from yarl import URL

from service.config import Settings
from service.errors import ApiLimitReached, ConnectionExpired, SyncError, TransientError
from service.salesforce.failures import errors_in, raise_for_status, redact
from service.salesforce.hosts import checked_origin
from service.salesforce.limits import UsageBook
from service.salesforce.tokens import OrgSession

log = structlog.get_logger(__name__)

_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 8.0


@dataclass
class CallCounter:
    """API requests Salesforce counts against the org's daily limit (token requests do not count)."""

    calls: int = 0


class NotApplied(TransientError):
    """A transient failure that certainly left nothing applied in Salesforce: resending is safe."""


class _Unanswered(TransientError):
    """The request may have reached Salesforce (and been counted, even applied): no answer came back."""


@dataclass(frozen=True)
class SfResponse:
    status: int
    body: Any


Inspect = Callable[[SfResponse], None]


class Transport:
    def __init__(
        self,
        settings: Settings,
        usage: UsageBook,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._usage = usage
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._http: aiohttp.ClientSession | None = None
        self._patterns = settings.allowlist_patterns()

    async def start(self) -> None:
        if self._http is not None:
            return
        context = ssl.create_default_context()
        if self._settings.ca_file:
            context.load_verify_locations(cafile=self._settings.ca_file)
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, limit=200),
            timeout=aiohttp.ClientTimeout(
                total=self._settings.request_timeout_s, sock_connect=self._settings.connect_timeout_s
            ),
            raise_for_status=False,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("SalesforceClient.start() was not awaited")
        return self._http

    def check_hosts(self, session: OrgSession) -> URL:
        """Both hosts a token may go to must be allowlisted, before anything is sent."""
        checked_origin(session.login_url, self._patterns, what="login URL")
        return checked_origin(session.instance_url, self._patterns, what="instance URL")

    def refuse_if_over_reserve(self, org_id: str) -> None:
        usage = self._usage.blocking(org_id, self._settings.api_reserve_fraction)
        if usage is not None:
            raise ApiLimitReached(
                "the org's Salesforce API usage is above the reserve kept for its own users; deferred",
                detail=f"api-usage={usage.used}/{usage.limit}",
            )

    # ------------------------------------------------------------------ retries

    def _backoff(self, attempt: int) -> float:
        return self._rng.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt))

    async def pause(self, attempt: int) -> None:
        """Back off before resending records Salesforce did not apply (attempt 0, 1, ...)."""
        await self._sleep(self._backoff(attempt))

    async def _retrying(
        self,
        what: str,
        org_id: str,
        attempt_once: Callable[[], Awaitable[SfResponse]],
        *,
        idempotent: bool,
    ) -> SfResponse:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return await attempt_once()
            except TransientError as exc:
                if not idempotent and not isinstance(exc, NotApplied):
                    # It may have been applied: resending could apply it twice.
                    log.warning("salesforce.not_resent", org_id=org_id, what=what, detail=exc.detail)
                    raise
                delay = self._backoff(attempt)
                elapsed = time.monotonic() - started
                if attempt >= self._settings.client_retries or elapsed + delay > self._settings.client_retry_budget_s:
                    log.warning("salesforce.retries_exhausted", org_id=org_id, what=what, detail=exc.detail)
                    raise
                attempt += 1
                log.info("salesforce.retry", org_id=org_id, what=what, attempt=attempt, detail=exc.detail)
                await self._sleep(delay)

    async def _send(
        self, method: str, url: URL, *, headers: dict[str, str], json: Any = None, data: Any = None
    ) -> tuple[int, Any, str | None]:
        try:
            async with self._client().request(method, url, headers=headers, json=json, data=data) as resp:
                raw = await resp.read()
                limit_info = resp.headers.get("Sforce-Limit-Info")
                body: Any = None
                if raw:
                    try:
                        body = await resp.json(content_type=None)
                    except ValueError:
                        body = raw[:500].decode(errors="replace")
                return resp.status, body, limit_info
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # No connection was made (refused, DNS, TLS, connect timeout): nothing was sent.
            raise NotApplied("could not reach Salesforce", detail=type(exc).__name__) from None
        except TimeoutError as exc:  # aiohttp's read timeouts included
            raise _Unanswered("Salesforce did not answer in time", detail=type(exc).__name__) from None
        except aiohttp.ClientError as exc:
            raise _Unanswered("the connection to Salesforce broke", detail=type(exc).__name__) from None

    # ------------------------------------------------------------------ API requests

    async def request(
        self,
        session: OrgSession,
        method: str,
        path: str,
        *,
        counter: CallCounter,
        json: Any = None,
        sobject: str = "",
        inspect: Inspect | None = None,
        idempotent: bool = True,
    ) -> SfResponse:
        """One API request to the org's instance.

        `idempotent=False` (writes): resent in-process only after a `NotApplied` failure, which
        `inspect` may raise for an answer that says everything was rolled back.
        """
        self.check_hosts(session)
        if session.access_token is None:
            await self.refresh(session, seen_generation=session.generation)
        refreshed = False

        async def attempt_once() -> SfResponse:
            nonlocal refreshed
            while True:
                generation, token = session.generation, session.access_token
                origin = self.check_hosts(session)  # the instance URL may have changed with a refresh
                try:
                    status, body, limit_info = await self._send(
                        method,
                        URL(str(origin) + path, encoded=True),
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                        json=json,
                    )
                except _Unanswered:
                    counter.calls += 1  # it may have reached Salesforce, which counts it
                    raise
                if status < 500 and status not in (401, 403):  # what Salesforce refuses up front is free
                    counter.calls += 1
                self._usage.record(session.org_id, limit_info)
                if status == 401:
                    if refreshed:
                        raise ConnectionExpired(
                            "Salesforce refused the session right after a token refresh; reconnect Salesforce",
                            detail="401 after refresh",
                        )
                    refreshed = True
                    await self.refresh(session, seen_generation=generation)
                    continue
                response = SfResponse(status, body)
                if status == 403 and any(e.code == "REQUEST_LIMIT_EXCEEDED" for e in errors_in(body)):
                    self._usage.mark_exhausted(session.org_id)
                raise_for_status(status, body, sobject=sobject)
                if inspect is not None:
                    inspect(response)
                return response

        what = f"{method} {path.split('?', maxsplit=1)[0]}"
        return await self._retrying(what, session.org_id, attempt_once, idempotent=idempotent)

    # ------------------------------------------------------------------ OAuth

    async def refresh(self, session: OrgSession, *, seen_generation: int) -> None:
        """Refresh the access token once per org: concurrent callers wait and share the outcome.

        Waiters reuse the new token, or get the same error when that refresh failed: N meetings after
        an `invalid_grant` make one token request, not N. A failure that waiting cannot cure (expired
        connection, refused credentials) also stops later callers of the same generation from asking
        again; a transient one lets the next caller try.
        """
        attempts_seen = session.refresh_attempts
        async with session.lock:
            if session.generation != seen_generation and session.access_token is not None:
                return
            failure = session.refresh_failure
            if failure is not None and failure[0] == session.generation:
                waited = session.refresh_attempts != attempts_seen  # it failed while this caller waited
                if waited or not failure[1].retriable:
                    raise failure[1]
            session.refresh_attempts += 1
            try:
                await self._refresh(session)
            except SyncError as exc:
                session.refresh_failure = (session.generation, exc)
                raise
            session.refresh_failure = None

    async def _refresh(self, session: OrgSession) -> None:
        login = checked_origin(session.login_url, self._patterns, what="login URL")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": session.refresh_token,
            "client_id": self._settings.oauth_client_id,
            "client_secret": self._settings.oauth_client_secret.get_secret_value(),
        }

        async def attempt_once() -> SfResponse:
            status, body, _ = await self._send(
                "POST",
                login.with_path("/services/oauth2/token"),
                headers={"Accept": "application/json"},
                data=form,
            )
            if status >= 500:
                raise TransientError("the Salesforce token endpoint is unavailable", detail=str(status))
            return SfResponse(status, body)

        # Not idempotent: with refresh-token rotation, a refresh Salesforce executed but whose answer
        # was lost already invalidated the token we hold; resending it would only earn invalid_grant.
        response = await self._retrying("token refresh", session.org_id, attempt_once, idempotent=False)
        body = response.body if isinstance(response.body, dict) else {}
        if response.status != 200:
            error = str(body.get("error") or response.status)
            description = redact(str(body.get("error_description") or ""))
            if error == "invalid_grant":
                raise ConnectionExpired(
                    "the Salesforce connection has expired or was revoked; reconnect Salesforce in Settings",
                    detail=f"{error}: {description}",
                )
            if error in {"invalid_client", "unsupported_grant_type", "invalid_request"}:
                raise ConnectionExpired(
                    "Salesforce refused this app's credentials; reconnect Salesforce in Settings",
                    detail=f"{error}: {description}",
                )
            raise SyncError("the Salesforce token refresh failed", detail=f"{error}: {description}")
        access_token = body.get("access_token")
        instance_url = body.get("instance_url") or session.instance_url
        if not isinstance(access_token, str) or not isinstance(instance_url, str):
            raise SyncError("the Salesforce token response had no access token", detail="malformed token body")
        checked_origin(instance_url, self._patterns, what="instance URL")
        session.access_token = access_token
        session.instance_url = instance_url
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            session.refresh_token = rotated
        session.generation += 1
        log.info("salesforce.token_refreshed", org_id=session.org_id, rotated=bool(rotated))
