"""The example class: the paper's answers score full marks on every auto-graded part, the other
students score what submissions/README.md says, and the roster/broken/cheating set-up holds."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from grader.loading import LoadedExam
from grader.schema import MultipartQuestion, TextQuestion
from tests.questions._answers import score_submission
from tests.questions.conftest import SUBMISSIONS

# (exam, student) -> auto-graded marks earned; must match the table in submissions/README.md.
EXPECTED_AUTO = {
    ("midsem-2025", "paper"): 32.5,
    ("midsem-2025", "typical"): 26.75,
    ("midsem-2025", "weak"): 4.0,
    ("midsem-2025", "empty"): 0.0,
    ("quiz-2025", "paper"): 9.5,
    ("quiz-2025", "typical"): 7.0,
    ("quiz-2025", "weak"): 0.0,
    ("quiz-2025", "empty"): 0.0,
}
STUDENTS = ["paper", "typical", "weak", "empty", "broken", "cheating"]


def answers_of(exam_id: str, student: str) -> dict:
    doc = yaml.safe_load((SUBMISSIONS / exam_id / student / "answers.yaml").read_text())
    assert doc["exam"] == exam_id
    return doc["answers"]


@pytest.mark.parametrize(
    "exam_id, student", EXPECTED_AUTO, ids=[f"{e}:{s}" for e, s in EXPECTED_AUTO]
)
def test_auto_graded_marks_match_the_readme(
    exams: dict[str, LoadedExam], exam_id: str, student: str
) -> None:
    result = score_submission(
        exams[exam_id], SUBMISSIONS / exam_id / student, answers_of(exam_id, student)
    )
    assert result.earned == EXPECTED_AUTO[(exam_id, student)], result.lost


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_the_paper_answers_every_part_and_every_text_part_is_queued_with_a_rubric(
    exams: dict[str, LoadedExam], exam_id: str
) -> None:
    exam, answers = exams[exam_id], answers_of(exam_id, "paper")
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        assert qid in answers, qid
        subs = (
            [(p, answers[qid].get(p.id)) for p in q.parts]
            if isinstance(q, MultipartQuestion)
            else [(q, answers[qid])]
        )
        for sub, answer in subs:
            assert answer is not None, (qid, sub.id)
            if isinstance(sub, TextQuestion):
                assert isinstance(answer, str) and len(answer.split()) >= 5
                assert sum(p.marks for p in sub.rubric) == sub.marks


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_every_example_student_has_a_folder_and_code_files_exist(exam_id: str) -> None:
    for student in STUDENTS:
        assert (SUBMISSIONS / exam_id / student / "answers.yaml").is_file()
    for student in ("paper", "typical", "cheating"):
        folder = SUBMISSIONS / exam_id / student
        for value in _flat(answers_of(exam_id, student)):
            if isinstance(value, str) and value.endswith(".py"):
                assert (folder / value).is_file(), (student, value)


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_broken_answers_file_is_not_valid_yaml(exam_id: str) -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load((SUBMISSIONS / exam_id / "broken" / "answers.yaml").read_text())


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_roster_has_an_absent_student_and_misses_the_cheater(exam_id: str) -> None:
    with (SUBMISSIONS / exam_id / "roster.csv").open() as fh:
        roster = {row["student"] for row in csv.DictReader(fh)}
    folders = {p.name for p in (SUBMISSIONS / exam_id).iterdir() if p.is_dir()}
    assert roster - folders == {"absent"}
    assert answers_of(exam_id, "cheating") and "cheating" not in roster


def _flat(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [value]


def test_readme_lists_the_expected_totals() -> None:
    text = (Path(SUBMISSIONS) / "README.md").read_text()
    for (exam_id, student), marks in EXPECTED_AUTO.items():
        assert f"| {exam_id} | {student} | {marks:g} |" in text, (exam_id, student)
