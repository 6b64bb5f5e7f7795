"""Indicator tables as files: CSV for any program, XLSX for Excel.

One row per department, category or area, then the total; a column per indicator. Rates are
numbers between 0 and 1 (0.925), formatted as percentages in the workbook, so that a
spreadsheet can compute with them; a figure that cannot be computed (no rated answer) is an
empty cell. The labels come from the caller, in the reader's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from feedback.services.statistics import INDICATORS, Indicator
from workflows.indicators import Totals

Cell = str | int | float | None
# Four decimals keep a rate exact to a hundredth of a percent, without float noise.
_DECIMALS = 4
_XLSX_FORMATS = {"rate": "0.0%", "ratio": "0.00"}
_NAME_WIDTH, _FIGURE_WIDTH = 42, 14


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
    """UTF-8 with a byte order mark: without it Excel reads Vietnamese as Windows-1252."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return text.getvalue().encode("utf-8-sig")


def to_xlsx(table: ExportTable) -> bytes:
    workbook = Workbook(write_only=True)
    # Excel refuses sheet names over 31 characters.
    sheet = workbook.create_sheet(table.title[:31])
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = _NAME_WIDTH
    for index in range(2, len(table.header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = _FIGURE_WIDTH
    bold = Font(bold=True)
    header = []
    for label in table.header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells: list[WriteOnlyCell | Cell] = list(row[:2])
        for indicator, value in zip(table.indicators, row[2:], strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if indicator.form in _XLSX_FORMATS:
                cell.number_format = _XLSX_FORMATS[indicator.form]
            cells.append(cell)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
