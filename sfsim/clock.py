"""An org's clock: real time, or a fixed instant the test harness moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def parse_instant(text: str) -> datetime:
    """ISO-8601 instant; naive values are UTC, `Z` and `+0000` accepted."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit() and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class OrgClock:
    """`now()` is fixed when a `now` was given (it moves only by `advance`), else real time plus an offset."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self.fixed = fixed
        self.offset = timedelta()

    def now(self) -> datetime:
        if self.fixed is not None:
            return self.fixed
        return datetime.now(UTC) + self.offset

    def set(self, instant: datetime) -> None:
        self.fixed = instant

    def advance(self, seconds: float) -> None:
        if self.fixed is not None:
            self.fixed += timedelta(seconds=seconds)
        else:
            self.offset += timedelta(seconds=seconds)

    def as_dict(self) -> dict[str, object]:
        return {"now": format_datetime(self.now()), "fixed": self.fixed is not None}


def format_datetime(value: datetime) -> str:
    """Salesforce's DateTime wire form: `2024-05-01T09:30:00.000+0000`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
