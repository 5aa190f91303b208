"""One error hierarchy for everything that can stop a sync. Only `service.salesforce` raises the
Salesforce-specific ones, translated at its boundary from HTTP statuses and errorCode strings."""

from __future__ import annotations

from service.domain.messages import Reason


class SyncError(Exception):
    """Base of every error a sync can end with. `retriable` says whether waiting can help."""

    retriable: bool = False
    reason: Reason = Reason.SALESFORCE_ERROR

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message  # what a user or admin should know or do; no secrets, no emails
        self.detail = detail  # technical detail for logs (already redacted)


class TransientError(SyncError):
    """5xx, timeouts, UNABLE_TO_LOCK_ROW, connection errors: retried, then deferred."""

    retriable = True
    reason = Reason.SALESFORCE_UNAVAILABLE


class ApiLimitReached(SyncError):
    """The org's daily API budget is above the reserve (or REQUEST_LIMIT_EXCEEDED): defer."""

    retriable = True
    reason = Reason.API_LIMIT


class ConnectionExpired(SyncError):
    """invalid_grant: the refresh token no longer works; the org must reconnect."""

    reason = Reason.CONNECTION_EXPIRED


class ApiAccessUnavailable(SyncError):
    """API_DISABLED_FOR_ORG / API_CURRENTLY_DISABLED: edition or profile lacks API access."""

    reason = Reason.API_ACCESS_UNAVAILABLE


class InsufficientPermissions(SyncError):
    """The connected user may not read or write an object we need."""

    reason = Reason.INSUFFICIENT_PERMISSIONS

    def __init__(self, message: str, *, sobject: str = "", detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.sobject = sobject


class InstanceNotAllowed(SyncError):
    """The org config names a host outside the allowlist: no token is sent there."""

    reason = Reason.INSTANCE_NOT_ALLOWED


class RecordRejected(SyncError):
    """Salesforce refused a record (validation, field too long): not retried."""

    reason = Reason.SALESFORCE_ERROR

    def __init__(self, message: str, *, error_code: str = "", fields: tuple[str, ...] = (), detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.error_code = error_code
        self.fields = fields
