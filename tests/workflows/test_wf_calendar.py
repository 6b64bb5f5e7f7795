from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import TIMEZONE, WorkingCalendar

# database=None: hypothesis would otherwise write .hypothesis/ into the project root.
FAST = settings(max_examples=200, deadline=None, database=None)
CAL = WorkingCalendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("last_working", "first_off", "last_off", "first_back"),
    [
        # Tết At Tỵ 2025: the package adds Mon 27 Jan (29 Tết, observed for
        # Saturday 1 Feb), giving nine days off.
        (date(2025, 1, 24), date(2025, 1, 25), date(2025, 2, 2), date(2025, 2, 3)),
        # Tết Bính Ngọ 2026: Mon 16 - Fri 20 Feb plus both weekends.
        (date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 22), date(2026, 2, 23)),
        # Tết Đinh Mùi 2027: Thu 4 - Wed 10 Feb, weekend days observed after.
        (date(2027, 2, 3), date(2027, 2, 4), date(2027, 2, 10), date(2027, 2, 11)),
    ],
)
def test_tet_blocks(last_working: date, first_off: date, last_off: date, first_back: date) -> None:
    assert CAL.is_working_day(last_working)
    assert not any(CAL.is_working_day(d) for d in days(first_off, last_off))
    assert CAL.is_working_day(first_back)


@pytest.mark.parametrize(
    ("off", "working"),
    [
        ([date(2025, 9, 1), date(2025, 9, 2)], [date(2025, 8, 29), date(2025, 9, 3)]),
        # 2026: Mon 31 Aug is swapped with Saturday 22 Aug.
        (
            [date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)],
            [date(2026, 8, 28), date(2026, 9, 3)],
        ),
        ([date(2027, 9, 2), date(2027, 9, 3)], [date(2027, 9, 1), date(2027, 9, 6)]),
    ],
)
def test_national_day(off: list[date], working: list[date]) -> None:
    assert not any(CAL.is_working_day(d) for d in off)
    assert all(CAL.is_working_day(d) for d in working)


@pytest.mark.parametrize(
    ("off", "working"),
    [
        # 2024 and 2025 bridge days, each paid back on a Saturday.
        ([date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1)], [date(2024, 5, 2)]),
        ([date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)], [date(2025, 4, 29)]),
        ([date(2026, 4, 30), date(2026, 5, 1)], [date(2026, 4, 29)]),
    ],
)
def test_reunification_and_labour_day(off: list[date], working: list[date]) -> None:
    assert not any(CAL.is_working_day(d) for d in off)
    assert all(CAL.is_working_day(d) for d in working)


@pytest.mark.parametrize(
    "saturday", [date(2019, 1, 5), date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)]
)
def test_make_up_saturdays_are_working_days(saturday: date) -> None:
    assert saturday.weekday() == 5
    assert CAL.is_working_day(saturday)
    assert not CAL.is_working_day(saturday + timedelta(days=7))


def test_plain_weekend_and_weekday() -> None:
    assert CAL.is_working_day(date(2025, 3, 14))
    assert not CAL.is_working_day(date(2025, 3, 15))
    assert not CAL.is_working_day(date(2025, 3, 16))


def test_caller_entries_win_over_package() -> None:
    ordinary_tuesday = date(2025, 3, 18)
    ordinary_saturday = date(2025, 3, 22)
    cal = WorkingCalendar(
        extra_days_off=[ordinary_tuesday, date(2025, 4, 26)],
        extra_working_days=[ordinary_saturday, date(2025, 5, 2)],
    )
    assert not cal.is_working_day(ordinary_tuesday)
    assert not cal.is_working_day(date(2025, 4, 26))
    assert cal.is_working_day(ordinary_saturday)
    assert cal.is_working_day(date(2025, 5, 2))
    assert cal.add_working_days(local(2025, 3, 17, 9), 1) == end_of(date(2025, 3, 19))


def test_same_date_in_both_caller_lists_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(extra_days_off=[date(2025, 3, 18)], extra_working_days=[date(2025, 3, 18)])


def test_datetime_is_refused_by_is_working_day() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(local(2025, 3, 14, 10))


def test_deadline_after_friday_submission() -> None:
    friday = local(2025, 3, 14, 16, 30)
    assert CAL.add_working_days(friday, 1) == end_of(date(2025, 3, 17))
    assert CAL.add_working_days(friday, 5) == end_of(date(2025, 3, 21))


def test_saturday_submission_counts_from_monday() -> None:
    saturday = local(2025, 3, 15, 10)
    assert CAL.add_working_days(saturday, 1) == end_of(date(2025, 3, 17))
    assert CAL.add_working_days(saturday, 2) == end_of(date(2025, 3, 18))


def test_deadline_skips_tet() -> None:
    assert CAL.add_working_days(local(2025, 1, 24, 8), 1) == end_of(date(2025, 2, 3))
    assert CAL.add_working_days(local(2026, 2, 13, 8), 2) == end_of(date(2026, 2, 24))


def test_deadline_counts_make_up_saturday() -> None:
    friday = local(2025, 4, 25, 9)
    assert CAL.add_working_days(friday, 1) == end_of(date(2025, 4, 26))
    assert CAL.add_working_days(friday, 2) == end_of(date(2025, 4, 28))
    assert CAL.add_working_days(friday, 4) == end_of(date(2025, 5, 5))


def test_deadline_is_end_of_local_day() -> None:
    deadline = CAL.add_working_days(datetime(2025, 3, 14, 3, tzinfo=UTC), 1)
    assert deadline.isoformat() == "2025-03-17T23:59:59+07:00"
    assert deadline.tzinfo == TIMEZONE


def test_utc_start_near_midnight_uses_local_day() -> None:
    thursday_local = datetime(2025, 3, 13, 16, 30, tzinfo=UTC)
    friday_local = datetime(2025, 3, 13, 17, 30, tzinfo=UTC)
    assert CAL.add_working_days(thursday_local, 1) == end_of(date(2025, 3, 14))
    assert CAL.add_working_days(friday_local, 1) == end_of(date(2025, 3, 17))


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(local(2025, 3, 14), 0)
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2025, 3, 14), 1)
    with pytest.raises(ValueError):
        CAL.working_days_between(datetime(2025, 3, 14), local(2025, 3, 20))


def test_working_days_between_edges() -> None:
    start = local(2025, 3, 14, 9)
    assert CAL.working_days_between(start, start) == 0
    assert CAL.working_days_between(start, start - timedelta(days=3)) == 0
    assert CAL.working_days_between(start, local(2025, 3, 14, 23)) == 0
    assert CAL.working_days_between(start, local(2025, 3, 17, 0, 1)) == 1
    assert CAL.working_days_between(local(2025, 1, 24, 9), local(2025, 2, 3, 9)) == 1


ZONES = st.sampled_from([TIMEZONE, UTC, timezone(timedelta(hours=-5))])
STARTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31, 23, 59), timezones=ZONES
)


@FAST
@given(start=STARTS, n=st.integers(min_value=1, max_value=30))
def test_working_days_between_inverts_add(start: datetime, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert deadline > start
    assert CAL.is_working_day(deadline.date())
    assert CAL.working_days_between(start, deadline) == n
    assert CAL.working_days_between(start, deadline - timedelta(days=1)) == n - 1
