"""Grading on a Ray cluster: one Ray task per (submission, question).

Each task asks for the resources its question needs (``num_gpus=1`` for ``cuda`` code
questions, one CPU otherwise). On the worker, the task loads the exam (cached per worker
process), grades one question with a warm bubblewrap ``SandboxRunner`` owned by that
worker process, and returns the result as JSON (never pickle of anything student code
touched). The driver sends typed values: the ``Submission`` (put in Ray's object store
once per student) and the ``GradingOptions``; the worker answers with the
``QuestionResult``'s JSON, which the driver reads back with ``model_validate_json``. The
driver assembles each student's results and writes them to the same gradebook as local
mode, in one transaction per student, so resumption and idempotency are exactly those of
local mode. Ray retries a task whose worker dies.

Workers must see the same repository (questions and ``reference_impls``) at the same
path: true for a local cluster and for a shared filesystem; otherwise start Ray with a
``runtime_env`` whose ``working_dir`` is the repository.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.classroom import OnResult, Plan
from grader.errors import InfrastructureError
from grader.grading import GradingOptions, grade_exam_question
from grader.loading import LoadedExam, load_exam
from grader.results import QuestionResult, SubmissionResult
from grader.schema import CodeQuestion, MultipartQuestion
from grader.submissions import Submission

__all__ = ["RayBackend", "KILL_ONCE_ENV"]

KILL_ONCE_ENV = "GRADER_RAY_KILL_ONCE"
"""Fault injection for tests: a path; the first task to find it missing creates it and
kills its own worker process, so Ray must retry the task."""

_exams: dict[tuple[str, str], LoadedExam] = {}
_runner: Any = None


def _worker_runner(no_sandbox: bool) -> Any:
    global _runner
    if _runner is None:
        from grader.classroom import make_runner

        _runner = make_runner(1, no_sandbox=no_sandbox)
    return _runner


def _grade_one(
    exam_path: str,
    questions_dir: str,
    submission: Submission,
    qid: str,
    variant: int,
    opts: GradingOptions,
    no_sandbox: bool,
) -> str:
    """Grade one question of one submission on a Ray worker; returns QuestionResult JSON."""
    marker = os.environ.get(KILL_ONCE_ENV)
    if marker and not os.path.exists(marker):
        Path(marker).write_text(
            f"killed worker {os.getpid()} while grading {submission.student} {qid}\n"
        )
        os._exit(1)
    key = (exam_path, questions_dir)
    if key not in _exams:
        _exams[key] = load_exam(exam_path, Path(questions_dir))
    result = grade_exam_question(
        _exams[key], qid, submission, _worker_runner(no_sandbox), variant, opts
    )
    return result.model_dump_json()


def _needs_gpu(question: Any) -> bool:
    parts = question.parts if isinstance(question, MultipartQuestion) else [question]
    return any(isinstance(p, CodeQuestion) and p.device == "cuda" for p in parts)


class RayBackend:
    """Ray tasks per (submission, question); results assembled on the driver."""

    def __init__(
        self, address: str | None = None, *, no_sandbox: bool = False, max_retries: int = 3
    ) -> None:
        try:
            import ray
        except ImportError:
            raise InfrastructureError("the Ray backend needs Ray: pip install '.[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        self.no_sandbox = no_sandbox
        self.task = ray.remote(max_retries=max_retries, retry_exceptions=False)(_grade_one)

    def run(
        self, exam: LoadedExam, plans: Sequence[Plan], opts: GradingOptions, on_result: OnResult
    ) -> None:
        ray = self.ray
        exam_path = str(exam.path.resolve())
        questions_dir = str(exam.path.resolve().parent)
        pending: dict[Any, tuple[int, str]] = {}
        collected: dict[int, dict[str, QuestionResult]] = {}
        remaining: dict[int, int] = {}
        errors: dict[int, BaseException] = {}
        order: dict[int, list[str]] = {}
        for i, plan in enumerate(plans):
            submission_ref = ray.put(plan.submission)  # sent once, read by every task
            order[i] = [q for q in exam.ordered_ids() if plan.only is None or q in plan.only]
            collected[i], remaining[i] = {}, len(order[i])
            for qid in order[i]:
                gpus = 1 if _needs_gpu(exam.questions[qid]) else 0
                ref = self.task.options(num_gpus=gpus, num_cpus=1).remote(
                    exam_path,
                    questions_dir,
                    submission_ref,
                    qid,
                    plan.variant,
                    opts,
                    self.no_sandbox,
                )
                pending[ref] = (i, qid)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i, qid = pending.pop(ref)
                try:
                    collected[i][qid] = QuestionResult.model_validate_json(ray.get(ref))
                except Exception as exc:  # noqa: BLE001 - a failed task fails that student only
                    errors[i] = exc
                remaining[i] -= 1
                if remaining[i] == 0:
                    plan = plans[i]
                    if i in errors:
                        on_result(plan, errors[i])
                    else:
                        ordered = tuple(collected[i][q] for q in order[i])
                        on_result(
                            plan,
                            SubmissionResult(
                                student=plan.submission.student,
                                exam=exam.exam.exam,
                                variant=plan.variant,
                                problems=plan.submission.problems,
                                questions=ordered,
                            ),
                        )
