"""The Ray actor that grades: one warm sandbox pool, kept between submissions.

A ``GradingActor`` owns a ``SandboxRunner`` with one worker (bubblewrap around every
student's code, as in local mode), started once when the actor starts, and grades whole
submissions (or the questions it is sent of one) with ``grading.grade_submission``: all the
code answers of the submission run as ONE batch in that runner, exactly as in local mode.
It answers with the ``SubmissionResult``'s JSON, never a pickle of anything student code
touched. The exam is loaded once per actor.

Actors are of two kinds: CPU actors (``gpu=False``: the sandbox sees no GPU) and GPU actors
(``gpu=True``, each placed with ``num_gpus=1``) that grade the ``cuda`` questions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from grader.errors import InfrastructureError
from grader.grading_options import GradingOptions
from grader.submissions import Submission

if TYPE_CHECKING:
    from grader.loading import LoadedExam
    from grader.sandbox import Runner

__all__ = ["ActorStart", "GradingActor", "KILL_ONCE_ENV"]

KILL_ONCE_ENV = "GRADER_RAY_KILL_ONCE"
"""Fault injection for tests: a path; the first actor to find it missing when asked to grade
creates it and kills its own process mid-task, so the driver must resubmit that work."""


class ActorStart(NamedTuple):
    """What a started actor reports: where it runs, and why its sandbox failed, if it did."""

    node_id: str
    error: str | None


class GradingActor:
    """One warm runner (one sandbox worker) on one Ray node; grades one submission at a
    time. Wrapped with ``ray.remote`` by ``grader.ray_backend``, not imported by Ray users."""

    def __init__(self, *, no_sandbox: bool, gpu: bool) -> None:
        from grader.classroom import make_runner

        self._exams: dict[str, LoadedExam] = {}
        self._runner: Runner | None = None
        self._error: str | None = None
        try:
            self._runner = make_runner(1, no_sandbox=no_sandbox, gpu=gpu)
        except InfrastructureError as exc:  # reported by ``started``, told to the user there
            self._error = str(exc)

    def started(self) -> ActorStart:
        """Where this actor runs, once its runner is warm (or failed to start)."""
        import ray

        return ActorStart(ray.get_runtime_context().get_node_id(), self._error)

    def grade(
        self,
        exam_path: str,
        submission: Submission,
        variant: int,
        opts: GradingOptions,
        questions: Sequence[str],
    ) -> str:
        """Grade ``questions`` of ``submission`` in one batch; the ``SubmissionResult`` JSON."""
        from grader.grading import grade_submission
        from grader.loading import load_exam

        marker = os.environ.get(KILL_ONCE_ENV)
        if marker and not os.path.exists(marker):
            Path(marker).write_text(f"killed actor {os.getpid()} grading {submission.student}\n")
            os._exit(1)
        if self._runner is None:
            raise InfrastructureError(self._error or "this Ray actor has no sandbox runner")
        if exam_path not in self._exams:
            self._exams[exam_path] = load_exam(exam_path)
        result = grade_submission(
            self._exams[exam_path],
            submission,
            self._runner,
            variant=variant,
            opts=opts,
            only=set(questions),
        )
        return result.model_dump_json()

    def close(self) -> None:
        """Stop the sandbox pool (the driver calls this before it lets the actor go)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None
