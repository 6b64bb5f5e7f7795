"""Tables as files that people open in a spreadsheet: CSV (streamed, for any program) and XLSX
(for Excel). The one place that writes them, so every export is safe the same way: a cell that
a spreadsheet would run as a formula (CSV injection) is written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A spreadsheet runs a cell that begins with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NAME_WIDTH, _FIGURE_WIDTH = 42, 14


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], pages: Iterable[Iterable[Sequence[Any]]]) -> Iterator[str]:
    """UTF-8 CSV with a byte order mark (without it Excel reads Vietnamese as Windows-1252),
    CRLF line ends, one chunk per page of rows, so a large table is never held whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([_csv_value(label) for label in header])
    for page in pages:
        writer.writerows([_csv_value(value) for value in row] for row in page)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return "".join(csv_chunks(header, [rows])).encode("utf-8")


def xlsx_bytes(
    title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], number_formats: Sequence[str | None] = ()
) -> bytes:
    """One sheet: the header in bold and frozen with the first two columns (a name and a code),
    then the rows; `number_formats` gives a column's format by its position (rates as 0.0%)."""
    workbook = Workbook(write_only=True)
    # Excel refuses sheet names over 31 characters.
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = _NAME_WIDTH
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = _FIGURE_WIDTH
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, label, font=bold) for label in header])
    for row in rows:
        sheet.append(
            [
                _xlsx_cell(sheet, value, number_format=number_formats[i] if i < len(number_formats) else None)
                for i, value in enumerate(row)
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_cell(sheet: Any, value: Any, *, font: Font | None = None, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores a string that starts with "=" as a formula: keep it text.
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell
