from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
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


# --- shift_working_days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The last working day before each Tết and the first one after it.
        (date(2025, 1, 24), date(2025, 2, 3)),
        (date(2026, 2, 13), date(2026, 2, 23)),
        (date(2027, 2, 3), date(2027, 2, 11)),
        # National Day 2025 (1-2 September, Monday and Tuesday) and Reunification 2025.
        (date(2025, 8, 29), date(2025, 9, 3)),
        (date(2025, 4, 29), date(2025, 5, 5)),
    ],
)
def test_shift_one_working_day_over_a_holiday(before: date, after: date) -> None:
    assert CAL.shift_working_days(before, 1) == after
    assert CAL.shift_working_days(after, -1) == before


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        (date(2026, 2, 12), 3, date(2026, 2, 24)),
        (date(2026, 2, 24), -3, date(2026, 2, 12)),
        (date(2025, 1, 22), 5, date(2025, 2, 5)),
        (date(2025, 2, 5), -5, date(2025, 1, 22)),
        (date(2027, 2, 1), 4, date(2027, 2, 12)),
        (date(2027, 2, 12), -4, date(2027, 2, 1)),
        # Plain weeks.
        (date(2026, 3, 13), 1, date(2026, 3, 16)),
        (date(2026, 3, 16), -1, date(2026, 3, 13)),
        (date(2026, 3, 9), 10, date(2026, 3, 23)),
        (date(2026, 3, 23), -10, date(2026, 3, 9)),
    ],
)
def test_shift_both_directions(start: date, n: int, end: date) -> None:
    assert CAL.shift_working_days(start, n) == end


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [
        # From inside a holiday or a weekend, the count starts at the next (or previous) working day.
        (date(2026, 2, 18), 1, date(2026, 2, 23)),
        (date(2026, 2, 18), -1, date(2026, 2, 13)),
        (date(2026, 2, 14), 2, date(2026, 2, 24)),
        (date(2026, 2, 22), -2, date(2026, 2, 12)),
        (date(2026, 3, 14), 1, date(2026, 3, 16)),
        (date(2026, 3, 15), -1, date(2026, 3, 13)),
    ],
)
def test_shift_from_a_day_off(start: date, n: int, end: date) -> None:
    assert not CAL.is_working_day(start)
    assert CAL.shift_working_days(start, n) == end


@pytest.mark.parametrize("day", [date(2026, 2, 17), date(2026, 3, 14), date(2026, 3, 16)])
def test_shift_by_zero_is_the_same_day(day: date) -> None:
    assert CAL.shift_working_days(day, 0) == day


@pytest.mark.parametrize(
    ("saturday", "friday", "monday"),
    [
        (date(2024, 5, 4), date(2024, 5, 3), date(2024, 5, 6)),
        (date(2025, 4, 26), date(2025, 4, 25), date(2025, 4, 28)),
        (date(2026, 8, 22), date(2026, 8, 21), date(2026, 8, 24)),
    ],
)
def test_shift_stops_on_a_make_up_saturday(saturday: date, friday: date, monday: date) -> None:
    assert saturday in holidays.country_holidays("VN", years=saturday.year).weekend_workdays
    assert CAL.shift_working_days(friday, 1) == saturday
    assert CAL.shift_working_days(monday, -1) == saturday
    assert CAL.shift_working_days(friday, 2) == monday
    assert CAL.shift_working_days(monday, -2) == friday
    # A plain Saturday a week later is skipped.
    assert CAL.shift_working_days(saturday + timedelta(days=6), 1) != saturday + timedelta(days=7)


def test_shift_around_the_2026_swap() -> None:
    # Saturday 22 August 2026 is worked so that Monday 31 August joins 1-2 September off.
    assert date(2026, 8, 22) in holidays.country_holidays("VN", years=2026).weekend_workdays
    assert CAL.shift_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert CAL.shift_working_days(date(2026, 9, 3), -1) == date(2026, 8, 28)
    # 24-28 August, then Saturday 22 and Friday 21.
    assert CAL.shift_working_days(date(2026, 8, 31), -7) == date(2026, 8, 21)
    assert CAL.shift_working_days(date(2026, 8, 20), 7) == date(2026, 8, 28)


def test_no_make_up_saturday_in_2027() -> None:
    # The package knows none for 2027: every Saturday of the year is a day off.
    saturdays = [d for d in days(date(2027, 1, 1), date(2027, 12, 31)) if d.weekday() == 5]
    assert not {d for d in holidays.country_holidays("VN", years=2027).weekend_workdays if d.year == 2027}
    assert not any(CAL.is_working_day(d) for d in saturdays)


def test_shift_with_the_callers_days() -> None:
    cal = WorkingCalendar(
        # A local holiday on the first day back after Tết 2026, and on the 2026 make-up Saturday.
        extra_days_off=[date(2026, 2, 23), date(2026, 8, 22)],
        # The first Saturday of Tết 2026 and a weekday inside it worked after all.
        extra_working_days=[date(2026, 2, 14), date(2026, 2, 18)],
    )
    assert cal.shift_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.shift_working_days(date(2026, 2, 13), 2) == date(2026, 2, 18)
    assert cal.shift_working_days(date(2026, 2, 13), 3) == date(2026, 2, 24)
    assert cal.shift_working_days(date(2026, 2, 24), -1) == date(2026, 2, 18)
    assert cal.shift_working_days(date(2026, 2, 24), -3) == date(2026, 2, 13)
    assert cal.shift_working_days(date(2026, 8, 21), 1) == date(2026, 8, 24)
    assert cal.shift_working_days(date(2026, 8, 24), -1) == date(2026, 8, 21)
    # The default calendar is not affected.
    assert CAL.shift_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_add_working_days_follows_the_callers_days() -> None:
    cal = WorkingCalendar(extra_days_off=[date(2027, 2, 11)], extra_working_days=[date(2027, 2, 6)])
    assert cal.add_working_days(local(2027, 2, 3, 9), 1) == end_of(date(2027, 2, 6))
    assert cal.add_working_days(local(2027, 2, 3, 9), 2) == end_of(date(2027, 2, 12))
    assert cal.working_days_between(local(2027, 2, 3, 9), local(2027, 2, 12, 9)) == 2


@FAST
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    n=st.integers(min_value=1, max_value=40),
)
def test_shift_properties(start: date, n: int) -> None:
    forward = CAL.shift_working_days(start, n)
    backward = CAL.shift_working_days(start, -n)
    assert backward < start < forward
    assert CAL.is_working_day(forward) and CAL.is_working_day(backward)
    # Exactly n working days in (start, forward] and in [backward, start).
    assert sum(CAL.is_working_day(d) for d in days(start + timedelta(days=1), forward)) == n
    assert sum(CAL.is_working_day(d) for d in days(backward, start - timedelta(days=1))) == n
    # Going back from a working day undoes going forward, and shifts compose.
    # Going back n from there returns to start, or to the working day before it.
    assert CAL.shift_working_days(forward, -n) == (
        start if CAL.is_working_day(start) else CAL.shift_working_days(start, -1)
    )
    assert CAL.shift_working_days(CAL.shift_working_days(start, 1), n - 1) == forward
    assert CAL.shift_working_days(CAL.shift_working_days(start, -1), 1 - n) == backward
    assert CAL.add_working_days(datetime.combine(start, time(12), tzinfo=TIMEZONE), n) == end_of(forward)
