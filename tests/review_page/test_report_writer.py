"""The reports are rewritten in the background: requests made while a rewrite runs
coalesce into one more rewrite, a failed rewrite does not stop the next, and closing
rewrites once more."""

from __future__ import annotations

import threading
import time

import pytest

from grader.review_page.report_writer import ReportWriter


class SlowRewrite:
    """A rewrite that waits for ``release`` the first time, and counts its runs."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def __call__(self) -> None:
        self.started.set()
        self.release.wait(5)
        self.runs += 1


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_requests_during_a_rewrite_coalesce_into_one_more() -> None:
    rewrite = SlowRewrite()
    writer = ReportWriter(rewrite)
    writer.request()
    assert rewrite.started.wait(5)
    for _ in range(10):  # ten decisions while the first rewrite runs
        writer.request()
    rewrite.release.set()
    wait_for(lambda: writer.rewrites == 2)
    time.sleep(0.1)
    assert rewrite.runs == 2  # one running, one queued: never eleven
    writer.close()
    assert rewrite.runs == 3  # and once more when the page stops


def test_closing_rewrites_once_even_without_a_request() -> None:
    rewrite = SlowRewrite()
    rewrite.release.set()
    writer = ReportWriter(rewrite)
    writer.close()
    assert rewrite.runs == 1


def test_a_failed_rewrite_is_reported_and_the_next_one_still_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")

    writer = ReportWriter(flaky)
    writer.request()
    wait_for(lambda: len(calls) == 1)
    writer.request()
    wait_for(lambda: writer.rewrites == 1)
    writer.close()
    assert len(calls) == 3 and writer.rewrites == 2
    assert "could not rewrite the reports (OSError: disk full)" in capsys.readouterr().err
