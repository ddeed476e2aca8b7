"""Rendering frozen results: CSV and JSON exports, feedback pages, class statistics.

Every function here takes results and returns (or writes) the same bytes for the same
input, so golden files stay stable: no timestamps, sorted keys, fixed float formats.
"""

from grader.reports.export import gradebook_csv, results_json, write_exports
from grader.reports.feedback import feedback_html, feedback_markdown
from grader.reports.markdown import markdown_to_html
from grader.reports.stats import ItemStats, item_analysis, write_statistics

__all__ = [
    "ItemStats",
    "feedback_html",
    "feedback_markdown",
    "gradebook_csv",
    "item_analysis",
    "markdown_to_html",
    "results_json",
    "write_exports",
    "write_statistics",
]
