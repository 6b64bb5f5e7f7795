"""What the browser tests share besides their fixtures (conftest.py): where Chromium is, the
skip without it, the screen sizes, an audit of each page (nothing refused by the
Content-Security-Policy, and axe-core), following a link or a form, signing in and out.

Each test walks its pages at both screen sizes, with every click, assertion and screenshot;
axe-core audits each page at one of them, the phone's (AUDITED), once per language. A page
shows everything it has at that size (the scroll hints, the tables scrolling in regions of
their own, the sticky first columns), and the desktop layout hides some of it, never adds.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from feedback.demo import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Every browser test module sets `pytestmark = BROWSER_ONLY`.
BROWSER_ONLY = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="no Chromium here: install Debian's `chromium` to run the browser tests",
    ),
]
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AUDITED = PHONE


def audit(page: Any, name: str) -> None:
    """Fail on anything the Content-Security-Policy refused on the page (Chromium reports it on
    the console); keep a screenshot to look at, at every size; at the AUDITED size, fail on any
    WCAG 2.2 AA violation axe-core finds."""
    from axe_playwright_python.sync_playwright import Axe

    refused = [m.text for m in page.console_messages() if "Content Security Policy" in m.text]
    assert not refused, f"{name}: {refused}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    if page.viewport_size != AUDITED:
        return
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def follow(page: Any, target: Any) -> None:
    """Click a link or a form's button and wait until the page it leads to has loaded. A click
    returns once that page has started to arrive: a check or an audit made then could see the
    half of it parsed so far, which happens when the machine is busy."""
    with page.expect_navigation():
        target.click()


def sign_in(page: Any, base: str, email: str) -> None:
    """The password, then, when the code step follows, the current code of the demo secret."""
    import pyotp

    from feedback.demo import DEMO_TOTP_SECRET

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("Mật khẩu|Password")).fill(DEMO_PASSWORD)
    follow(page, page.get_by_role("button", name=re.compile("^(Đăng nhập|Sign in)$")))
    if page.url.endswith("/login/code"):
        page.get_by_label(re.compile("6")).fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
        follow(page, page.get_by_role("button", name=re.compile("^(Tiếp tục|Continue)$")))


def sign_out(page: Any) -> None:
    follow(page, page.get_by_role("button", name=re.compile("Đăng xuất|Sign out")))


