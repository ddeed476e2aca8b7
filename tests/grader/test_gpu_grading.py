"""A `cuda` code question graded end to end on a GPU runner, in the sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from grader.classroom import grade_class
from grader.gradebook import Gradebook
from grader.grading import grade_submission
from grader.loading import load_exam
from grader.sandbox import InProcessRunner, SandboxRunner, sandbox_available
from grader.submissions import read_submission

FIX = Path(__file__).parent / "fixtures"


def cuda_exam(tmp_path: Path) -> Path:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    bank.write_text(
        bank.read_text().replace(
            "    function: ranking_ll\n", "    function: ranking_ll\n    device: cuda\n"
        )
    )
    return q / "exam.yaml"


def test_cuda_question_is_reported_not_runnable_without_a_gpu(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    exam = load_exam(cuda_exam(tmp_path))
    runner = InProcessRunner(workers=1)
    try:
        result = grade_submission(
            exam, read_submission(FIX / "class" / "alice", exam_id="demo-exam"), runner, only={"C1"}
        )
    finally:
        runner.close()
    [c1] = result.questions
    assert c1.status == "unchecked" and "needs a CUDA GPU" in c1.feedback


@pytest.mark.gpu
@pytest.mark.sandbox
@pytest.mark.skipif(not sandbox_available()[0], reason="needs bubblewrap")
def test_cuda_question_runs_on_the_gpu_inside_the_sandbox(tmp_path: Path) -> None:
    exam = load_exam(cuda_exam(tmp_path))
    alice = tmp_path / "alice"
    shutil.copytree(FIX / "class" / "alice", alice)
    cpu_only = tmp_path / "cpu_only"
    shutil.copytree(FIX / "class" / "alice", cpu_only)
    # A device-aware answer: the accumulator lives where the input lives.
    (alice / "c1.py").write_text(
        (alice / "c1.py")
        .read_text()
        .replace("dtype=rewards.dtype)", "dtype=rewards.dtype, device=rewards.device)")
    )
    runner = SandboxRunner(workers=1, gpu=True)
    try:
        good = grade_submission(
            exam, read_submission(alice, exam_id="demo-exam"), runner, only={"C1"}
        )
        mixed = grade_submission(
            exam, read_submission(cpu_only, exam_id="demo-exam"), runner, only={"C1"}
        )
        bad = grade_submission(
            exam, read_submission(FIX / "class" / "bob", exam_id="demo-exam"), runner, only={"C1"}
        )
    finally:
        runner.close()
    assert good.questions[0].marks == 2.0, good.questions[0].feedback
    assert mixed.questions[0].marks == 0.0 and "RuntimeError" in mixed.questions[0].feedback
    assert bad.questions[0].marks == 0.0


def test_a_cuda_answer_left_unchecked_is_graded_again_by_the_next_run(tmp_path: Path) -> None:
    # no --regrade: a run on a machine with a GPU grades it without being told (issue 18)
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    exam = load_exam(cuda_exam(tmp_path))
    klass = tmp_path / "class"
    shutil.copytree(FIX / "class", klass)
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    runner = InProcessRunner(workers=1)
    try:
        grade_class(exam, klass, gradebook, runner)
        assert gradebook.stored_hashes("demo-exam")["alice"].question_hashes["C1"] == ""
        again = grade_class(exam, klass, gradebook, runner)
    finally:
        runner.close()
    assert "alice" in again.graded  # C1 again; the questions with a verdict are not
    (status,) = gradebook.rows(
        "SELECT status FROM answers WHERE student='alice' AND question_id='C1'"
    )[0]
    assert status == "unchecked"
