"""Reports rewritten in the background while TAs review, so feedback pages follow the review.

Each decision asks for a rewrite (``ReportWriter.request``); one worker thread rewrites
gradebook.csv, results.json, the feedback pages and the statistics (``write_reports`` from a
fresh ``read_table``). Requests coalesce: at most one rewrite runs and one waits, however many
decisions arrive meanwhile, and the waiting one reads the gradebook when it starts, so it
includes them all. ``close`` stops the worker and rewrites once more, so the reports on disk
hold every decision when the page stops.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from grader.gradebook import Gradebook
from grader.loading import LoadedExam
from grader.reports import read_table, write_reports

__all__ = ["ReportWriter", "rewrite_reports"]


def rewrite_reports(exam: LoadedExam, gradebook_path: Path, out: Path) -> None:
    """Every report of ``exam`` in ``out`` from the gradebook as it is now (its own
    connection: safe from any thread)."""
    gradebook = Gradebook(gradebook_path)
    try:
        write_reports(exam, read_table(exam, gradebook), out)
    finally:
        gradebook.close()


class ReportWriter:
    """One background thread that runs ``rewrite`` when asked, coalescing requests."""

    def __init__(self, rewrite: Callable[[], None]) -> None:
        self._rewrite = rewrite
        self._wanted = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self.rewrites = 0
        """How many rewrites have finished (tests and the log read it)."""
        self._thread = threading.Thread(target=self._run, name="review-reports", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a rewrite; returns at once."""
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping:
                return
            self._wanted.clear()  # requests from now on wait for the next rewrite
            self._once()

    def _once(self) -> None:
        with self._lock:
            try:
                self._rewrite()
                self.rewrites += 1
            except Exception as exc:  # a failed rewrite must not stop the review
                print(
                    f"review page: could not rewrite the reports ({type(exc).__name__}: {exc}); "
                    "they are rewritten after the next decision and when the page stops",
                    file=sys.stderr,
                )

    def close(self) -> None:
        """Stop the worker (after the rewrite it is running, if any) and rewrite once more."""
        self._stopping = True
        self._wanted.set()
        self._thread.join()
        self._once()
