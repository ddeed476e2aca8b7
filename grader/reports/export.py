"""Gradebook exports: `gradebook.csv` for Canvas/Moodle, `results.json` for machines."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from grader.gradebook import Gradebook, StoredAnswer
from grader.loading import LoadedExam
from grader.reports._csv import Cell, csv_text, number

__all__ = ["gradebook_csv", "results_json", "write_exports", "by_student"]


def by_student(answers: list[StoredAnswer]) -> dict[str, dict[str, StoredAnswer]]:
    """student -> question id -> stored answer."""
    out: dict[str, dict[str, StoredAnswer]] = defaultdict(dict)
    for a in answers:
        out[a.student][a.question_id] = a
    return dict(out)


def gradebook_csv(exam: LoadedExam, gradebook: Gradebook) -> str:
    """One row per student: id, total, one column per question (TA overrides applied).

    The first column is named ``Student ID`` and the total ``Total``: both Canvas and
    Moodle map columns by header when importing. Marks are numbers to 4 significant
    figures; every text cell is escaped against formula injection (``_csv.safe_cell``).
    """
    ids = exam.ordered_ids()
    table = by_student(gradebook.answers(exam.exam.exam))
    rows: list[list[Cell]] = [
        ["Student ID", "Total", *ids, "Pending review"],
        [
            "Points possible",
            number(exam.exam.total_marks, 4),
            *(number(exam.questions[q].marks, 4) for q in ids),
            "",
        ],
    ]
    for student in sorted(table):
        row = table[student]
        total = sum(a.marks for a in row.values())
        pending = sum(1 for a in row.values() if a.needs_review)
        rows.append(
            [
                student,
                number(total, 4),
                *(number(row[q].marks, 4) if q in row else "" for q in ids),
                pending,
            ]
        )
    return csv_text(rows)


def results_json(exam: LoadedExam, gradebook: Gradebook) -> dict[str, Any]:
    """Every student's per-question and per-case results, overrides applied."""
    table = by_student(gradebook.answers(exam.exam.exam))
    subs = {s: (v, p) for s, v, p, _ in gradebook.submissions(exam.exam.exam)}
    overrides = gradebook.overrides(exam.exam.exam)
    students = []
    for student in sorted(table):
        variant, problems = subs.get(student, (0, []))
        questions = []
        for qid in exam.ordered_ids():
            a = table[student].get(qid)
            if a is None:
                continue
            entry = a.result.model_dump(mode="json", exclude={"seconds", "author_note"})
            entry["marks"] = a.marks
            entry["graded_marks"] = a.graded_marks
            if (student, qid) in overrides:
                o = overrides[(student, qid)]
                entry["override"] = {"marks": o.marks, "comment": o.comment, "reviewer": o.reviewer}
            questions.append(entry)
        students.append(
            {
                "student": student,
                "variant": variant,
                "total": round(sum(a.marks for a in table[student].values()), 6),
                "max_total": exam.exam.total_marks,
                "problems": problems,
                "questions": questions,
            }
        )
    return {
        "exam": exam.exam.exam,
        "title": exam.exam.title,
        "total_marks": exam.exam.total_marks,
        "students": students,
    }


def write_exports(exam: LoadedExam, gradebook: Gradebook, out: Path) -> list[Path]:
    """Write gradebook.csv and results.json into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "gradebook.csv"
    csv_path.write_text(gradebook_csv(exam, gradebook), encoding="utf-8")
    json_path = out / "results.json"
    json_path.write_text(
        json.dumps(results_json(exam, gradebook), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return [csv_path, json_path]
