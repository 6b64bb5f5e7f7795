"""What templates/_charts.html draws: ticks along the axis, named series of values, and a
sentence saying what the chart shows (its <desc>, read by screen readers before the table).

Built from statistics.series points; the leaders' dashboard draws the trends of its filters,
and any page with points may draw the same charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from flask_babel import gettext as _

from feedback.i18n import format_rate
from feedback.services.statistics.reading import SATISFACTION_TARGET, Point


@dataclass(frozen=True)
class Tick:
    # Under the axis; "" leaves the tick unlabelled where labels would crowd.
    short: str
    # A second line under the first: the year, under the first month and each January.
    sub: str
    # In full, for the table of the numbers.
    name: str


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float | None]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    first_header: str
    ticks: list[Tick]
    series: list[Series]
    form: Literal["count", "rate"]


def month_ticks(points: Sequence[Point]) -> list[Tick]:
    ticks = []
    for index, point in enumerate(points):
        month = point.period
        # The year goes under the first month and each January, not twice side by side.
        first_of_year = month.month == 1 or (index == 0 and month.month != 12)
        ticks.append(Tick(f"{month:%m}", f"{month:%Y}" if first_of_year else "", f"{month:%m/%Y}"))
    return ticks


def week_ticks(points: Sequence[Point]) -> list[Tick]:
    """Every other week labelled, by its Monday; the last week always."""
    last = len(points) - 1
    return [
        Tick(f"{point.period:%d/%m}" if (last - index) % 2 == 0 else "", "",
             _("Week of %(day)s", day=f"{point.period:%d/%m/%Y}"))
        for index, point in enumerate(points)
    ]


def volume_chart(chart_id: str, title: str, first_header: str, points: Sequence[Point], ticks: list[Tick]) -> Chart:
    received = [point.totals.received for point in points]
    answered = [point.totals.resolved for point in points]
    busiest = max(range(len(points)), key=lambda index: (received[index], index)) if points else None
    if busiest is None or not received[busiest]:
        summary = _("Nothing was received in these periods.")
    else:
        summary = _(
            "%(received)d received and %(answered)d answered in all; the most received: %(most)d, in %(when)s.",
            received=sum(received), answered=sum(answered), most=received[busiest], when=ticks[busiest].name,
        )
    return Chart(
        chart_id, title, _("%(title)s, %(first)s to %(last)s.", title=title, first=ticks[0].name, last=ticks[-1].name)
        + " " + summary, first_header, ticks,
        [Series(_("Received"), received), Series(_("Answered"), answered)], "count",
    )


def rates_chart(chart_id: str, title: str, first_header: str, points: Sequence[Point], ticks: list[Tick]) -> Chart:
    satisfaction = [point.totals.satisfaction_rate for point in points]
    # Per week or month the form that counts the open and overdue work at the period's end would
    # set one period's answers against the whole late stock; the trend uses answered on time ÷
    # answered, and the headline gives both forms.
    on_time = [point.totals.on_time_rate_national for point in points]
    latest = _(
        "In %(when)s: satisfaction rate %(satisfaction)s, answered on time %(on_time)s.",
        when=ticks[-1].name, satisfaction=format_rate(satisfaction[-1]), on_time=format_rate(on_time[-1]),
    )
    description = _(
        "%(title)s, %(first)s to %(last)s, against the target of more than %(target)s.",
        title=title, first=ticks[0].name, last=ticks[-1].name, target=format_rate(SATISFACTION_TARGET),
    )
    return Chart(
        chart_id, title, description + " " + latest, first_header, ticks,
        [Series(_("Satisfaction rate"), satisfaction), Series(_("Answered on time"), on_time)], "rate",
    )


def trend_charts(months: Sequence[Point], weeks: Sequence[Point]) -> list[Chart]:
    """Received and answered, and the two rates, by month and by week."""
    by_month, by_week = month_ticks(months), week_ticks(weeks)
    return [
        volume_chart("months-volume", _("Received and answered by month"), _("Month"), months, by_month),
        rates_chart("months-rates", _("Satisfaction and on-time rates by month"), _("Month"), months, by_month),
        volume_chart("weeks-volume", _("Received and answered by week"), _("Week"), weeks, by_week),
        rates_chart("weeks-rates", _("Satisfaction and on-time rates by week"), _("Week"), weeks, by_week),
    ]
