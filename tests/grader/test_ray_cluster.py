"""A Ray cluster of three nodes on this machine loses a node in the middle of a run: the
gradebook is still complete (every student, every question), nothing is written twice, and
every mark equals local mode's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from ray_helpers import ROOT, SANDBOXED, answer_rows, grade_locally

from grader.classroom import OnResult, Plan, grade_class
from grader.gradebook import Gradebook
from grader.grading_options import GradingOptions
from grader.loading import LoadedExam, load_exam

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install '.[ray]'")
cluster_utils = pytest.importorskip("ray.cluster_utils")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head node that only drives (no CPU for actors) and two worker nodes of one CPU."""
    c = cluster_utils.Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
    )
    for _ in range(2):
        c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def quiz_class(dest: Path, copies: int) -> Path:
    """The bundled quiz class, ``copies`` times over under new student ids."""
    src = ROOT / "submissions" / "quiz-2025"
    dest.mkdir()
    for k in range(copies):
        for template in sorted(p for p in src.iterdir() if p.is_dir()):
            folder = dest / f"{template.name}{k}"
            shutil.copytree(template, folder)
            answers = folder / "answers.yaml"
            lines = answers.read_text().splitlines()
            answers.write_text(
                "\n".join(
                    f"student: {folder.name}" if line.startswith("student:") else line
                    for line in lines
                )
                + "\n"
            )
    return dest


class KillANodeMidRun:
    """The Ray backend, with one worker node removed as soon as the first student is in
    (its actor still holds that student's queued neighbour)."""

    def __init__(self, backend: Any, cluster: Any) -> None:
        self.backend, self.cluster = backend, cluster
        self.killed: str | None = None

    def run(
        self, exam: LoadedExam, plans: Sequence[Plan], opts: GradingOptions, on_result: OnResult
    ) -> None:
        def kill_after(plan: Plan, outcome: Any) -> None:
            on_result(plan, outcome)
            busy = self.backend.in_flight_nodes()
            if self.killed is None and busy:
                node = next(n for n in self.cluster.worker_nodes if n.node_id in busy)
                self.cluster.remove_node(node)
                self.killed = node.node_id

        self.backend.run(exam, plans, opts, kill_after)


def test_losing_a_node_mid_run_leaves_the_gradebook_complete_unduplicated_and_as_local(
    cluster: Any, tmp_path: Path
) -> None:
    from grader.ray_backend import RayBackend

    exam = load_exam("quiz-2025", ROOT / "questions")
    klass = quiz_class(tmp_path / "class", copies=2)
    grade_locally(exam, klass, tmp_path / "local.sqlite")
    backend = RayBackend(no_sandbox=not SANDBOXED)
    killer = KillANodeMidRun(backend, cluster)
    gradebook = Gradebook(tmp_path / "ray.sqlite")
    try:
        report = grade_class(exam, klass, gradebook, None, backend=killer)
    finally:
        gradebook.close()
        backend.close()
    assert killer.killed is not None and backend.actors_lost >= 1 and backend.resubmitted >= 1
    assert report.failed == {}
    students = sorted(p.name for p in klass.iterdir() if p.is_dir())
    assert sorted(report.graded) == students  # each student's result recorded once
    rows = answer_rows(tmp_path / "ray.sqlite")
    assert sorted({r[0] for r in rows}) == students
    assert (
        len(rows) == len(set((r[0], r[1]) for r in rows)) == len(students) * len(exam.ordered_ids())
    )
    assert rows == answer_rows(tmp_path / "local.sqlite")
