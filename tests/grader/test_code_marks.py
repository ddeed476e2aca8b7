"""Code answers are scored by ``scoring.score`` like every other answer: all or nothing by
default (with a line saying why a partial pass earns nothing), the question's policy when it
sets one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.grading import grade_submission
from grader.loading import load_exam
from grader.results import CheckResult, QuestionResult
from grader.sandbox import InProcessRunner
from grader.scoring import score
from grader.submissions import read_submission

FIX = Path(__file__).parent / "fixtures"
ALL_OR_NOTHING = "this question gives marks only when every case passes"

RIGHT_UP_TO_THREE = b"""import torch
import torch.nn.functional as F


def ranking_ll(rewards):
    K = rewards.shape[-1]
    if K > 3:  # only adjacent pairs: wrong for longer rankings
        return F.logsigmoid(rewards[..., :-1] - rewards[..., 1:]).sum(-1)
    i, j = torch.triu_indices(K, K, offset=1)
    return F.logsigmoid(rewards[..., i] - rewards[..., j]).sum(-1)
"""
ALWAYS_WRONG = b"""import torch


def ranking_ll(rewards):
    return torch.zeros(rewards.shape[:-1]) + 7.0
"""


def grade_c1(tmp_path: Path, runner: InProcessRunner, code: bytes, scoring: str) -> QuestionResult:
    course = tmp_path / "q"
    shutil.copytree(FIX / "good", course)
    bank = course / "bank.yaml"
    mutants = 'ranking log-likelihood."}\n'
    text = bank.read_text()
    assert mutants in text
    bank.write_text(
        text.replace(mutants, mutants + (f"    scoring: {scoring}\n" if scoring else ""))
    )
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "answers.yaml").write_text("exam: demo-exam\nanswers:\n  C1: c1.py\n")
    (folder / "c1.py").write_bytes(code)
    result = grade_submission(
        load_exam(course / "exam.yaml"), read_submission(folder, exam_id="demo-exam"), runner
    )
    return next(q for q in result.questions if q.question_id == "C1")


def passed_share(result: QuestionResult) -> float:
    share = sum(c.passed for c in result.cases) / len(result.cases)
    assert 0 < share < 1, "the student's code must pass some cases and fail others"
    return share


def test_a_partial_pass_earns_nothing_by_default_and_the_student_is_told_why(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    c1 = grade_c1(tmp_path, runner, RIGHT_UP_TO_THREE, "")
    passed_share(c1)
    assert (c1.marks, c1.status) == (0.0, "incorrect")
    assert c1.feedback.splitlines()[-1] == ALL_OR_NOTHING


def test_a_partial_pass_earns_its_share_when_the_question_scores_partially(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    c1 = grade_c1(tmp_path, runner, RIGHT_UP_TO_THREE, "{policy: partial}")
    share = passed_share(c1)
    expected = score(
        CheckResult(status="partially_correct", fraction=share), marks=2.0, policy="partial"
    )
    assert c1.marks == pytest.approx(2.0 * share) and c1.marks == expected
    assert c1.status == "partially_correct"
    assert ALL_OR_NOTHING not in c1.feedback


def test_a_wrong_code_answer_under_negative_marking_costs_its_penalty_like_any_answer(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    c1 = grade_c1(tmp_path, runner, ALWAYS_WRONG, "{policy: negative, penalty: 0.25, floor: -2}")
    assert not any(c.passed for c in c1.cases)
    assert (c1.marks, c1.status) == (-0.5, "incorrect")
