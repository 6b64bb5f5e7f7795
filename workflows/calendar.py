from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_END_OF_DAY = time(23, 59, 59)
_SATURDAY = 5


@cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    # The package fills weekend_workdays with cross-year make-up days (the 2018
    # swap is worked on Saturday 5 Jan 2019) whatever years are requested, so
    # keep only this year's dates to stay consistent with the per-year cache.
    data = holidays.country_holidays("VN", years=year)
    days_off = frozenset(d for d in data if d.year == year)
    working_weekends = frozenset(d for d in data.weekend_workdays if d.year == year)
    return days_off, working_weekends


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, _END_OF_DAY, tzinfo=TIMEZONE)


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive_datetime")
    return moment.astimezone(TIMEZONE).date()


class WorkingCalendar:
    def __init__(
        self, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()
    ) -> None:
        self._extra_off = frozenset(extra_days_off)
        self._extra_on = frozenset(extra_working_days)
        # An administrator's table listing one date both ways has no sensible
        # reading; refusing it surfaces the typo instead of guessing.
        if self._extra_off & self._extra_on:
            raise ValueError("date_both_off_and_working")

    def is_working_day(self, day: date) -> bool:
        # A datetime would silently miss every set lookup (different hash).
        if isinstance(day, datetime):
            raise TypeError("expected_date_not_datetime")
        if day in self._extra_off:
            return False
        if day in self._extra_on:
            return True
        days_off, working_weekends = _package_year(day.year)
        if day.weekday() >= _SATURDAY:
            return day in working_weekends
        return day not in days_off

    def add_working_days(self, start: datetime, days: int) -> datetime:
        if days < 1:
            raise ValueError("days_must_be_positive")
        return end_of_day(self.shift_working_days(local_date(start), days))

    def shift_working_days(self, day: date, days: int) -> date:
        """The working day `days` working days after `day` (before it when negative)."""
        step = timedelta(days=1 if days > 0 else -1)
        remaining = abs(days)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: datetime, end: datetime) -> int:
        first, last = local_date(start), local_date(end)
        # end <= start gives last <= first, hence an empty range and 0.
        return sum(
            self.is_working_day(first + timedelta(days=offset))
            for offset in range(1, (last - first).days + 1)
        )
