"""Rendering frozen results: CSV and JSON exports, feedback pages, class statistics.

The gradebook is read once, by ``read_table``, into a frozen ``ClassTable``; every
writer is a function of that table and the exam and returns (or writes) the same bytes
for the same input, so golden files stay stable: no timestamps, sorted keys, fixed float
formats. ``write_reports`` writes them all.
"""

from grader.reports.export import gradebook_csv, results_json, write_exports
from grader.reports.feedback import feedback_html, feedback_markdown, write_feedback
from grader.reports.markdown import markdown_to_html
from grader.reports.outputs import write_reports
from grader.reports.stats import (
    ItemStats,
    item_analysis,
    statistics_csv,
    statistics_markdown,
    write_statistics,
)
from grader.reports.table import ClassTable, QuestionColumn, StudentRow, read_table

__all__ = [
    "ClassTable",
    "ItemStats",
    "QuestionColumn",
    "StudentRow",
    "feedback_html",
    "feedback_markdown",
    "gradebook_csv",
    "item_analysis",
    "markdown_to_html",
    "read_table",
    "results_json",
    "statistics_csv",
    "statistics_markdown",
    "write_exports",
    "write_feedback",
    "write_reports",
    "write_statistics",
]
