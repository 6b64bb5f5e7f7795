"""The dashboard's CSV and Excel exports and its printable report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from feedback.extensions import db
from feedback.models import Department
from tests.feedback.dashboard_history import BAC_NHA_TRANG, NHA_TRANG, Q1, History, by_testid, cell, ids_in, page, row
from tests.feedback.dashboard_history import history as history

# --- Exports and the report -------------------------------------------------------------------


def test_csv_export_of_the_league_table(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}&sort=name")
    link = re.search(r'href="([^"]+)" data-testid="export-csv"', html).group(1).replace("&amp;", "&")
    assert link == "/dashboard/export.csv?first=2026-01&last=2026-03&sort=name&order=asc"
    response = client.get(link)
    assert response.mimetype == "text/csv"
    assert 'filename="dashboard-2026-01-2026-03.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Department", "Code", "Received", "Accepted", "Rejected"]
    assert rows[0][8:12] == [
        "On-time rate",
        "On-time rate (national form)",
        "Satisfaction rate",
        "Satisfaction rate (national form)",
    ]
    # In the order of the page: by name, and Construction comes before Industry in English.
    assert [r[1] for r in rows[1:]] == ["SXD", "SCT", ""]
    header = rows[0]
    construction = dict(zip(header, rows[1], strict=True))
    assert construction["Department"] == "Department of Construction"
    assert (construction["Received"], construction["Answered"], construction["Open and overdue"]) == ("4", "3", "1")
    assert construction["On-time rate"] == "0.5" and construction["Satisfaction rate"] == "0.5"
    assert construction["Transfers per ticket"] == "0.0"
    industry = dict(zip(header, rows[2], strict=True))
    assert industry["Satisfaction rate"] == "1.0" and industry["Reopen rate"] == "0.0"
    total = dict(zip(header, rows[3], strict=True))
    assert total["Department"] == "All" and total["Received"] == "6"
    assert total["On-time rate"] == "0.6" and total["Satisfaction rate"] == "0.6667"


def test_csv_export_in_vietnamese_at_a_drill_level(
    client: FlaskClient, history: History, login: Callable[[str], Any]
) -> None:
    login("leader@example.org")
    sxd = history.departments["SXD"]
    response = client.get(f"/dashboard/departments/{sxd}/export.csv?{Q1}&channel=web")
    assert 'filename="dashboard-2026-01-2026-03-SXD-web.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][2] == "Đã nhận" and "Tỷ lệ hài lòng" in rows[0]
    assert [(r[0], r[1], r[2]) for r in rows[1:-1]] == [
        ("Giao thông, đường bộ, cầu cống", "GTDB", "3"),
        ("Cấp nước, thoát nước, ngập úng", "CTN", "1"),
    ]
    assert rows[-1][1:3] == ["", "4"]


def test_exports_keep_a_name_that_looks_like_a_formula_as_text(
    app: Flask, client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    formula = '=HYPERLINK("http://example.org","Bấm vào đây")'
    with app.app_context():
        db.session.get(Department, history.departments["SXD"]).name_en = formula
        db.session.commit()
    login("leader@example.org")
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboard/export.csv?{Q1}").data.decode("utf-8-sig"))))
    assert "'" + formula in [row[0] for row in rows]
    sheet = load_workbook(io.BytesIO(client.get(f"/dashboard/export.xlsx?{Q1}").data)).active
    [cell] = [row[0] for row in sheet.iter_rows() if row[0].value == formula]
    assert cell.data_type == "s", "a string, not a formula Excel would run"


def test_xlsx_export_reads_back_with_rates_as_percentages(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    sxd, roads = history.departments["SXD"], history.categories["GTDB"]
    response = client.get(f"/dashboard/departments/{sxd}/categories/{roads}/export.xlsx?{Q1}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="dashboard-2026-01-2026-03-SXD-GTDB.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = rows[0]
    assert header[:3] == ["Place", "Code", "Received"] and sheet["A1"].font.b
    assert [r[0] for r in rows[1:]] == [NHA_TRANG, BAC_NHA_TRANG, "All"]
    nha_trang = dict(zip(header, rows[1], strict=True))
    assert nha_trang["Received"] == 2 and nha_trang["Satisfaction rate"] == 0.5
    assert nha_trang["Rating coverage"] == 1 and nha_trang["Median handling time"] is not None
    late = dict(zip(header, rows[2], strict=True))
    # No rated answer: the rate cannot be computed, and the cell is empty.
    assert late["Satisfaction rate"] is None and late["On-time rate"] == 0
    rate_column = header.index("On-time rate") + 1
    assert sheet.cell(row=2, column=rate_column).number_format == "0.0%"
    assert sheet.cell(row=2, column=header.index("Received") + 1).number_format == "General"
    assert sheet.freeze_panes == "C2"


def test_printable_report_for_the_period(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    overview = page(client, f"/dashboard/?{Q1}&kind=feedback")
    link = re.search(r'href="([^"]+)">Printable report for this period', overview).group(1).replace("&amp;", "&")
    html = page(client, link)
    assert by_testid(html, "report-scope").startswith("01/2026 – 03/2026 · Feedback")
    assert "Figures compiled" in html
    assert 'data-print hidden>Print</button>' in html and "js/print.js" in html
    assert by_testid(html, "headline-received").split()[-1] == "5"
    assert ids_in(html) == ["SXD", "SCT"]
    # G, the recommendation, is left out: one ticket each for electricity and water.
    assert ids_in(html, testid_="per-category") == ["GTDB", "DIEN", "CTN"]
    assert cell(row(html, "total", "per-category"), "received") == "5"
    for chart_id in ("months-volume", "months-rates", "weeks-volume", "weeks-rates"):
        assert f'id="{chart_id}"' in html
    notes = html[html.index('<dl class="report-notes">') :]
    assert "Answered on time ÷ (answered + open and overdue)" in notes[: notes.index("</dl>")]
    # The report is to read and print: no sorting links, no buttons besides Print.
    assert "sort-link" not in html and 'data-testid="export-csv"' not in html
