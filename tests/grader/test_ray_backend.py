"""The Ray backend gives the same gradebook as local mode, survives an actor dying, leaves a
``cuda`` answer ``unchecked`` on a cluster without GPUs as local mode does, and carries typed
records: the driver sends the ``Submission`` and ``GradingOptions``, and reads each
student's results back from JSON."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ray_helpers import ROOT, SANDBOXED, answer_rows, grade_locally
from test_ray_work_split import exam_with_a_cuda_question

from grader.classroom import Plan, grade_class
from grader.gradebook import Gradebook
from grader.grading import GradingOptions, grade_submission
from grader.loading import load_exam
from grader.results import QuestionResult, SubmissionResult
from grader.submissions import read_submission
from grader.variants import PAPER_VARIANT

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    marker = tmp_path_factory.mktemp("ray") / "killed-once"
    ray.init(
        num_cpus=2,
        num_gpus=0,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"GRADER_RAY_KILL_ONCE": str(marker)}},
    )
    yield marker
    ray.shutdown()


@pytest.fixture(scope="module")
def backend(ray_cluster: Path):  # type: ignore[no-untyped-def]
    """One backend for the module: its actors stay warm from one test to the next."""
    from grader.ray_backend import RayBackend

    b = RayBackend(no_sandbox=not SANDBOXED)
    yield b
    b.close()


def test_ray_and_local_give_identical_gradebooks_even_when_an_actor_dies(
    ray_cluster: Path,
    backend,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from grader.ray_backend import DEPTH

    # The bundled example class of the quiz, graded in the sandbox by both backends.
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "submissions" / "quiz-2025", klass)
    exam = load_exam("quiz-2025", ROOT / "questions")
    grade_locally(exam, klass, tmp_path / "local.sqlite")
    distributed = Gradebook(tmp_path / "ray.sqlite")
    report = grade_class(exam, klass, distributed, None, backend=backend)
    distributed.close()
    assert ray_cluster.exists(), "the fault injection should have killed one actor mid-task"
    # the killed actor's units (the one it was grading, and one queued) went to another
    assert backend.actors_lost == 1 and 1 <= backend.resubmitted <= DEPTH
    assert report.failed == {}
    assert answer_rows(tmp_path / "ray.sqlite") == answer_rows(tmp_path / "local.sqlite")
    # complete and unduplicated: one row per student and question
    students = {r[0] for r in answer_rows(tmp_path / "ray.sqlite")}
    assert len(students) == 6
    assert len(answer_rows(tmp_path / "ray.sqlite")) == len(students) * len(exam.ordered_ids())


def test_a_cuda_answer_stays_unchecked_on_a_cluster_without_gpus_as_in_local_mode(
    backend,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    exam = exam_with_a_cuda_question(tmp_path)
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "tests" / "grader" / "fixtures" / "class", klass)
    grade_locally(exam, klass, tmp_path / "local.sqlite")
    distributed = Gradebook(tmp_path / "ray.sqlite")
    grade_class(exam, klass, distributed, None, backend=backend)
    distributed.close()
    rows = answer_rows(tmp_path / "ray.sqlite")
    assert rows == answer_rows(tmp_path / "local.sqlite")
    c1 = [r for r in rows if r[1] == "C1" and r[0] == "alice"]
    assert c1 and c1[0][4] == "unchecked" and "needs a CUDA GPU" in str(c1[0][5])


def _without_timing(result: QuestionResult) -> dict[str, object]:
    """A result as JSON-ready data, without the seconds it took (which always differ)."""
    return result.model_dump(
        mode="json", exclude={"seconds": True, "parts": {"__all__": {"seconds"}}}
    )


def test_ray_actors_receive_the_submission_and_options_and_return_question_results(
    backend,  # type: ignore[no-untyped-def]
) -> None:
    exam = load_exam("quiz-2025", ROOT / "questions")
    submission = read_submission(ROOT / "submissions" / "quiz-2025" / "typical")
    opts = GradingOptions(release=True)  # keys and solutions shown: the options arrived
    only = frozenset({"Q1", "Q5"})  # no code, so the local run needs no runner
    plan = Plan(submission=submission, variant=PAPER_VARIANT, content="", only=only)
    got: list[SubmissionResult | BaseException] = []
    backend.run(exam, [plan], opts, lambda _plan, result: got.append(result))
    local = grade_submission(exam, submission, None, opts=opts, only=set(only))
    assert len(got) == 1 and isinstance(got[0], SubmissionResult)
    remote = got[0]
    assert [q.question_id for q in remote.questions] == ["Q1", "Q5"]
    assert [_without_timing(q) for q in remote.questions] == [
        _without_timing(q) for q in local.questions
    ]
    assert remote.problems == submission.problems and remote.student == "typical"
    assert all(q.question_hash for q in remote.questions)
    q5 = remote.questions[1]
    assert q5.status == "correct" and q5.expected is not None and q5.solution
