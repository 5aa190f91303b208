"""Field-level checks and coercions of written values, in Salesforce's error vocabulary."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from .clock import format_datetime
from .errors import SfError, bad_request
from .ids import InvalidIdError, normalize_id, sobject_of
from .schema import FieldDef, ObjectDef

# Restricted picklists (Salesforce refuses other values); all other picklists accept any text.
RESTRICTED_PICKLISTS = {("Task", "Status"), ("Task", "Priority"), ("EventRelation", "Status")}
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def unknown_field(name: str, sobject: str) -> SfError:
    return bad_request("INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")


def read_only_field(name: str) -> SfError:
    return bad_request(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {name}. Please check the security settings of this field "
        "and verify that it is read/write for your profile or permission set.",
        [name],
    )


def required_missing(names: list[str]) -> SfError:
    return bad_request("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(names)}]", names)


def integrity(message: str, fields: list[str]) -> SfError:
    return bad_request("FIELD_INTEGRITY_EXCEPTION", message, fields)


def _deserialize_error(value: Any, type_name: str) -> SfError:
    return bad_request(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from VALUE_STRING value {value} "
        "or request may be missing a required field",
    )


def parse_datetime(value: str) -> datetime:
    """Parse the datetime forms Salesforce accepts (`Z`, `+00:00`, `+0000`, optional fraction)."""
    m = _DATETIME_RE.match(value.strip())
    if not m:
        raise ValueError(value)
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        return parsed.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    return parsed.replace(tzinfo=UTC)


def to_json(obj: ObjectDef, record: dict[str, Any]) -> dict[str, Any]:
    """A stored record in wire form: dates `YYYY-MM-DD`, datetimes `...000+0000`."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, datetime):
            out[key] = format_datetime(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def coerce(obj: ObjectDef, f: FieldDef, value: Any) -> Any:
    """The stored form of `value` for field `f`, or a Salesforce error (type, length, picklist, id syntax)."""
    if value is None or (value == "" and f.type not in {"string", "textarea"}):
        return None
    t = f.type
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise _deserialize_error(value, "boolean")
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _deserialize_error(value, "int")
        try:
            return int(float(value))
        except ValueError:
            raise _deserialize_error(value, "int") from None
    if t in {"double", "currency"}:
        if isinstance(value, bool):
            raise _deserialize_error(value, "double")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _deserialize_error(value, "double") from None
    if t == "date":
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        if isinstance(value, str):
            try:
                return parse_datetime(value).date()
            except ValueError:
                pass
        raise _deserialize_error(value, "date")
    if t == "datetime":
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
                return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)
            except ValueError:
                pass
        raise _deserialize_error(value, "datetime")
    if t in {"reference", "id"}:
        if not isinstance(value, str):
            raise bad_request("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        try:
            rid = normalize_id(value)
        except InvalidIdError:
            raise bad_request("MALFORMED_ID", f"{f.label} ID: id value of incorrect type: {value}", [f.name]) from None
        if f.reference_to and sobject_of(rid) is not None and sobject_of(rid) not in f.reference_to:
            raise bad_request(
                "INVALID_CROSS_REFERENCE_KEY", f"{f.label} ID: id value of incorrect type: {rid}", [f.name]
            )
        return rid
    # text-like
    text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    if t == "picklist" and (obj.name, f.name) in RESTRICTED_PICKLISTS and text not in f.picklist_values():
        raise bad_request(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{f.label}: bad value for restricted picklist field: {text}",
            [f.name],
        )
    if f.length and len(text) > f.length:
        raise bad_request(
            "STRING_TOO_LONG",
            f"{f.label}: data value too large: {text[:255]} (max length={f.length})",
            [f.name],
        )
    return text
