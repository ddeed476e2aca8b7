"""How the Ray backend splits a student's work: the CPU questions of a submission in one
batch (as in local mode), and each ``cuda`` question on its own when the cluster has GPUs."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.classroom import Plan
from grader.loading import load_exam
from grader.ray_backend import WorkUnit, split_work
from grader.submissions import read_submission
from grader.variants import PAPER_VARIANT

FIX = Path(__file__).parent / "fixtures"


def exam_with_a_cuda_question(tmp_path: Path):  # type: ignore[no-untyped-def]
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    bank.write_text(
        bank.read_text().replace(
            "    function: ranking_ll\n", "    function: ranking_ll\n    device: cuda\n"
        )
    )
    return load_exam(q / "exam.yaml")


def plan(only: frozenset[str] | None = None) -> Plan:
    return Plan(read_submission(FIX / "class" / "alice"), PAPER_VARIANT, "", only)


def test_a_cuda_question_gets_its_own_gpu_unit_when_the_cluster_has_gpus(
    tmp_path: Path,
) -> None:
    exam = exam_with_a_cuda_question(tmp_path)
    units = split_work(exam, 3, plan(), gpus=True)
    assert units == [
        WorkUnit(3, ("M1", "N1", "E1", "O1", "T1", "P1"), gpu=False),
        WorkUnit(3, ("C1",), gpu=True),
    ]


def test_a_cuda_question_stays_in_the_cpu_batch_on_a_cluster_without_gpus(
    tmp_path: Path,
) -> None:
    exam = exam_with_a_cuda_question(tmp_path)
    [unit] = split_work(exam, 0, plan(), gpus=False)
    assert unit == WorkUnit(0, tuple(exam.ordered_ids()), gpu=False)


def test_a_partial_regrade_sends_only_the_questions_it_names(tmp_path: Path) -> None:
    exam = exam_with_a_cuda_question(tmp_path)
    assert split_work(exam, 0, plan(frozenset({"C1"})), gpus=True) == [
        WorkUnit(0, ("C1",), gpu=True)
    ]
    assert split_work(exam, 0, plan(frozenset({"N1", "M1"})), gpus=True) == [
        WorkUnit(0, ("M1", "N1"), gpu=False)
    ]
