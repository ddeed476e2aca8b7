"""The feedback a student reads on a code question, byte for byte, for a correct, a
known-mistake, a crashing and a timing-out submission to quiz Q6b (``UPDATE_GOLDEN=1``
rewrites the files under ``golden_feedback/``; review each diff)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from grader.grading import GradingOptions, grade_question
from grader.keys import resolve_in
from grader.loading import LoadedExam, load_exam
from grader.sandbox import InProcessRunner
from grader.submissions import Submission

GOLDEN = Path(__file__).parent / "golden_feedback"
QUESTIONS = Path(__file__).resolve().parents[2] / "questions"

SUBMISSIONS = {
    "correct": b"""import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    rho = torch.exp(logp - ref_logp)
    clipped = torch.clamp(rho, 1 - eps, 1 + eps)
    return torch.minimum(rho * advantages, clipped * advantages).mean()
""",
    "known_mistake": b"""import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    rho = torch.exp(logp - ref_logp)
    return (torch.clamp(rho, 1 - eps, 1 + eps) * advantages).mean()
""",
    "crashing": b"""import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    rho = torch.exp(logp - ref_logp)
    return (rho * advantages + "eps").mean()
""",
    "timing_out": b"""def ppo_objective(logp, ref_logp, advantages, eps):
    while True:
        pass
""",
}


@pytest.fixture(scope="module")
def quiz() -> LoadedExam:
    return load_exam("quiz-2025", QUESTIONS)


def feedback_of(quiz: LoadedExam, runner: InProcessRunner, code: bytes) -> str:
    submission = Submission(
        folder=Path("."),
        student="s",
        exam=None,
        variant=0,
        answers={"Q6b": "q6b.py"},
        files={"q6b.py": code},
    )
    result = grade_question(
        quiz.questions["Q6b"],
        quiz.question_bank["Q6b"],
        "Q6b",
        "q6b.py",
        submission,
        resolve_in(quiz, "Q6b", 0),
        0,
        runner,
        GradingOptions(),
    )
    # wall-clock seconds differ from run to run
    return re.sub(r"ran \d+\.\d+ s", "ran N s", result.feedback) + "\n"


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_code_feedback_matches_the_golden_file(
    quiz: LoadedExam, runner: InProcessRunner, name: str
) -> None:
    made = feedback_of(quiz, runner, SUBMISSIONS[name])
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(made, encoding="utf-8")
    assert made == path.read_text(encoding="utf-8"), f"{name}: feedback differs from {path}"
