"""The report page opened in a real browser (Debian's chromium, driven by Playwright):
hostile student text shows as text and runs nothing."""

from pathlib import Path
from typing import Any

from hostile_report import SCRIPT, hostile_report

from grader.similarity import write_report


def test_hostile_text_in_the_report_runs_nothing_in_the_browser(
    browser: Any, tmp_path: Path
) -> None:
    html, _ = write_report(hostile_report(), tmp_path)
    page = browser.new_page()
    # the DOM is complete (inline scripts would have run); "load" can take long on a busy
    # machine, and no element that could load or run anything exists to wait for
    page.goto(html.as_uri(), wait_until="domcontentloaded")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, img, [onerror]").count() == 0
    assert SCRIPT in page.inner_text("body")  # shown as text, for the TA to read
    page.click("#p1-c1-a-r0")  # a region's link jumps to its match on the other side
    assert page.evaluate("location.hash") == "#p1-c1-b-r0"
