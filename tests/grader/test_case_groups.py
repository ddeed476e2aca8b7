"""A code question's cases in groups: each group earns its own marks, all or nothing or in
proportion to its cases' weights; a forbidden API still earns nothing; bad groups are
located errors."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from grader.errors import AuthoringError
from grader.grading import grade_submission
from grader.loading import load_exam
from grader.results import QuestionResult
from grader.sandbox import CaseOutcome, CodeJob, InProcessRunner
from grader.submissions import read_submission

FIX = Path(__file__).parent / "fixtures"

# Right for rankings of up to three items, wrong for longer ones.
RIGHT_UP_TO_THREE = b"""import torch
import torch.nn.functional as F


def ranking_ll(rewards):
    K = rewards.shape[-1]
    if K > 3:
        return F.logsigmoid(rewards[..., :-1] - rewards[..., 1:]).sum(-1)
    i, j = torch.triu_indices(K, K, offset=1)
    return F.logsigmoid(rewards[..., i] - rewards[..., j]).sum(-1)
"""
RIGHT = RIGHT_UP_TO_THREE.replace(b"if K > 3:", b"if False:")


class SandboxSawAutograd:
    """The sandbox's verdict on right code that used a forbidden API on its last case
    (the unsandboxed test runner does not enforce ``forbid`` itself)."""

    def __init__(self, runner: InProcessRunner) -> None:
        self.runner = runner

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        return self.run_batch([job])[0]

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        batches = self.runner.run_batch(jobs)
        for outcomes in batches:
            last = outcomes[-1]
            outcomes[-1] = replace(last, status="forbidden", message="used torch.autograd")
        return batches

    def close(self) -> None:
        pass


HIDDEN_BLOCK = """    hidden:
      count: 6
      seed: 1
      dims: {N: [1, 4], K: [2, 5]}
      args:
        rewards: {normal: {shape: [N, K]}}
"""
GROUPED_CASES = """      - name: pair
        weight: 3
        args:
          rewards: {tensor: {data: [[2.0, 1.0]]}}
    hidden:
      count: 3
      seed: 1
      dims: {N: [1, 4], K: [2, 3]}
      args:
        rewards: {normal: {shape: [N, K]}}
      extra:
        - name: four
          args:
            rewards: {tensor: {data: [[1.0, 0.5, -0.5, -1.0]]}}
        - name: five
          args:
            rewards: {tensor: {data: [[1.0, 0.5, 0.0, -0.5, -1.0]]}}
        - name: long pair
          weight: 2
          args:
            rewards: {tensor: {data: [[3.0, 1.0]]}}
"""


def course_with(tmp_path: Path, groups: str, extra: str = "") -> Path:
    """The good course with C1 (2 marks) given the grouped cases above and ``groups``."""
    course = tmp_path / "q"
    shutil.copytree(FIX / "good", course)
    bank = course / "bank.yaml"
    text = bank.read_text()
    assert HIDDEN_BLOCK in text
    text = text.replace(HIDDEN_BLOCK, GROUPED_CASES + extra + groups)
    bank.write_text(text)
    return course


def grade(course: Path, tmp_path: Path, runner: Any, code: bytes) -> QuestionResult:
    folder = tmp_path / "student"
    folder.mkdir(exist_ok=True)
    (folder / "answers.yaml").write_text("exam: demo-exam\nanswers:\n  C1: c1.py\n")
    (folder / "c1.py").write_bytes(code)
    result = grade_submission(
        load_exam(course / "exam.yaml"), read_submission(folder, exam_id="demo-exam"), runner
    )
    return next(q for q in result.questions if q.question_id == "C1")


def groups_yaml(long_scoring: str, long_marks: float = 1, rest: str = "") -> str:
    return (
        "    groups:\n"
        "      - {name: short, cases: [the seed's triple, pair" + rest + "], marks: 1}\n"
        f"      - {{name: long, cases: [four, five, long pair], marks: {long_marks:g}, "
        f"scoring: {long_scoring}}}\n"
    )


ALL_GROUPED = ", random hidden cases"


def test_a_submission_passing_some_groups_gets_exactly_their_marks(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(tmp_path, groups_yaml("all_or_nothing", rest=ALL_GROUPED))
    c1 = grade(course, tmp_path, runner, RIGHT_UP_TO_THREE)
    assert (c1.marks, c1.status) == (1.0, "partially_correct")
    lines = c1.feedback.splitlines()
    assert lines[0] == "passed 6 of 8 cases"
    assert lines[1:3] == [
        "short: 1 of 1 mark (5 of 5 cases)",
        "long: 0 of 1 mark (1 of 3 cases)",
    ]
    assert "only when every case passes" not in c1.feedback


def test_a_proportional_group_earns_the_passing_cases_share_of_its_weight(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(tmp_path, groups_yaml("proportional", rest=ALL_GROUPED))
    c1 = grade(course, tmp_path, runner, RIGHT_UP_TO_THREE)
    # long: "long pair" (weight 2) passes, "four" and "five" (weight 1 each) fail: 2 of 4
    assert c1.marks == pytest.approx(1.5)
    assert "long: 0.5 of 1 mark (1 of 3 cases)" in c1.feedback.splitlines()


def test_a_right_answer_earns_every_group_and_reads_correct(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(tmp_path, groups_yaml("proportional", rest=ALL_GROUPED))
    c1 = grade(course, tmp_path, runner, RIGHT)
    assert (c1.marks, c1.status) == (2.0, "correct")


def test_cases_in_no_group_earn_the_marks_the_groups_leave(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(tmp_path, groups_yaml("all_or_nothing", long_marks=0.5))
    c1 = grade(course, tmp_path, runner, RIGHT_UP_TO_THREE)
    # short (1) + other cases: the 3 random hidden ones, all of K <= 3 (0.5); long fails
    assert c1.marks == pytest.approx(1.5)
    assert "other cases: 0.5 of 0.5 marks (3 of 3 cases)" in c1.feedback.splitlines()


def test_a_forbidden_api_still_earns_nothing_with_groups(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(
        tmp_path, groups_yaml("proportional", rest=ALL_GROUPED), extra="    forbid: [autograd]\n"
    )
    c1 = grade(course, tmp_path, SandboxSawAutograd(runner), RIGHT)
    assert (c1.marks, c1.status) == (0.0, "incorrect")
    assert "forbids" in c1.feedback.splitlines()[0]
    assert "short:" not in c1.feedback


def test_weights_set_a_partially_scored_question_s_share_without_groups(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    course = course_with(tmp_path, "", extra="    scoring: {policy: partial}\n")
    c1 = grade(course, tmp_path, runner, RIGHT_UP_TO_THREE)
    # weights: triple 1, pair 3, 3 random 1 each, long pair 2 pass (9); four 1, five 1 fail
    assert c1.marks == pytest.approx(2.0 * 9 / 11)


def test_without_groups_a_partial_pass_is_still_all_or_nothing(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    c1 = grade(course_with(tmp_path, ""), tmp_path, runner, RIGHT_UP_TO_THREE)
    assert c1.marks == 0.0
    assert c1.feedback.splitlines()[-1] == "this question gives marks only when every case passes"


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            "    groups:\n      - {name: a, cases: [pair, nosuch], marks: 2}\n",
            "group 'a' names case 'nosuch', which no case has",
        ),
        (
            "    groups:\n      - {name: a, cases: [pair], marks: 1}\n"
            "      - {name: b, cases: [pair], marks: 0.5}\n",
            "case 'pair' is in groups 'a' and 'b'",
        ),
        (
            groups_yaml("all_or_nothing", long_marks=0.5, rest=ALL_GROUPED),
            "group marks add up to 1.5 but the question is worth 2",
        ),
        (
            groups_yaml("all_or_nothing"),
            "leaving none of the question's 2 for the cases in no group",
        ),
        (
            "    groups:\n      - {name: a, cases: [pair], marks: 1}\n"
            "      - {name: a, cases: [four], marks: 0.5}\n",
            "group names must be unique",
        ),
    ],
)
def test_a_bad_group_is_an_error_naming_the_file_line_and_field(
    tmp_path: Path, groups: str, message: str
) -> None:
    course = course_with(tmp_path, groups)
    with pytest.raises(AuthoringError) as err:
        load_exam(course / "exam.yaml")
    text = str(err.value)
    assert message in text
    line = 1 + (course / "bank.yaml").read_text().splitlines().index("    groups:")
    assert f"bank.yaml:{line}:" in text and ".groups" in text
