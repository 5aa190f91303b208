"""Salesforce's error arrays and statuses, translated into `service.errors` (the only place that knows them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service.errors import (
    ApiAccessUnavailable,
    ApiLimitReached,
    InsufficientPermissions,
    SyncError,
    TransientError,
)

TRANSIENT_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"})
API_DISABLED_CODES = frozenset({"API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED"})
PERMISSION_CODES = frozenset(
    {"INSUFFICIENT_ACCESS_OR_READONLY", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "INVALID_TYPE"}
)
# Codes of records that were fine but rolled back because another record failed.
ROLLBACK_CODES = frozenset({"PROCESSING_HALTED", "ALL_OR_NONE_OPERATION_ROLLED_BACK"})
GONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND"})

API_ACCESS_MESSAGE = (
    "Salesforce refused API access for this org or user. API access is included in the Enterprise, "
    "Unlimited, Performance and Developer editions (Professional only with the API Access add-on), and "
    'the connected user\'s profile needs the "API Enabled" permission.'
)

# A whole non-space run ending in `@domain`: local parts may hold `%`, `'`, `/`, `!`... Anchored at
# the run's start so a long run without an email is scanned once, not once per character.
_EMAIL = re.compile(r"(?<!\S)\S+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    """Mask emails in text that goes to logs or error details."""
    return _EMAIL.sub("<email>", text)


@dataclass(frozen=True)
class SfError:
    code: str
    message: str
    fields: tuple[str, ...] = ()


def errors_in(body: Any) -> list[SfError]:
    """The errors of a REST error array, a collection item's `errors`, or a token/odd body.

    An empty array or `errors: []` (a successful collection item) holds no error.
    """
    items: list[Any]
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict) and isinstance(body.get("errors"), list):
        items = body["errors"]
    elif isinstance(body, dict) and "errorCode" in body:
        items = [body]
    else:
        return [SfError("UNKNOWN_ERROR", redact(str(body))[:500])]
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = str(item.get("errorCode") or item.get("statusCode") or "UNKNOWN_ERROR")
        fields = item.get("fields") or []
        found.append(SfError(code, str(item.get("message") or ""), tuple(str(f) for f in fields if f is not None)))
    if not found and items:  # entries, but none readable: still an error, just an unnamed one
        return [SfError("UNKNOWN_ERROR", "")]
    return found


def org_level_error(errors: list[SfError], *, status: int, sobject: str = "") -> SyncError | None:
    """The error that stops the whole operation (not one record), or None when it is record-level."""
    for error in errors:
        detail = f"{error.code}: {redact(error.message)}"[:1000]
        if error.code in TRANSIENT_CODES:
            return TransientError("Salesforce is busy; the sync will be retried", detail=detail)
        if error.code == "REQUEST_LIMIT_EXCEEDED":
            if "concurrent" in error.message.lower():
                return TransientError("too many concurrent Salesforce requests; retrying", detail=detail)
            return ApiLimitReached("the org's daily Salesforce API limit is exhausted", detail=detail)
        if error.code in API_DISABLED_CODES:
            return ApiAccessUnavailable(API_ACCESS_MESSAGE, detail=detail)
        if error.code in PERMISSION_CODES:
            name = sobject or "a Salesforce object"
            return InsufficientPermissions(
                f"the connected Salesforce user lacks access to {name}: check the profile's object permissions",
                sobject=sobject,
                detail=detail,
            )
    if status >= 500:
        return TransientError(f"Salesforce answered {status}; the sync will be retried", detail=str(status))
    return None


def raise_for_status(status: int, body: Any, *, sobject: str = "") -> None:
    """Raise the SyncError for a failed top-level response; return on success."""
    if status < 300:
        return
    errors = errors_in(body) if status < 500 else []
    error = org_level_error(errors, status=status, sobject=sobject)
    if error is not None:
        raise error
    first = errors[0] if errors else SfError("UNKNOWN_ERROR", "")
    raise SyncError("Salesforce refused the request", detail=f"{status} {first.code}: {redact(first.message)}"[:1000])
