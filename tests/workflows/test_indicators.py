"""Every indicator formula (workflows/indicators.py) on hand-built tickets: the cells each
ticket contributes, written out by hand, and the rates and percentiles computed from them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workflows import TIMEZONE, Status, WorkingCalendar
from workflows.indicators import (
    HANDLING_CAP,
    TicketFacts,
    Totals,
    WorkingDayCount,
    handling_counter,
    local_day,
    percentile,
    split_cells,
    ticket_cells,
)

WORKDAYS = WorkingDayCount(WorkingCalendar())
HORIZON = datetime(2027, 1, 1, tzinfo=UTC)


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TIMEZONE)


def end_of(month: int, day: int) -> datetime:
    return datetime.combine(date(2026, month, day), time(23, 59, 59), tzinfo=TIMEZONE)


def day(month: int, number: int) -> date:
    return date(2026, month, number)


# Submitted Monday 2 March 2026; classified by the end of Wednesday 4 March (2 working days);
# accepted Tuesday 3 March, due the end of Tuesday 17 March (10 working days: 4-6, 9-13, 16, 17).
SUBMITTED = local(3, 2)
CLASSIFY_DUE = end_of(3, 4)
ACCEPTED = local(3, 3, 10)
DUE = end_of(3, 17)


def facts(status: Status, **fields: object) -> TicketFacts:
    base: dict[str, object] = {"submitted_at": SUBMITTED, "classify_due": CLASSIFY_DUE}
    if status not in (Status.SUBMITTED, Status.REJECTED):
        base |= {"accepted_at": ACCEPTED, "resolve_due": DUE}
    return TicketFacts(status=status, **(base | fields))  # type: ignore[arg-type]


def cells(ticket: TicketFacts, horizon: datetime = HORIZON) -> dict[tuple[date, str], int]:
    return dict(ticket_cells(ticket, horizon, WORKDAYS))


ARRIVED = {(day(3, 2), "received"): 1, (day(3, 2), "backlog"): 1}
ARRIVED_AND_ACCEPTED = ARRIVED | {(day(3, 3), "accepted"): 1}


def test_an_answer_on_time() -> None:
    ticket = facts(Status.CLOSED, resolved_at=local(3, 10, 15), closed_at=local(3, 11), rating="satisfied")
    # Working days from Monday 2 to Tuesday 10 March: 3-6, 9, 10.
    answer_day = {"backlog": -1, "answered": 1, "resolved": 1, "h6": 1, "on_time": 1, "rated": 1, "satisfied": 1,
                  "national_ok": 1}
    assert cells(ticket) == ARRIVED_AND_ACCEPTED | {(day(3, 10), name): n for name, n in answer_day.items()}


def test_an_answer_in_the_deadlines_last_second_is_on_time_and_one_second_later_is_late() -> None:
    assert (day(3, 17), "on_time") in cells(facts(Status.RESOLVED, resolved_at=DUE))
    late = cells(facts(Status.RESOLVED, resolved_at=DUE + timedelta(seconds=1)))
    assert (day(3, 18), "resolved") in late
    assert (day(3, 18), "on_time") not in late
    # Overdue from its first second, and answered in that second: the day's change is nil.
    assert (day(3, 18), "overdue") not in late


def test_a_late_answer() -> None:
    ticket = facts(Status.RESOLVED, resolved_at=local(3, 20, 10))
    # Working days from 2 to 20 March: 3-6, 9-13, 16-20. Late and unrated: no national_ok.
    assert cells(ticket) == ARRIVED_AND_ACCEPTED | {
        (day(3, 18), "overdue"): 1,
        (day(3, 20), "overdue"): -1,
        (day(3, 20), "backlog"): -1,
        (day(3, 20), "answered"): 1,
        (day(3, 20), "resolved"): 1,
        (day(3, 20), "h14"): 1,
    }


@pytest.mark.parametrize(
    ("status", "horizon", "overdue"),
    [
        (Status.IN_PROGRESS, DUE, {}),
        (Status.IN_PROGRESS, DUE + timedelta(seconds=1), {(day(3, 18), "overdue"): 1}),
        (Status.ACCEPTED, local(4, 1), {(day(3, 18), "overdue"): 1}),
        # Not yet accepted: judged by the deadline to classify it.
        (Status.SUBMITTED, CLASSIFY_DUE, {}),
        (Status.SUBMITTED, local(3, 5, 8), {(day(3, 5), "overdue"): 1}),
    ],
)
def test_open_work_is_overdue_once_its_deadline_is_behind_the_horizon(
    status: Status, horizon: datetime, overdue: dict[tuple[date, str], int]
) -> None:
    arrived = ARRIVED if status == Status.SUBMITTED else ARRIVED_AND_ACCEPTED
    assert cells(facts(status), horizon) == arrived | overdue


@pytest.mark.parametrize(
    ("paused_at", "overdue"),
    [
        (local(3, 12), {}),
        (DUE, {}),
        # Asked after the deadline had passed: late it was, and late it stays.
        (local(3, 19), {(day(3, 18), "overdue"): 1}),
    ],
)
def test_waiting_for_the_submitter_stops_the_clock_only_if_asked_in_time(
    paused_at: datetime, overdue: dict[tuple[date, str], int]
) -> None:
    ticket = facts(Status.WAITING_FOR_SUBMITTER, paused_at=paused_at)
    assert cells(ticket, local(4, 1)) == ARRIVED_AND_ACCEPTED | overdue


def test_rejections_in_time_and_late() -> None:
    in_time = facts(Status.REJECTED, closed_at=local(3, 3, 11))
    assert cells(in_time) == ARRIVED | {(day(3, 3), "rejected"): 1, (day(3, 3), "backlog"): -1}
    # Classify due at the end of 4 March: overdue from the 5th until rejected on the 6th.
    late = facts(Status.REJECTED, closed_at=local(3, 6, 10))
    assert cells(late) == ARRIVED | {
        (day(3, 5), "overdue"): 1,
        (day(3, 6), "overdue"): -1,
        (day(3, 6), "rejected"): 1,
        (day(3, 6), "backlog"): -1,
    }


# Answered 10 March, reopened 12 March with a new round due the end of 26 March.
FIRST_ANSWER, REOPENED, SECOND_ANSWER = local(3, 10, 15), local(3, 12), local(3, 20, 10)
ROUND_TWO_DUE = end_of(3, 26)


def test_reopened_and_answered_again() -> None:
    ticket = facts(
        Status.CLOSED,
        resolve_due=ROUND_TWO_DUE,
        resolved_at=SECOND_ANSWER,
        closed_at=local(3, 21),
        rating="satisfied",
        answers=[FIRST_ANSWER, SECOND_ANSWER],
        reopenings=[REOPENED],
    )
    # Answered and reopened count on the first answer's day; the answer that counts is the last.
    last = {"backlog": -1, "resolved": 1, "h14": 1, "on_time": 1, "rated": 1, "satisfied": 1, "national_ok": 1}
    assert cells(ticket) == ARRIVED_AND_ACCEPTED | {
        (day(3, 10), "backlog"): -1,
        (day(3, 10), "answered"): 1,
        (day(3, 10), "reopened"): 1,
        (day(3, 12), "backlog"): 1,
    } | {(day(3, 20), name): n for name, n in last.items()}


def test_reopened_and_still_open() -> None:
    ticket = facts(Status.REOPENED, resolve_due=ROUND_TWO_DUE, answers=[FIRST_ANSWER], reopenings=[REOPENED])
    assert cells(ticket, local(4, 1)) == ARRIVED_AND_ACCEPTED | {
        (day(3, 10), "backlog"): -1,
        (day(3, 10), "answered"): 1,
        (day(3, 10), "reopened"): 1,
        (day(3, 12), "backlog"): 1,
        (day(3, 27), "overdue"): 1,
    }


def test_transfers_count_on_the_day_of_submission() -> None:
    ticket = facts(Status.IN_PROGRESS, transfers=2)
    assert cells(ticket, local(3, 16)) == ARRIVED_AND_ACCEPTED | {(day(3, 2), "transfers"): 2}


@pytest.mark.parametrize(
    ("rating", "resolved_at", "counted"),
    [
        ("satisfied", local(3, 10), {"rated", "satisfied", "national_ok"}),
        ("acceptable", local(3, 10), {"rated", "acceptable", "national_ok"}),
        ("not_satisfied", local(3, 10), {"rated", "not_satisfied"}),
        # The national form counts an unrated answer as satisfied...
        (None, local(3, 10), {"national_ok"}),
        # ... and no late answer, however it was rated.
        ("satisfied", local(3, 20), {"rated", "satisfied"}),
        (None, local(3, 20), set()),
    ],
)
def test_ratings_and_the_national_form(rating: str | None, resolved_at: datetime, counted: set[str]) -> None:
    ticket = facts(Status.CLOSED, resolved_at=resolved_at, closed_at=resolved_at, rating=rating)
    names = {"rated", "satisfied", "acceptable", "not_satisfied", "national_ok"}
    assert {name for (_, name) in cells(ticket) if name in names} == counted


@pytest.mark.parametrize(
    ("submitted_at", "resolved_at", "bucket"),
    [
        (local(3, 9, 8), local(3, 9, 17), "h0"),
        # Friday to Monday: Monday only.
        (local(3, 6, 16), local(3, 9), "h1"),
        # Tết 2026: Saturday 14 to Sunday 22 February off; Monday 23 is the first working day.
        (local(2, 13, 16), local(2, 23), "h1"),
        # National Day 2026: Monday 31 August (swapped), 1 and 2 September off.
        (local(8, 28), local(9, 3), "h1"),
        # ... and Saturday 22 August worked in exchange.
        (local(8, 21), local(8, 24), "h2"),
        # Half a year: the last bucket.
        (local(1, 5), local(6, 1), f"h{HANDLING_CAP}"),
    ],
)
def test_handling_time_in_working_days(submitted_at: datetime, resolved_at: datetime, bucket: str) -> None:
    ticket = TicketFacts(Status.CLOSED, submitted_at, submitted_at + timedelta(days=30),
                         accepted_at=submitted_at, resolve_due=resolved_at, resolved_at=resolved_at)
    buckets = [(key, n) for key, n in cells(ticket).items() if key[1].startswith("h")]
    assert buckets == [((local_day(resolved_at), bucket), 1)]


def test_the_last_handling_bucket_holds_everything_longer() -> None:
    assert [handling_counter(n) for n in (59, 60, 61, 400)] == ["h59", "h60", "h60", "h60"]


def test_days_are_local_days_in_vietnam() -> None:
    # 17:30 UTC is half past midnight the next day in Hồ Chí Minh City.
    assert local_day(datetime(2026, 3, 2, 17, 30, tzinfo=UTC)) == day(3, 3)
    assert local_day(datetime(2026, 3, 2, 16, 59, 59, tzinfo=UTC)) == day(3, 2)
    assert local_day(datetime(2026, 3, 3, 1, 0, tzinfo=timezone(timedelta(hours=9)))) == day(3, 2)
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2026, 3, 2, 12))
    # Thursday 17:30 UTC is Friday morning locally: answered the same local day, in 0 days.
    submitted, resolved = datetime(2026, 3, 5, 17, 30, tzinfo=UTC), local(3, 6, 9)
    ticket = TicketFacts(Status.RESOLVED, submitted, end_of(3, 10), accepted_at=submitted,
                         resolve_due=end_of(3, 20), resolved_at=resolved)
    got = cells(ticket)
    assert got[(day(3, 6), "received")] == 1
    assert got[(day(3, 6), "h0")] == 1


# The September 2026 figures of tests/feedback/rollup_history.py: 4 answers (3 on time), 1 still
# overdue at the month's end, 5 answered once, 1 reopened; 3 ratings, 1 not satisfied.
SEPTEMBER = Totals.of(
    {"received": 7, "resolved": 4, "on_time": 3, "overdue": 1, "answered": 5, "reopened": 1, "transfers": 1,
     "rated": 3, "satisfied": 1, "acceptable": 1, "not_satisfied": 1, "national_ok": 2},
    {6: 1, 7: 1, 13: 2},
)


def test_rates() -> None:
    assert SEPTEMBER.on_time_rate == 3 / (4 + 1)
    assert SEPTEMBER.on_time_rate_national == 3 / 4
    assert SEPTEMBER.satisfaction_rate == (3 - 1) / 3
    assert SEPTEMBER.satisfaction_rate_national == 2 / 4
    assert SEPTEMBER.rating_coverage == 3 / 4
    assert SEPTEMBER.reopen_rate == 1 / 5
    assert SEPTEMBER.transfers_per_ticket == 1 / 7
    # 6, 7, 13, 13 days: the 2nd answer took 7 days, the 4th 13.
    assert (SEPTEMBER.median_days, SEPTEMBER.p90_days) == (7, 13)
    assert (SEPTEMBER.received, SEPTEMBER.backlog) == (7, 0)
    with pytest.raises(AttributeError):
        SEPTEMBER.unknown_counter  # noqa: B018


def test_rates_without_a_denominator_are_none() -> None:
    nothing = Totals()
    rates = ("on_time_rate", "on_time_rate_national", "satisfaction_rate", "satisfaction_rate_national",
             "rating_coverage", "reopen_rate", "transfers_per_ticket", "median_days", "p90_days")
    assert {name: getattr(nothing, name) for name in rates} == dict.fromkeys(rates)
    # Open and overdue work alone: nothing answered on time out of one.
    overdue_only = Totals.of({"received": 1, "overdue": 1})
    assert (overdue_only.on_time_rate, overdue_only.on_time_rate_national) == (0.0, None)
    assert overdue_only.transfers_per_ticket == 0.0


def test_totals_add_up() -> None:
    total = Totals()
    total.add(SEPTEMBER)
    total.add(Totals.of({"received": 5, "resolved": 2, "on_time": 1}, {15: 1, 25: 1}))
    assert (total.received, total.resolved, total.on_time) == (12, 6, 4)
    assert total.handling == Counter({13: 2, 6: 1, 7: 1, 15: 1, 25: 1})


@pytest.mark.parametrize(
    ("histogram", "median", "p90"),
    [
        ({}, None, None),
        ({4: 1}, 4, 4),
        # Even: the median is the 2nd of 4, the 90th percentile the 4th (3.6 rounded up).
        ({1: 1, 2: 1, 3: 1, 4: 1}, 2, 4),
        # Odd: the 2nd of 3 and the 3rd of 3.
        ({9: 1, 1: 1, 5: 1}, 5, 9),
        ({2: 3, 7: 1}, 2, 7),
        # Nine of ten answers in the last bucket: "at least 60 days".
        ({3: 1, HANDLING_CAP: 9}, HANDLING_CAP, HANDLING_CAP),
        ({3: 9, HANDLING_CAP: 1}, 3, 3),
    ],
)
def test_nearest_rank_percentiles(histogram: dict[int, int], median: int | None, p90: int | None) -> None:
    assert (percentile(histogram, 0.5), percentile(histogram, 0.9)) == (median, p90)


def test_split_cells_keeps_handling_buckets_apart() -> None:
    counters, handling = split_cells([((day(3, 2), "received"), 1), ((day(3, 9), "h5"), 1), ((day(3, 9), "h5"), 1)])
    assert counters == Counter({(day(3, 2), "received"): 1})
    assert handling == Counter({(day(3, 9), 5): 2})


moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2030, 12, 31, 23, 59),
                       timezones=st.sampled_from([UTC, TIMEZONE]))
some_days = st.sets(st.dates(min_value=date(2001, 1, 1), max_value=date(2030, 12, 31)), max_size=30)


@settings(max_examples=150, deadline=None, database=None)
@given(start=moments, end=moments, days_off=some_days, working_days=some_days)
def test_the_running_count_matches_the_calendar(
    start: datetime, end: datetime, days_off: set[date], working_days: set[date]
) -> None:
    assume(not days_off & working_days)
    calendar = WorkingCalendar(extra_days_off=days_off, extra_working_days=working_days)
    count = WorkingDayCount(calendar)
    assert count.between(start, end) == calendar.working_days_between(start, end)
    assert count.between(end, start) == calendar.working_days_between(end, start)


def test_the_running_count_before_its_anchor() -> None:
    calendar = WorkingCalendar()
    start, end = datetime(1999, 12, 24, 9, tzinfo=TIMEZONE), datetime(2000, 1, 10, 9, tzinfo=TIMEZONE)
    assert WorkingDayCount(calendar).between(start, end) == calendar.working_days_between(start, end)
