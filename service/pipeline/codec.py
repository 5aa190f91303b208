"""Decoding of the bytes upstream sends: a valid message, or a `Rejection` that says what is wrong.

Bad input is data, not an exception (errors as data, as bytewax does it): the intake turns a
rejection into a DLQ record and a `rejected` result, and goes on with the next message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from service.domain.messages import MEETING_SCHEMA_VERSION, MeetingSummary, OrgConfig


@dataclass(frozen=True)
class Rejection:
    field: str  # dotted path of the offending field, or "(message)" for the whole message
    problem: str
    org_id: str | None = None  # when they could be read, so the rejection reaches the right people
    meeting_id: str | None = None
    revision: int | None = None
    event_id: str | None = None

    @property
    def text(self) -> str:
        return f"{self.field}: {self.problem}"


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(message)"


def _ids(raw: Any) -> dict[str, Any]:
    """The identifying fields of a message that failed validation, when they are plain values."""
    if not isinstance(raw, dict):
        return {}
    ids: dict[str, Any] = {}
    for name in ("org_id", "meeting_id", "event_id"):
        value = raw.get(name)
        if isinstance(value, str) and 0 < len(value) <= 200 and _encodable(value):
            ids[name] = value
    revision = raw.get("revision")
    if isinstance(revision, int) and not isinstance(revision, bool):
        ids["revision"] = revision
    return ids


def _encodable(text: str) -> bool:
    """JSON may carry lone surrogates (`"\\ud800"`); such an id cannot become a Kafka key."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _parse_json(value: bytes | None, max_bytes: int) -> Any | Rejection:
    if value is None:
        return Rejection("(message)", "empty value (null); a meeting must be a JSON object")
    if len(value) > max_bytes:
        problem = f"message is {len(value)} bytes, over the {max_bytes} byte limit"
        try:  # still say whose meeting it was, so the rejection reaches its org
            ids = _ids(json.loads(value))
        except (ValueError, RecursionError):
            ids = {}
        return Rejection("(message)", problem, **ids)
    try:
        return json.loads(value)
    except RecursionError:
        return Rejection("(message)", "JSON nested too deeply")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return Rejection("(message)", f"not valid JSON ({exc})")


def decode_meeting(value: bytes | None, *, max_bytes: int) -> MeetingSummary | Rejection:
    raw = _parse_json(value, max_bytes)
    if isinstance(raw, Rejection):
        return raw
    if not isinstance(raw, dict):
        return Rejection("(message)", f"expected a JSON object, got {type(raw).__name__}")
    ids = _ids(raw)
    version = raw.get("schema_version", MEETING_SCHEMA_VERSION)
    if version != MEETING_SCHEMA_VERSION:
        return Rejection("schema_version", f"unsupported version {version!r}; this worker reads 1", **ids)
    try:
        meeting = MeetingSummary.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return Rejection(_loc(first["loc"]), f"{first['msg']}{more}", **ids)
    if meeting.ended_at < meeting.started_at:
        return Rejection("ended_at", "is before started_at", **ids)
    return meeting


def decode_org_config(value: bytes, *, max_bytes: int) -> OrgConfig | Rejection:
    raw = _parse_json(value, max_bytes)
    if isinstance(raw, Rejection):
        return raw
    try:
        return OrgConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        return Rejection(_loc(first["loc"]), first["msg"], **_ids(raw))
