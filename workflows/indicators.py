"""The indicators of DESIGN.md ("Indicators"), as arithmetic on one ticket's facts.

A ticket contributes *cells*: a counter, the local day it counts on, and how much. Every counter
is summable, so the statistics of any set of tickets and days are sums of cells, which is what
lets the rollups be compiled in full or one changed ticket at a time with the same result.

Two counters are changes rather than counts: `backlog` (+1 when work arrives or comes back,
-1 when it is answered or rejected) and `overdue` (+1 when open work passes its deadline, -1 when
that work is answered). Their sum over every day up to a date is the open work, and the open and
overdue work, at the end of that date.

Each ticket counts for the department that holds it now (after transfers) and its present
category, area, channel and kind; its deadlines are judged as they stand now (an extension or a
wait for the submitter moves them, and a reopening starts a new round).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .calendar import WorkingCalendar
from .states import OPEN, Status

# Vietnam has kept UTC+7 all year since 1975: a fixed offset is exact, and much faster than a
# time-zone conversion over a million tickets.
_LOCAL_OFFSET = timedelta(hours=7)
_JUST_AFTER = timedelta(seconds=1)

RATING_LEVELS = ("satisfied", "acceptable", "not_satisfied")
# Longer handling times share the last bucket: a percentile that falls in it reads "at least".
HANDLING_CAP = 60
HANDLING_PREFIX = "h"

COUNTERS = (
    "received",
    "accepted",
    "rejected",
    "resolved",
    "on_time",
    "backlog",
    "overdue",
    "answered",
    "reopened",
    "transfers",
    "rated",
    *RATING_LEVELS,
    "national_ok",
)

Cells = Counter[tuple[date, str]]
_Add = Callable[..., None]


def local_day(moment: datetime) -> date:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("naive_datetime")
    return (moment - offset + _LOCAL_OFFSET).date()


def handling_counter(days: int) -> str:
    return f"{HANDLING_PREFIX}{min(days, HANDLING_CAP)}"


# Not frozen: a frozen dataclass is several times slower to create, a million times over.
@dataclass(slots=True)
class TicketFacts:
    """What the indicators need of a ticket: its columns, its current rating, and, for a
    reopened ticket, the times of its answers and reopenings (from its events)."""

    status: Status
    submitted_at: datetime
    classify_due: datetime
    accepted_at: datetime | None = None
    resolve_due: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    paused_at: datetime | None = None
    transfers: int = 0
    rating: str | None = None
    answers: Sequence[datetime] = ()
    reopenings: Sequence[datetime] = ()


class WorkingDayCount:
    """Working days between two moments, as WorkingCalendar.working_days_between counts them,
    from a running count per day: each day is looked up once, not once per ticket."""

    _ANCHOR = date(2000, 1, 1)

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar
        # _running[i]: working days in (anchor, anchor + i days].
        self._running = [0]

    def _count(self, day: date) -> int:
        position = (day - self._ANCHOR).days
        running = self._running
        while len(running) <= position:
            running.append(running[-1] + self._calendar.is_working_day(self._ANCHOR + timedelta(days=len(running))))
        return running[position]

    def between(self, start: datetime, end: datetime) -> int:
        return self.between_days(local_day(start), local_day(end))

    def between_days(self, first: date, last: date) -> int:
        if last <= first:
            return 0
        if first < self._ANCHOR:
            return sum(
                self._calendar.is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1)
            )
        return self._count(last) - self._count(first)


def ticket_cells(facts: TicketFacts, horizon: datetime, workdays: WorkingDayCount) -> Cells:
    """The ticket's cells, as its history stands and with deadlines judged up to `horizon`."""
    # A plain dict and each day computed once: this runs a million times in a full rebuild.
    cells: dict[tuple[date, str], int] = {}

    def add(day: date, counter: str, amount: int = 1) -> None:
        key = (day, counter)
        cells[key] = cells.get(key, 0) + amount

    submitted = local_day(facts.submitted_at)
    add(submitted, "received")
    add(submitted, "backlog")
    if facts.transfers:
        add(submitted, "transfers", facts.transfers)
    if facts.accepted_at is not None:
        add(local_day(facts.accepted_at), "accepted")
    if facts.status == Status.REJECTED and facts.closed_at is not None:
        rejected = local_day(facts.closed_at)
        add(rejected, "rejected")
        add(rejected, "backlog", -1)

    answers = list(facts.answers) if facts.reopenings else ([facts.resolved_at] if facts.resolved_at else [])
    for answered in answers:
        add(local_day(answered), "backlog", -1)
    for reopened in facts.reopenings:
        add(local_day(reopened), "backlog")
    if answers:
        first_answer = local_day(answers[0])
        add(first_answer, "answered")
        if facts.reopenings:
            add(first_answer, "reopened")

    resolved = facts.resolved_at
    if resolved is not None:
        day = local_day(resolved)
        on_time = facts.resolve_due is not None and resolved <= facts.resolve_due
        add(day, "resolved")
        add(day, handling_counter(workdays.between_days(submitted, day)))
        if on_time:
            add(day, "on_time")
        if facts.rating is not None:
            add(day, "rated")
            add(day, facts.rating)
        # The national index's form: an answer counts unless it was late or its submitter was
        # not satisfied (neither is counted twice).
        if on_time and facts.rating != "not_satisfied":
            add(day, "national_ok")

    _add_overdue(facts, horizon, add)
    return Counter({key: amount for key, amount in cells.items() if amount})


def _add_overdue(facts: TicketFacts, horizon: datetime, add: _Add) -> None:
    due = facts.resolve_due or facts.classify_due
    if facts.status == Status.REJECTED:
        end = facts.closed_at
    elif facts.status in OPEN:
        end = None
    else:
        end = facts.resolved_at
    # Waiting for the submitter stops the clock: work that was not yet late when the question
    # went out is not late while the answer is awaited.
    if facts.status == Status.WAITING_FOR_SUBMITTER and facts.paused_at is not None and facts.paused_at <= due:
        return
    if due >= horizon or (end is not None and end <= due):
        return
    add(local_day(due + _JUST_AFTER), "overdue")
    if end is not None:
        add(local_day(end), "overdue", -1)


@dataclass
class Totals:
    """Summed cells of some tickets over some days, with the rates computed from them.

    `backlog` and `overdue` hold the open and the open-and-overdue work at the period's end once
    `with_position` has added everything before the period."""

    counts: Counter[str] = field(default_factory=Counter)
    handling: Counter[int] = field(default_factory=Counter)

    @classmethod
    def of(cls, counters: Mapping[str, int], handling: Mapping[int, int] | None = None) -> Totals:
        return cls(Counter(dict(counters)), Counter(dict(handling or {})))

    def add(self, other: Totals) -> None:
        self.counts.update(other.counts)
        self.handling.update(other.handling)

    def __getattr__(self, name: str) -> int:
        if name in COUNTERS:
            return self.counts[name]
        raise AttributeError(name)

    @staticmethod
    def _ratio(numerator: int, denominator: int) -> float | None:
        return numerator / denominator if denominator else None

    @property
    def on_time_rate(self) -> float | None:
        # Open work already past its deadline counts against the rate, so that leaving late
        # work unanswered cannot look better than answering it late.
        return self._ratio(self.counts["on_time"], self.counts["resolved"] + self.counts["overdue"])

    @property
    def on_time_rate_national(self) -> float | None:
        """Handled on time ÷ all handled within competence (rejections are outside it)."""
        return self._ratio(self.counts["on_time"], self.counts["resolved"])

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.counts["rated"] - self.counts["not_satisfied"], self.counts["rated"])

    @property
    def satisfaction_rate_national(self) -> float | None:
        """(All answered − not satisfied − late) ÷ all answered; unrated answers count as satisfied."""
        return self._ratio(self.counts["national_ok"], self.counts["resolved"])

    @property
    def rating_coverage(self) -> float | None:
        return self._ratio(self.counts["rated"], self.counts["resolved"])

    @property
    def reopen_rate(self) -> float | None:
        return self._ratio(self.counts["reopened"], self.counts["answered"])

    @property
    def transfers_per_ticket(self) -> float | None:
        return self._ratio(self.counts["transfers"], self.counts["received"])

    @property
    def median_days(self) -> int | None:
        return percentile(self.handling, 0.5)

    @property
    def p90_days(self) -> int | None:
        return percentile(self.handling, 0.9)


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The smallest number of days that at least `fraction` of the answers took no longer than
    (the nearest-rank percentile, exact for whole days)."""
    total = sum(histogram.values())
    if not total:
        return None
    needed = fraction * total
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= needed:
            return days
    return max(histogram)


def split_cells(
    cells: Iterable[tuple[tuple[date, str], int]],
) -> tuple[Counter[tuple[date, str]], Counter[tuple[date, int]]]:
    """Counters and handling-time buckets apart: (day, counter) and (day, days)."""
    counters: Counter[tuple[date, str]] = Counter()
    handling: Counter[tuple[date, int]] = Counter()
    for (day, name), amount in cells:
        if name.startswith(HANDLING_PREFIX) and name[1:].isdigit():
            handling[(day, int(name[1:]))] += amount
        else:
            counters[(day, name)] += amount
    return counters, handling
