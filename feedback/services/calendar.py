"""The working-day calendar the services count deadlines with."""

from __future__ import annotations

from functools import cache

from workflows import DeadlinePolicy, WorkingCalendar


@cache
def working_calendar() -> WorkingCalendar:
    return WorkingCalendar()


@cache
def deadline_policy() -> DeadlinePolicy:
    return DeadlinePolicy()
