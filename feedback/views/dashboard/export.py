"""The dashboard's table as a file: the league table or a level of its drill-down, with the
filters of the page, as CSV or XLSX (feedback/services/statistics/export.py)."""

from __future__ import annotations

from typing import Literal

from flask import Response
from flask_babel import gettext as _

from feedback.i18n import INDICATOR_LABELS
from feedback.services.statistics.export import indicator_table, to_csv, to_xlsx
from feedback.views.dashboard.levels import Level

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(level: Level, fmt: Literal["csv", "xlsx"]) -> Response:
    labels = {key: str(label) for key, (label, _help) in INDICATOR_LABELS.items()}
    table = indicator_table(
        _("Figures"),
        level.first_header,
        _("Code"),
        labels,
        [(row.label, row.key, row.totals) for row in level.rows],
        (_("All"), level.total),
    )
    content = to_csv(table) if fmt == "csv" else to_xlsx(table)
    response = Response(content, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(level)}.{fmt}"'
    return response


def file_name(level: Level) -> str:
    """From the period, the codes drilled into (checked to be plain ASCII when saved) and the
    slices: dashboard-2026-01-2026-03-SXD."""
    filters = level.filters
    parts = ["dashboard", f"{filters.first:%Y-%m}", f"{filters.last:%Y-%m}", *level.codes]
    parts += [value for value in (filters.channel, filters.kind) if value]
    return "-".join(parts)
