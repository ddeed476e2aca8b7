"""The Ray backend gives the same gradebook as local mode, survives a worker dying, and
carries typed records: the driver sends the ``Submission`` and ``GradingOptions``, and reads
each task's ``QuestionResult`` back from JSON."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.classroom import Plan, grade_class
from grader.gradebook import Gradebook
from grader.grading import GradingOptions, grade_submission
from grader.loading import load_exam
from grader.results import QuestionResult, SubmissionResult
from grader.submissions import read_submission
from grader.variants import PAPER_VARIANT

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def rows(db: Path) -> list[tuple[object, ...]]:
    gb = Gradebook(db)
    out = gb.rows(
        "SELECT student, question_id, marks, max_marks, status, feedback, needs_review, "
        "answer_hash, question_hash, variant FROM answers ORDER BY student, question_id"
    )
    gb.close()
    return out


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    marker = tmp_path_factory.mktemp("ray") / "killed-once"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"GRADER_RAY_KILL_ONCE": str(marker)}},
    )
    yield marker
    ray.shutdown()


def test_ray_and_local_give_identical_gradebooks_even_when_a_worker_dies(
    ray_cluster: Path, tmp_path: Path
) -> None:
    from grader.classroom import make_runner
    from grader.ray_backend import DEPTH, RayBackend

    # The bundled example class of the quiz, graded in the sandbox by both backends.
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "submissions" / "quiz-2025", klass)
    exam = load_exam("quiz-2025", ROOT / "questions")
    sandboxed = shutil.which("bwrap") is not None
    runner = make_runner(1, no_sandbox=not sandboxed)
    try:
        local = Gradebook(tmp_path / "local.sqlite")
        grade_class(exam, klass, local, runner)
        local.close()
    finally:
        runner.close()
    distributed = Gradebook(tmp_path / "ray.sqlite")
    # Every Ray worker wraps student code in its own bubblewrap sandbox, as in production.
    backend = RayBackend(no_sandbox=not sandboxed)
    try:
        report = grade_class(exam, klass, distributed, None, backend=backend)
    finally:
        backend.close()
    distributed.close()
    assert ray_cluster.exists(), "the fault injection should have killed one actor mid-task"
    # the killed actor's units (the one it was grading, and one queued) went to another
    assert backend.actors_lost == 1 and 1 <= backend.resubmitted <= DEPTH
    assert report.failed == {}
    assert rows(tmp_path / "ray.sqlite") == rows(tmp_path / "local.sqlite")
    # complete and unduplicated: one row per student and question
    students = {r[0] for r in rows(tmp_path / "ray.sqlite")}
    assert len(students) == 6
    assert len(rows(tmp_path / "ray.sqlite")) == len(students) * len(exam.ordered_ids())


def _without_timing(result: QuestionResult) -> dict[str, object]:
    """A result as JSON-ready data, without the seconds it took (which always differ)."""
    return result.model_dump(
        mode="json", exclude={"seconds": True, "parts": {"__all__": {"seconds"}}}
    )


def test_ray_tasks_receive_the_submission_and_options_and_return_question_results(
    ray_cluster: Path,
) -> None:
    from grader.ray_backend import RayBackend

    # After the test above, which the fault injection is for (it kills one worker once).
    exam = load_exam("quiz-2025", ROOT / "questions")
    submission = read_submission(ROOT / "submissions" / "quiz-2025" / "typical")
    opts = GradingOptions(release=True)  # keys and solutions shown: the options arrived
    only = frozenset({"Q1", "Q5"})  # no code, so the local run needs no runner
    plan = Plan(submission=submission, variant=PAPER_VARIANT, content="", only=only)
    got: list[SubmissionResult | BaseException] = []
    backend = RayBackend(no_sandbox=shutil.which("bwrap") is None)
    try:
        backend.run(exam, [plan], opts, lambda _plan, result: got.append(result))
    finally:
        backend.close()
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
