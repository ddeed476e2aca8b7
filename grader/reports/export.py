"""Gradebook exports: `gradebook.csv` for Canvas/Moodle, `results.json` for machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.loading import LoadedExam
from grader.reports._csv import Cell, csv_text, number
from grader.reports.table import ClassTable

__all__ = ["gradebook_csv", "results_json", "write_exports"]


def gradebook_csv(exam: LoadedExam, table: ClassTable) -> str:
    """One row per student: id, total, one column per question (TA overrides applied).

    The first column is named ``Student ID`` and the total ``Total``: both Canvas and
    Moodle map columns by header when importing. Marks are numbers to 4 significant
    figures; every text cell is escaped against formula injection (``_csv.safe_cell``).
    """
    rows: list[list[Cell]] = [
        ["Student ID", "Total", *table.question_ids, "Pending review"],
        [
            "Points possible",
            number(exam.exam.total_marks, 4),
            *(number(c.max_marks, 4) for c in table.questions),
            "",
        ],
    ]
    for row in table.students:
        answers = [row.answer(q) for q in table.question_ids]
        rows.append(
            [
                row.student,
                number(row.total, 4),
                *("" if a is None else number(a.marks, 4) for a in answers),
                len(row.pending),
            ]
        )
    return csv_text(rows)


_TA_ONLY_FIELDS = frozenset({"author_note", "seconds"})
"""Left out of results.json at every level (question, part, case): the TA's notes, and
wall-clock times that differ from run to run."""


def _without_ta_fields(value: Any) -> Any:
    """A dumped result without ``_TA_ONLY_FIELDS``, in its parts and cases too."""
    if isinstance(value, dict):
        return {k: _without_ta_fields(v) for k, v in value.items() if k not in _TA_ONLY_FIELDS}
    if isinstance(value, list):
        return [_without_ta_fields(v) for v in value]
    return value


def results_json(exam: LoadedExam, table: ClassTable) -> dict[str, Any]:
    """Every student's per-question and per-case results, overrides applied."""
    students = []
    for row in table.students:
        questions = []
        for qid in table.question_ids:
            a = row.answer(qid)
            if a is None:
                continue
            entry = _without_ta_fields(a.result.model_dump(mode="json"))
            entry["marks"] = a.marks
            entry["graded_marks"] = a.graded_marks
            o = row.override(qid)
            if o is not None:
                entry["override"] = {"marks": o.marks, "comment": o.comment, "reviewer": o.reviewer}
            questions.append(entry)
        students.append(
            {
                "student": row.student,
                "variant": row.variant,
                "total": round(row.total, 6),
                "max_total": exam.exam.total_marks,
                "problems": list(row.problems),
                "questions": questions,
            }
        )
    return {
        "exam": exam.exam.exam,
        "title": exam.exam.title,
        "total_marks": exam.exam.total_marks,
        "students": students,
    }


def write_exports(exam: LoadedExam, table: ClassTable, out: Path) -> list[Path]:
    """Write gradebook.csv and results.json into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "gradebook.csv"
    csv_path.write_text(gradebook_csv(exam, table), encoding="utf-8")
    json_path = out / "results.json"
    text = json.dumps(results_json(exam, table), indent=2, sort_keys=True) + "\n"
    json_path.write_text(text, encoding="utf-8")
    return [csv_path, json_path]
