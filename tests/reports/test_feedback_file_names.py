"""Per-student file names (issue 21, items 3 and 4): every student gets files of their own,
whatever the id; a long id cannot stop the reports.

Ids come from folder names (``submissions.STUDENT_ID``), but a gradebook older than that
rule, or a roster given to ``grader render``, may hold any text."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.gradebook import Environment, Gradebook
from grader.loading import LoadedExam, load_exam
from grader.render import render_variant
from grader.reports import read_table, write_reports
from grader.results import QuestionResult, SubmissionResult
from grader.submissions import STUDENT_ID, student_file_name

EXAM = Path(__file__).parents[1] / "grader" / "fixtures" / "good" / "exam.yaml"
LONG_ID = "s" * 400


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


def _graded(exam: LoadedExam, tmp_path: Path, marks: dict[str, float]) -> Path:
    """Record an M1 mark for each student, write the reports; return the output folder."""
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    env = Environment("0.0", "3.11", "2.0", "cpu")
    run = gradebook.start_run(exam.exam.exam, env, {})
    for student, m in marks.items():
        q = QuestionResult(question_id="M1", marks=m, max_marks=1.5, status="correct")
        result = SubmissionResult(student=student, exam=exam.exam.exam, variant=0, questions=(q,))
        gradebook.record(result, folder="submissions/x", content_hash=student, run_id=run, env=env)
    out = tmp_path / "out"
    write_reports(exam, read_table(exam, gradebook), out)
    gradebook.close()
    return out


def test_ids_a_slash_b_and_a_underscore_b_get_two_feedback_files_each_their_own(
    exam: LoadedExam, tmp_path: Path
) -> None:
    out = _graded(exam, tmp_path, {"a/b": 1.5, "a_b": 0.0})
    pages = sorted((out / "feedback").glob("*.md"))
    assert len(pages) == 2
    by_student = {
        p.read_text(encoding="utf-8").split("Student: **")[1].split("**")[0]: p for p in pages
    }
    assert set(by_student) == {"a/b", "a_b"}
    assert "total **1.5 / 11.5**" in by_student["a/b"].read_text(encoding="utf-8")
    assert "total **0 / 11.5**" in by_student["a_b"].read_text(encoding="utf-8")
    assert len(list((out / "feedback").glob("*.html"))) == 2


def test_a_400_character_id_gets_feedback_and_the_statistics_are_written(
    exam: LoadedExam, tmp_path: Path
) -> None:
    out = _graded(exam, tmp_path, {LONG_ID: 1.5, "bob": 0.0})
    pages = list((out / "feedback").glob("*.md"))
    assert len(pages) == 2
    assert all(len(p.name.encode()) < 100 for p in pages)
    assert any(LONG_ID in p.read_text(encoding="utf-8") for p in pages)
    assert (out / "statistics" / "statistics.csv").is_file()


@pytest.mark.parametrize(
    "ids",
    [
        ("a/b", "a_b"),
        ("Alice", "alice"),  # one file on a disk that ignores case (macOS, Windows)
        ("s" * 400, "s" * 401),  # the same slug once cut
        ("a/b", f"a_b~{student_file_name('a/b').split('~')[1]}"),  # a valid-looking twin
        ("..", "__"),
    ],
)
def test_two_ids_never_share_a_file_name_even_on_a_disk_that_ignores_case(
    ids: tuple[str, str],
) -> None:
    names = [student_file_name(s) for s in ids]
    assert names[0].lower() != names[1].lower()
    for name in names:
        assert "/" not in name and not name.startswith(".") and len(name) <= 80


def test_a_valid_lower_case_id_is_its_own_file_name() -> None:
    assert student_file_name("jo.smith@uni-x_1") == "jo.smith@uni-x_1"
    assert STUDENT_ID.fullmatch("jo.smith@uni-x_1")


def test_rendered_papers_of_odd_ids_are_one_pair_per_student_and_keep_a_dotted_id(
    exam: LoadedExam, tmp_path: Path
) -> None:
    written = []
    for student in ("jo.smith", "a/b", "a_b", LONG_ID):
        files = render_variant(exam, 0, tmp_path, ["md"], student=student)
        written += files.paper + files.key
    assert len({p.name for p in written}) == 8
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in written}
    assert (tmp_path / "jo.smith-paper.md").is_file() and (tmp_path / "jo.smith-key.md").is_file()
