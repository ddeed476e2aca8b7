"""Code answers the grader sends to a TA (``needs_review`` with a note: a cost check whose
measured CPU time contradicts its FLOP count) are listed in the review file under
``flagged`` and can be decided there, like text answers and grader errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from grader.gradebook import Environment, Gradebook
from grader.loading import load_exam
from grader.reports import read_table
from grader.results import QuestionResult, SubmissionResult
from grader.review_file import apply_review_file, write_review_file
from grader.text_review import build_review

ROOT = Path(__file__).resolve().parents[2]
NOTE = "cost check: the CPU time measured outside the student's process grows like T^1.9"


def test_a_flagged_code_answer_is_listed_and_can_be_decided(tmp_path: Path) -> None:
    exam = load_exam("midsem-2025", ROOT / "questions")
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    env = Environment.current()
    run = gradebook.start_run("midsem-2025", env, {})
    flagged = QuestionResult(
        question_id="B5a-i-2",
        marks=4.0,
        max_marks=4.0,
        status="correct",
        feedback="passed 16 of 16 cases",
        needs_review=True,
        author_note=NOTE,
    )
    plain = QuestionResult(
        question_id="B5a-i-1", marks=2.0, max_marks=2.0, status="correct", feedback=""
    )
    result = SubmissionResult(
        student="ana", exam="midsem-2025", variant=0, problems=(), questions=(flagged, plain)
    )
    gradebook.record(result, folder=str(tmp_path), content_hash="x", run_id=run, env=env)
    path = tmp_path / "review.yaml"

    table = read_table(exam, gradebook)
    assert write_review_file(exam, table, build_review(exam, gradebook, None, table), path) >= 1
    doc = yaml.safe_load(path.read_text())
    (item,) = doc["flagged"]
    assert (item["student"], item["question"], item["provisional"]) == ("ana", "B5a-i-2", 4.0)
    assert item["author_note"] == NOTE

    item["marks"], item["comment"] = 0, "recomputes the prefix; the FLOP count was forged"
    path.write_text(yaml.safe_dump(doc))
    table = read_table(exam, gradebook)
    board = build_review(exam, gradebook, None, table)
    applied, problems = apply_review_file(exam, gradebook, table, board, path)
    assert (applied, problems) == (1, [])
    (stored,) = [a for a in gradebook.answers("midsem-2025") if a.result.question_id == "B5a-i-2"]
    assert stored.marks == 0
