"""Every output of a grading run, written from one reading of the gradebook."""

from __future__ import annotations

from pathlib import Path

from grader.loading import LoadedExam
from grader.reports.export import write_exports
from grader.reports.feedback import write_feedback
from grader.reports.stats import write_statistics
from grader.reports.table import ClassTable

__all__ = ["write_reports"]


def write_reports(exam: LoadedExam, table: ClassTable, out: Path) -> list[Path]:
    """gradebook.csv, results.json, feedback/<student>.md and .html, and statistics/ (md,
    csv, histogram.png, items.png) into ``out``, all from ``table`` (read the gradebook
    with ``read_table`` after the last change, so TA overrides show)."""
    paths = write_exports(exam, table, out)
    paths += write_feedback(exam, table, out)
    paths += write_statistics(exam, table, out / "statistics")
    return paths
