"""Indicator tables as files: CSV for any program, XLSX for Excel.

One row per department, category or area, then the total; a column per indicator. Rates are
numbers between 0 and 1 (0.925), formatted as percentages in the workbook, so that a
spreadsheet can compute with them; a figure that cannot be computed (no rated answer) is an
empty cell. The labels come from the caller, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feedback.services.statistics.files import csv_bytes, xlsx_bytes
from feedback.services.statistics.reading import INDICATORS, Indicator
from workflows.indicators import Totals

Cell = str | int | float | None
# Four decimals keep a rate exact to a hundredth of a percent, without float noise.
_DECIMALS = 4
_XLSX_FORMATS = {"rate": "0.0%", "ratio": "0.00"}


@dataclass(frozen=True)
class ExportTable:
    title: str
    header: list[str]
    rows: list[list[Cell]]
    # The indicator of each column after the name and the code.
    indicators: tuple[Indicator, ...]


def _cell(indicator: Indicator, totals: Totals) -> Cell:
    value = indicator.value(totals)
    return round(value, _DECIMALS) if isinstance(value, float) else value


def indicator_table(
    title: str,
    first_header: str,
    code_header: str,
    labels: Mapping[str, str],
    rows: Sequence[tuple[str, str, Totals]],
    total: tuple[str, Totals],
    indicators: tuple[Indicator, ...] = INDICATORS,
) -> ExportTable:
    """`rows` are (name, code, totals); `labels` name each indicator by its key."""
    body: list[list[Cell]] = [
        [name, code, *(_cell(indicator, totals) for indicator in indicators)] for name, code, totals in rows
    ]
    total_name, total_totals = total
    body.append([total_name, "", *(_cell(indicator, total_totals) for indicator in indicators)])
    header = [first_header, code_header, *(labels[indicator.key] for indicator in indicators)]
    return ExportTable(title, header, body, indicators)


def to_csv(table: ExportTable) -> bytes:
    return csv_bytes(table.header, table.rows)


def to_xlsx(table: ExportTable) -> bytes:
    # The name and the code, then each indicator's own format.
    formats = [None, None, *(_XLSX_FORMATS.get(indicator.form) for indicator in table.indicators)]
    return xlsx_bytes(table.title, table.header, table.rows, formats)
