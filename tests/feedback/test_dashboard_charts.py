"""The dashboard's hotspots, and its trend charts drawn as accessible SVG with their numbers in tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.feedback.dashboard_history import NHA_TRANG, Q1, History, page, text
from tests.feedback.dashboard_history import history as history

# --- Hotspots and charts ----------------------------------------------------------------------


def test_hotspots_rise_against_the_previous_period(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    areas = html[html.index('data-testid="hot-areas"') :]
    areas = areas[: areas.index("</table>")]
    # Nha Trang: A, B, E, G this quarter against F the quarter before. Bắc Nha Trang has 2: too few.
    assert re.findall(r"<th scope=\"row\"><a [^>]+>([^<]+)</a>", areas) == [NHA_TRANG]
    assert [text(c) for c in re.findall(r'data-column="[a-z]+">(.*?)</td>', areas, re.S)] == ["4", "1", "+3 +300%"]
    assert f"area={history.areas[NHA_TRANG]}" in areas
    subjects = html[html.index('data-testid="hot-categories"') :]
    subjects = subjects[: subjects.index("</table>")]
    assert re.findall(r"<th scope=\"row\"><a [^>]+>([^<]+)</a>", subjects) == ["Traffic, roads and bridges"]
    assert [text(c) for c in re.findall(r'data-column="[a-z]+">(.*?)</td>', subjects, re.S)] == ["3", "1", "+2 +200%"]
    calm = page(client, "/dashboard/?first=2026-03&last=2026-03")
    assert "Nothing rose against the previous period." in calm


def _chart(html: str, chart_id: str) -> str:
    start = html.index(f'<figure class="chart" id="{chart_id}"')
    return html[start : html.index("</figure>", start)]


def _chart_rows(chart: str) -> list[list[str]]:
    body = chart[chart.index("<tbody>") : chart.index("</tbody>")]
    return [
        [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_trend_charts_are_accessible_svg_with_their_numbers_in_tables(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    for chart_id in ("months-volume", "months-rates", "weeks-volume", "weeks-rates"):
        chart = _chart(html, chart_id)
        assert f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' in chart
        assert f'<title id="{chart_id}-title">' in chart and f'<desc id="{chart_id}-desc">' in chart
        assert '<details class="chart-data">' in chart and "<table" in chart
        assert 'class="chart-legend"' in chart
    volume = _chart(html, "months-volume")
    rows = _chart_rows(volume)
    assert len(rows) == 12 and rows[0][0] == "04/2025" and rows[-1][0] == "03/2026"
    assert rows[-4:] == [["12/2025", "1", "1"], ["01/2026", "2", "2"], ["02/2026", "2", "0"], ["03/2026", "2", "2"]]
    assert "7 received and 5 answered in all" in volume
    drawing = volume[: volume.index("</svg>")]
    assert drawing.count('class="chart-bar-0"') == 4 and drawing.count('class="chart-bar-1"') == 3
    rates = _chart(html, "months-rates")
    assert _chart_rows(rates)[-3:] == [
        ["01/2026", "50.0%", "100.0%"],
        ["02/2026", "—", "—"],
        ["03/2026", "100.0%", "50.0%"],
    ]
    # The trend's on-time line is answered on time ÷ answered: March's one late answer of two.
    # No rating in February: the satisfaction line stops there rather than joining January to March.
    satisfaction_line = re.search(r'<path d="([^"]+)" class="chart-line-0"/>', rates).group(1)
    assert satisfaction_line.count("M") == 2 and "L" not in satisfaction_line
    assert 'class="chart-target"' in rates and "Target: more than 90.0%" in rates
    assert "In 03/2026: satisfaction rate 100.0%, answered on time 50.0%." in rates
    weeks = _chart_rows(_chart(html, "weeks-volume"))
    assert len(weeks) == 13 and weeks[-1][0] == "Week of 30/03/2026" and weeks[0][0] == "Week of 05/01/2026"
    assert weeks[-5:] == [
        ["Week of 02/03/2026", "1", "1"],
        ["Week of 09/03/2026", "0", "0"],
        ["Week of 16/03/2026", "0", "0"],
        ["Week of 23/03/2026", "1", "0"],
        ["Week of 30/03/2026", "0", "1"],
    ]
