"""The statistics rollups (DESIGN.md, "Indicators") and what keeps them current.

Everything here is derived from the tickets and their events: `flask statistics rebuild` can
throw it away and compile it again. Hence no foreign keys, and 0 (not NULL) for a dimension a
cube does not split by, so that each cell has one unambiguous key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import Model
from feedback.models.types import UTCDateTime

# The channel and kind of the rows that sum every channel and kind; no channel or kind is "*".
EVERY = "*"


class StatRollup(Model):
    """Summed cells (workflows/indicators.py) of the tickets sharing a key, per period.

    cube "dca": per department, category, area, channel and kind, by month; cube "dc": the same
    but the area (0), by month and by week; cube "a": per area, channel and kind, by month; cube
    "t": per channel and kind alone, by month and by week. `period` is the first day of the
    month, or the Monday of the week.

    Every cube also holds, with channel and kind both EVERY, the sums over every
    channel and kind: the figures most often read (no channel or kind chosen) then come from a
    fraction of the rows. A reader must pick either those rows or the others, never sum both."""

    # Readers fix the cube, grain, channel and kind, then some dimensions (0 for those a cube does
    # not split by), and read a range of periods: the key in that order is their index too.
    __table_args__ = (
        PrimaryKeyConstraint("cube", "grain", "channel", "kind", "department_id", "category_id", "area_id", "period"),
    )

    cube: Mapped[str] = mapped_column(String(3))
    grain: Mapped[str] = mapped_column(String(1))
    period: Mapped[date] = mapped_column(Date)
    department_id: Mapped[int] = mapped_column(autoincrement=False)
    category_id: Mapped[int] = mapped_column(autoincrement=False)
    area_id: Mapped[int] = mapped_column(autoincrement=False)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))

    received: Mapped[int] = mapped_column(default=0, server_default="0")
    accepted: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    resolved: Mapped[int] = mapped_column(default=0, server_default="0")
    on_time: Mapped[int] = mapped_column(default=0, server_default="0")
    backlog: Mapped[int] = mapped_column(default=0, server_default="0")
    overdue: Mapped[int] = mapped_column(default=0, server_default="0")
    answered: Mapped[int] = mapped_column(default=0, server_default="0")
    reopened: Mapped[int] = mapped_column(default=0, server_default="0")
    transfers: Mapped[int] = mapped_column(default=0, server_default="0")
    rated: Mapped[int] = mapped_column(default=0, server_default="0")
    satisfied: Mapped[int] = mapped_column(default=0, server_default="0")
    acceptable: Mapped[int] = mapped_column(default=0, server_default="0")
    not_satisfied: Mapped[int] = mapped_column(default=0, server_default="0")
    national_ok: Mapped[int] = mapped_column(default=0, server_default="0")
    # Answers per handling time: {"working days": count}.
    handling: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class TicketStat(Model):
    """The cells a ticket last contributed, under the key it contributed them to: the next
    change of the ticket takes these away and adds its new ones."""

    ticket_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    department_id: Mapped[int]
    category_id: Mapped[int]
    area_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    # [[day ordinal, counter, amount], ...]
    cells: Mapped[list[Any]] = mapped_column(JSON, default=list)


class StatChange(Model):
    """A ticket whose cells may have changed: written with each of its events, in the same
    transaction, and consumed by the statistics job (so a lost job loses nothing)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(index=True)


class StatState(Model):
    """One row: how far deadlines have been judged, and when the rollups were last compiled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    horizon: Mapped[datetime] = mapped_column(UTCDateTime)
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
