"""Class statistics: score histogram and item analysis (difficulty and discrimination).

The known-mistakes table counts, per question, how many students' answers matched each
known mistake the author wrote (a code question's ``mutants``, a numeric question's
``distractors``; ``QuestionResult.known_mistake``): what went wrong in this class.

Difficulty is the classical *p*-value: the mean share of an item's marks the class
earned (1 = everyone got it). Discrimination is the corrected item-total correlation:
the Pearson correlation between the item score and the total *without* that item, so an
item does not correlate with itself. Near zero or negative flags a question to review.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.loading import LoadedExam
from grader.reports._csv import Cell, csv_text, number
from grader.reports.table import ClassTable
from grader.results import QuestionResult
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    MultipartQuestion,
    NumericQuestion,
    Question,
)

__all__ = [
    "ItemStats",
    "KnownMistakeCount",
    "item_analysis",
    "known_mistake_counts",
    "statistics_csv",
    "statistics_markdown",
    "write_statistics",
]


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one question over the class."""

    question_id: str
    max_marks: float
    n: int
    mean: float
    difficulty: float
    discrimination: float | None
    """None when undefined (fewer than 3 students, or no variance)."""


def _corr(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or float(np.std(x)) == 0.0 or float(np.std(y)) == 0.0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def item_analysis(table: ClassTable) -> list[ItemStats]:
    """Per-question statistics of ``table`` (a question a student has no answer to
    counts 0; a stored answer to a question no longer in the exam counts nowhere)."""
    n_students, n_items = len(table.students), len(table.questions)
    # (students, items): marks with overrides applied
    matrix = np.array(
        [
            [a.marks if (a := row.answer(q)) is not None else 0.0 for q in table.question_ids]
            for row in table.students
        ],
        dtype=float,
    ).reshape(n_students, n_items)
    totals = matrix.sum(axis=1)  # (students,)
    out = []
    for j, column in enumerate(table.questions):
        item = matrix[:, j]  # (students,)
        mean = float(item.mean()) if n_students else 0.0
        # discrimination: corr(item, total - item), the item-rest correlation
        discrimination = _corr(item, totals - item)
        out.append(
            ItemStats(
                column.question_id,
                column.max_marks,
                n_students,
                round(mean, 6),
                round(mean / column.max_marks, 6),
                None if discrimination is None else round(discrimination, 6),
            )
        )
    return out


@dataclass(frozen=True)
class KnownMistakeCount:
    """How many students' answers to one question matched one known mistake."""

    question_id: str
    """The question, or ``id/part``."""
    mistake: str
    """The mutant's ``module:function``, or ``distractor N``."""
    message: str
    """The author's message, as students read it."""
    students: int


def _known_mistakes(question: Question, qid: str) -> list[tuple[str, str, str]]:
    """(question id, mistake, message) of every known mistake ``question`` defines."""
    if isinstance(question, MultipartQuestion):
        return [m for part in question.parts for m in _known_mistakes(part, f"{qid}/{part.id}")]
    if isinstance(question, CodeQuestion):
        return [(qid, m.fn, m.message) for m in question.mutants]
    if isinstance(question, NumericQuestion):
        return [(qid, f"distractor {i + 1}", d.message) for i, d in enumerate(question.distractors)]
    if isinstance(question, ExpressionQuestion):
        return [(qid, f"distractor {i + 1}", d.message) for i, d in enumerate(question.distractors)]
    return []


def _matched(result: QuestionResult) -> list[tuple[str, str]]:
    """(question id, mistake) of every known mistake ``result`` (and its parts) matched."""
    found = [(result.question_id, result.known_mistake)] if result.known_mistake else []
    return found + [m for part in result.parts for m in _matched(part)]


def known_mistake_counts(exam: LoadedExam, table: ClassTable) -> list[KnownMistakeCount]:
    """Every known mistake of the exam's questions, in exam order, with how many students'
    answers matched it (0 included: a mistake nobody made is worth knowing too)."""
    counts: dict[tuple[str, str], int] = {}
    for row in table.students:
        for qid in table.question_ids:
            a = row.answer(qid)
            if a is not None:
                for key in _matched(a.result):
                    counts[key] = counts.get(key, 0) + 1
    return [
        KnownMistakeCount(qid, mistake, message, counts.get((qid, mistake), 0))
        for top in table.question_ids
        if top in exam.questions
        for qid, mistake, message in _known_mistakes(exam.questions[top], top)
    ]


def _known_mistakes_section(counts: list[KnownMistakeCount]) -> str:
    """The "known mistakes" section of statistics.md; empty when the exam defines none."""
    if not counts:
        return ""
    lines = [
        "",
        "## Known mistakes",
        "",
        "| question | students | mistake | message |",
        "|---|---|---|---|",
    ]
    for c in counts:
        message = c.message.replace("|", "\\|")
        lines.append(f"| {c.question_id} | {c.students} | `{c.mistake}` | {message} |")
    return "\n".join(lines) + "\n"


def _table(stats: list[ItemStats]) -> str:
    lines = [
        "| question | marks | mean | difficulty (p) | discrimination |",
        "|---|---|---|---|---|",
    ]
    for s in stats:
        disc = "n/a" if s.discrimination is None else f"{s.discrimination:.2f}"
        lines.append(
            f"| {s.question_id} | {s.max_marks:g} | {s.mean:.2f} | {s.difficulty:.2f} | {disc} |"
        )
    return "\n".join(lines) + "\n"


def _totals(table: ClassTable) -> np.ndarray:
    """Each student's total (every stored answer, overrides applied), in table order."""
    return np.array([row.total for row in table.students], dtype=float)


def statistics_markdown(exam: LoadedExam, table: ClassTable, stats: list[ItemStats]) -> str:
    """statistics.md: a summary of the totals and the item-analysis table."""
    totals = _totals(table)
    summary = ["# Class statistics: " + exam.exam.title, ""]
    if len(totals):
        summary += [
            f"- students graded: {len(totals)}",
            f"- mean {totals.mean():.2f} / {exam.exam.total_marks:g}, "
            f"median {float(np.median(totals)):.2f}, "
            f"std {totals.std():.2f}, min {totals.min():.2f}, max {totals.max():.2f}",
            "",
        ]
    return (
        "\n".join(summary)
        + _table(stats)
        + _known_mistakes_section(known_mistake_counts(exam, table))
    )


def statistics_csv(stats: list[ItemStats]) -> str:
    """statistics.csv: one row per question."""
    rows: list[list[Cell]] = [
        ["question", "max_marks", "n", "mean", "difficulty", "discrimination"]
    ]
    rows += [
        [
            s.question_id,
            number(s.max_marks),
            s.n,
            number(s.mean),
            number(s.difficulty),
            "" if s.discrimination is None else number(s.discrimination),
        ]
        for s in stats
    ]
    return csv_text(rows)


def _save_figure(fig: Any, path: Path) -> Path:
    """Lay out ``fig``, write it to ``path`` without a software tag (the same class gives the
    same bytes) and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


PLOT_STYLE = "1"
"""Bump when the plots' drawing code changes: every plot is then drawn again."""


def _data_hash(*data: object) -> str:
    """Identity of what a plot shows (its data, labels and ``PLOT_STYLE``)."""
    return hashlib.sha256(repr((PLOT_STYLE, *data)).encode()).hexdigest()


def _unchanged(path: Path, data_hash: str) -> bool:
    """Whether ``path`` exists and was drawn from data with this hash (stored beside it in
    ``.<name>.data-hash``)."""
    stamp = path.with_name(f".{path.name}.data-hash")
    try:
        return path.is_file() and stamp.read_text(encoding="utf-8").strip() == data_hash
    except OSError:
        return False


def _stamp(path: Path, data_hash: str) -> None:
    path.with_name(f".{path.name}.data-hash").write_text(data_hash + "\n", encoding="utf-8")


def _import_plotting() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401 - imported for write_statistics


def import_plotting_in_background() -> None:
    """Import matplotlib (about a second of CPU) in a thread: ``grader grade`` calls this
    once the class is being graded, when this process mostly waits for the sandboxes, so
    the plots drawn afterwards do not wait for the import."""
    threading.Thread(target=_import_plotting, name="import-matplotlib", daemon=True).start()


def write_statistics(exam: LoadedExam, table: ClassTable, out: Path) -> list[Path]:
    """statistics.md (table + summary), statistics.csv, histogram.png, items.png.

    A plot whose data did not change since it was drawn is not drawn again (matplotlib is
    not even imported): its data's hash is stored next to it."""
    out.mkdir(parents=True, exist_ok=True)
    stats = item_analysis(table)
    md = out / "statistics.md"
    md.write_text(statistics_markdown(exam, table, stats), encoding="utf-8")
    csv_path = out / "statistics.csv"
    csv_path.write_text(statistics_csv(stats), encoding="utf-8")
    totals = _totals(table)
    total_marks = exam.exam.total_marks
    bins = max(5, min(20, int(math.ceil(total_marks))))
    hist = out / "histogram.png"
    hist_hash = _data_hash("histogram", exam.exam.exam, totals.tolist(), total_marks, bins)
    xs = [s.difficulty for s in stats]
    ys = [s.discrimination if s.discrimination is not None else 0.0 for s in stats]
    ids = [s.question_id for s in stats]
    items = out / "items.png"
    items_hash = _data_hash("items", exam.exam.exam, ids, xs, ys)
    if _unchanged(hist, hist_hash) and _unchanged(items, items_hash):
        return [md, csv_path, hist, items]

    _import_plotting()
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "grader"
    if not _unchanged(hist, hist_hash):
        fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
        ax.hist(totals, bins=bins, range=(0, total_marks), color="#4c72b0", edgecolor="white")
        ax.set_xlabel(f"total marks (out of {total_marks:g})")
        ax.set_ylabel("students")
        ax.set_title(f"{exam.exam.exam}: score distribution")
        _stamp(_save_figure(fig, hist), hist_hash)

    if not _unchanged(items, items_hash):
        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        ax.scatter(xs, ys, color="#dd8452")
        for qid, x, y in zip(ids, xs, ys, strict=True):
            ax.annotate(qid, (x, y), fontsize=7, xytext=(3, 2), textcoords="offset points")
        ax.axhline(0.2, color="grey", lw=0.8, ls="--")
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("difficulty p (share of marks earned)")
        ax.set_ylabel("discrimination (item-rest correlation)")
        ax.set_title(f"{exam.exam.exam}: item analysis")
        _stamp(_save_figure(fig, items), items_hash)
    return [md, csv_path, hist, items]
