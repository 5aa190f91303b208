"""SOQL date literals (TODAY, LAST_N_DAYS:n...) as inclusive day ranges, evaluated against `now` (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DATE_LITERALS = frozenset(
    {
        "TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH", "LAST_MONTH",
        "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
    }
)  # fmt: skip
N_DATE_LITERALS = frozenset(
    {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "N_DAYS_FROM_NOW", "LAST_N_MONTHS", "NEXT_N_MONTHS"}
)


def _add_months(day: date, months: int) -> date:
    """First day of the month `months` away from `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def date_range(literal: str, n: int | None, now: datetime) -> tuple[date, date]:
    """The first and last day (both inclusive) that `literal` covers at `now`.

    Ranges are computed in UTC (the simulated user's time zone is GMT). Weeks start on Sunday
    (the en_US locale).
    """
    today = (now if now.tzinfo is None else now.astimezone(UTC)).date()
    one = timedelta(days=1)
    if literal == "TODAY":
        return today, today
    if literal == "YESTERDAY":
        return today - one, today - one
    if literal == "TOMORROW":
        return today + one, today + one
    if literal in ("THIS_WEEK", "LAST_WEEK", "NEXT_WEEK"):
        sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        shift = {"THIS_WEEK": 0, "LAST_WEEK": -7, "NEXT_WEEK": 7}[literal]
        start = sunday + timedelta(days=shift)
        return start, start + timedelta(days=6)
    if literal in ("THIS_MONTH", "LAST_MONTH", "NEXT_MONTH"):
        start = _add_months(today, {"THIS_MONTH": 0, "LAST_MONTH": -1, "NEXT_MONTH": 1}[literal])
        return start, _add_months(start, 1) - one
    if literal in ("THIS_YEAR", "LAST_YEAR", "NEXT_YEAR"):
        year = today.year + {"THIS_YEAR": 0, "LAST_YEAR": -1, "NEXT_YEAR": 1}[literal]
        return date(year, 1, 1), date(year, 12, 31)
    assert n is not None
    if literal == "LAST_N_DAYS":  # includes today: :1 is yesterday and today
        return today - timedelta(days=n), today
    if literal == "NEXT_N_DAYS":  # starts tomorrow
        return today + one, today + timedelta(days=n)
    if literal == "N_DAYS_AGO":
        return today - timedelta(days=n), today - timedelta(days=n)
    if literal == "N_DAYS_FROM_NOW":
        return today + timedelta(days=n), today + timedelta(days=n)
    if literal == "LAST_N_MONTHS":  # the n whole months before the current one
        this_month = _add_months(today, 0)
        return _add_months(today, -n), this_month - one
    if literal == "NEXT_N_MONTHS":  # the n whole months after the current one
        return _add_months(today, 1), _add_months(today, n + 1) - one
    raise ValueError(literal)
