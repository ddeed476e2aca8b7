"""Student kits hold nothing secret; self-check agrees with real grading on visible cases."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from grader.errors import SubmissionError
from grader.grading import GradingOptions, grade_submission
from grader.kit import build_kit, check_kit
from grader.kit_manifest import KIT_FORMAT, read_manifest, write_manifest
from grader.loading import LoadedExam, load_exam
from grader.results import QuestionResult
from grader.sandbox import InProcessRunner, Runner, SandboxRunner, sandbox_available
from grader.schema import CodeQuestion, MultipartQuestion
from grader.submissions import read_submission

FIX = Path(__file__).parent / "fixtures"
EXAM = FIX / "good" / "exam.yaml"


def test_kit_contains_paper_stubs_template_support_and_visible_cases(tmp_path: Path) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "answers.yaml",
        "c1.py",
        "kit.json",
        "paper.md",
        "tiny.py",
    ]
    manifest = json.loads((tmp_path / "kit.json").read_text())
    c1 = next(q for q in manifest["questions"] if q["id"] == "C1")
    assert [c["name"] for c in c1["cases"]] == ["the seed's triple"]


def test_kit_holds_no_hidden_case_key_reference_or_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_SECRET", "do-not-leak-this")
    build_kit(load_exam(EXAM), tmp_path)
    blob = "\n".join(p.read_text() for p in tmp_path.iterdir())
    for secret in (
        "do-not-leak-this",
        "-0.145",
        "2*n*r",
        "ranking_log_likelihood",
        "preferences:",
        "hidden",
        "mutant",
        "Worked solution",
        "permutation",
    ):
        assert secret not in blob, secret
    m1 = next(
        q for q in json.loads((tmp_path / "kit.json").read_text())["questions"] if q["id"] == "M1"
    )
    assert "correct" not in json.dumps(m1)


def test_self_check_agrees_with_real_grading_on_visible_cases(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    exam = load_exam(EXAM)
    build_kit(exam, tmp_path / "kit")
    for student in ("alice", "bob"):
        folder = tmp_path / student
        shutil.copytree(FIX / "class" / student, folder)
        mine = check_kit(tmp_path / "kit", folder, runner)
        real = grade_submission(
            exam,
            read_submission(folder, exam_id="demo-exam"),
            runner,
            opts=GradingOptions(hidden=False),
        )
        c_mine = next(q for q in mine.questions if q.question_id == "C1")
        c_real = next(q for q in real.questions if q.question_id == "C1")
        assert [(c.name, c.passed, c.message) for c in c_mine.cases] == [
            (c.name, c.passed, c.message) for c in c_real.cases
        ]


def test_self_check_reports_an_unreadable_answer(tmp_path: Path, runner: InProcessRunner) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    (tmp_path / "answers.yaml").write_text("student: x\nanswers:\n  M1: [A, Q]\n  E1: 2*n*zz\n")
    result = check_kit(tmp_path, tmp_path, runner)
    by = {q.question_id: q for q in result.questions}
    assert by["M1"].status == "invalid" and "Q" in by["M1"].feedback
    assert by["E1"].status == "invalid" and "zz" in by["E1"].feedback


def test_kit_json_is_written_and_read_through_its_model(tmp_path: Path) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    manifest = read_manifest(tmp_path / "kit.json")
    assert manifest.format == KIT_FORMAT
    write_manifest(manifest, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == (tmp_path / "kit.json").read_text()


def _edit_c1(kit: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((kit / "kit.json").read_text())
    edit(next(q for q in manifest["questions"] if q["id"] == "C1"))
    (kit / "kit.json").write_text(json.dumps(manifest))


def test_a_malformed_kit_json_names_the_field_and_what_to_do(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    _edit_c1(tmp_path, lambda c1: c1.pop("function"))
    with pytest.raises(SubmissionError) as raised:
        check_kit(tmp_path, tmp_path, runner)
    message = str(raised.value)
    assert "kit.json is not a kit this grader can read" in message
    assert ".code.function: Field required" in message
    assert "rebuild it with `grader kit`" in message


def test_an_unknown_key_in_kit_json_is_refused(tmp_path: Path) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    _edit_c1(tmp_path, lambda c1: c1.update(pickle="gASV"))
    with pytest.raises(SubmissionError, match="code.pickle: Extra inputs are not permitted"):
        read_manifest(tmp_path / "kit.json")


def test_a_kit_of_another_format_says_which_format_it_is(tmp_path: Path) -> None:
    build_kit(load_exam(EXAM), tmp_path)
    manifest = json.loads((tmp_path / "kit.json").read_text())
    (tmp_path / "kit.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(SubmissionError, match="is a kit of format 99; this grader reads format 1"):
        read_manifest(tmp_path / "kit.json")


def test_a_kit_json_that_is_not_json_is_a_submission_error(tmp_path: Path) -> None:
    (tmp_path / "kit.json").write_text("{not json")
    with pytest.raises(SubmissionError, match="cannot be read as JSON"):
        read_manifest(tmp_path / "kit.json")


ROOT = Path(__file__).resolve().parents[2]
EXAMS = ("midsem-2025", "quiz-2025")
ALL_OR_NOTHING = "this question gives marks only when every case passes"


@pytest.fixture(scope="module")
def student_runner() -> Iterator[Runner]:
    """What students and TAs run: the real sandbox where it can start, else the unisolated
    twin."""
    if sandbox_available()[0]:
        runner: Runner = SandboxRunner(workers=1)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            runner = InProcessRunner(workers=1)
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def kits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for exam_id in EXAMS:
        out[exam_id] = tmp_path_factory.mktemp(exam_id)
        build_kit(load_exam(exam_id, ROOT / "questions"), out[exam_id])
    return out


def _code_ids(exam: LoadedExam) -> list[str]:
    ids = []
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        if isinstance(q, CodeQuestion):
            ids.append(qid)
        elif isinstance(q, MultipartQuestion):
            ids += [f"{qid}/{p.id}" for p in q.parts if isinstance(p, CodeQuestion)]
    return ids


def _code_question(exam: LoadedExam, qid: str) -> CodeQuestion:
    top, _, part = qid.partition("/")
    q = exam.questions[top]
    if isinstance(q, MultipartQuestion):
        q = next(p for p in q.parts if p.id == part)
    assert isinstance(q, CodeQuestion)
    return q


def _by_id(results: Sequence[QuestionResult]) -> dict[str, QuestionResult]:
    out = {}
    for r in results:
        out[r.question_id] = r
        out |= _by_id(r.parts)
    return out


def _case_lines(feedback: str, known_mistakes: Sequence[str] = ()) -> list[str]:
    """The lines about cases: without the count (it says "visible cases" in a self-check),
    the scoring rule (a self-check gives no marks) and a known mistake's message (only
    grading runs the author's mutants)."""
    return [
        line
        for line in feedback.splitlines()
        if not line.startswith("passed ") and line != ALL_OR_NOTHING and line not in known_mistakes
    ]


@pytest.mark.slow
@pytest.mark.parametrize("student", ["paper", "typical", "weak", "cheating"])
@pytest.mark.parametrize("exam_id", EXAMS)
def test_self_check_and_grading_agree_on_every_visible_case_of_both_exams(
    exam_id: str, student: str, kits: dict[str, Path], student_runner: Runner
) -> None:
    exam = load_exam(exam_id, ROOT / "questions")
    folder = ROOT / "submissions" / exam_id / student
    mine = _by_id(check_kit(kits[exam_id], folder, student_runner).questions)
    real = _by_id(
        grade_submission(
            exam,
            read_submission(folder, exam_id=exam_id),
            student_runner,
            opts=GradingOptions(hidden=False, secret_checks=False),
        ).questions
    )
    ids = _code_ids(exam)
    assert ids
    for qid in ids:
        m, r = mine[qid], real[qid]
        assert [(c.name, c.passed, c.status, c.message) for c in m.cases] == [
            (c.name, c.passed, c.status, c.message) for c in r.cases
        ], qid
        messages = [m.message for m in _code_question(exam, qid).mutants]
        assert _case_lines(m.feedback) == _case_lines(r.feedback, messages), qid
        if not r.cases:  # nothing ran: the same status, said the same way
            assert (m.status, m.feedback) == (r.status, r.feedback), qid
