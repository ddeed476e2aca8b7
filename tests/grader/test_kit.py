"""Student kits hold nothing secret; self-check agrees with real grading on visible cases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.grading import GradingOptions, grade_submission
from grader.kit import build_kit, check_kit
from grader.loading import load_exam
from grader.sandbox import InProcessRunner
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
