"""Grading a whole class: resumable, idempotent, parallel, with a progress bar.

For each student folder the pipeline decides what needs grading by comparing content
hashes with the gradebook: a new or changed submission is graded in full; an unchanged one
only for questions whose bank content changed (or those named by ``--regrade``); the rest
is skipped. Each student's results are committed in one transaction as soon as they are
ready, so a run killed at any point (SIGKILL included) is finished by running it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from grader.deferred_runner import DeferredRunner
from grader.errors import InfrastructureError
from grader.gradebook import Environment, Gradebook, Regrade, StoredHashes
from grader.grading_options import GradingOptions
from grader.loading import LoadedExam
from grader.notebooks.slots import exam_slots
from grader.results import SubmissionResult
from grader.schema.questions import CodeQuestion, MultipartQuestion
from grader.submissions import (
    SYMLINK_NOT_GRADED,
    Submission,
    find_submissions,
    linked_submissions,
    printable_name,
    read_roster,
    read_submission,
    student_id_problem,
)
from grader.variants import variant_seed

if TYPE_CHECKING:  # the grading machinery imports torch and sympy: only when there is work
    from grader.sandbox import Runner

log = logging.getLogger(__name__)

__all__ = [
    "Backend",
    "ClassReport",
    "LocalBackend",
    "Plan",
    "grade_class",
    "deferred_runner",
    "has_code",
    "counts_flops",
    "make_runner",
    "content_hash",
    "plan_student",
]


@dataclass(frozen=True)
class Plan:
    """What to grade for one student: ``None`` = everything, a set = those questions."""

    submission: Submission
    variant: int
    content: str
    only: frozenset[str] | None


@dataclass
class ClassReport:
    """What a class run did."""

    run_id: int
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Student -> why it was not graded; a folder whose name is not a valid student id is
    listed here under that name (``printable_name``), and nothing of it is graded; so is a
    symbolic link among the folders (``submissions.SYMLINK_NOT_GRADED``)."""
    changes: list[Regrade] = field(default_factory=list)
    """The answers whose marks this run changed."""
    seconds: float = 0.0
    results: dict[str, SubmissionResult] = field(default_factory=dict)


OnResult = Callable[[Plan, "SubmissionResult | BaseException"], None]


class Backend(Protocol):
    """Where submissions are graded: this machine's threads, or a cluster."""

    def run(
        self, exam: LoadedExam, plans: Sequence[Plan], opts: GradingOptions, on_result: OnResult
    ) -> None:
        """Grade every plan; call ``on_result`` in the calling thread as each finishes."""


class LocalBackend:
    """Threads on this machine sharing one pool of warm sandboxes (the default)."""

    def __init__(self, runner: Runner, workers: int = 1) -> None:
        self.runner = runner
        self.workers = max(1, workers)

    def run(
        self, exam: LoadedExam, plans: Sequence[Plan], opts: GradingOptions, on_result: OnResult
    ) -> None:
        if not plans:
            return
        from grader.grading import grade_submission

        def work(plan: Plan) -> SubmissionResult:
            return grade_submission(
                exam,
                plan.submission,
                self.runner,
                variant=plan.variant,
                opts=opts,
                only=set(plan.only) if plan.only is not None else None,
            )

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            pending: dict[Future[SubmissionResult], Plan] = {}
            queue = list(plans)
            while queue or pending:
                while queue and len(pending) < self.workers * 2:
                    plan = queue.pop(0)
                    pending[pool.submit(work, plan)] = plan
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    plan = pending.pop(fut)
                    try:
                        result = fut.result()
                    except Exception as exc:  # noqa: BLE001 - one student's failure never stops the class
                        on_result(plan, exc)
                    else:
                        on_result(plan, result)


def content_hash(sub: Submission) -> str:
    """Identity of what the student handed in: answers and code files."""
    h = hashlib.sha256()
    answers = sub.folder / "answers.yaml"
    try:
        if answers.is_file() and not answers.is_symlink() and answers.stat().st_size <= 1 << 20:
            h.update(answers.read_bytes())
    except OSError:
        pass
    for name in sorted(sub.files):
        h.update(name.encode() + b"\0" + sub.files[name])
    h.update(repr(sorted(sub.file_problems.items())).encode())
    if sub.notebook is not None:  # its answer cells are in no file hashed above
        h.update(json.dumps(sub.answers, sort_keys=True, default=repr).encode())
    return h.hexdigest()[:16]


def make_runner(
    workers: int, *, no_sandbox: bool = False, gpu: bool | None = None, warm_flops: bool = True
) -> Runner:
    """A started sandboxed runner, or refuse with what to install or change; ``no_sandbox``
    for self-checks. The real start-up is the proof that the sandbox works (``grader doctor``
    runs a separate probe): a sandbox that cannot start raises ``InfrastructureError``.
    ``warm_flops=False`` when no question counts FLOPs (``counts_flops``): each sandbox then
    starts about 2 s sooner."""
    from grader.sandbox import InProcessRunner, SandboxRunner, SandboxUnavailable

    if no_sandbox:
        return InProcessRunner(workers=workers, warm_flops=warm_flops)
    try:
        return SandboxRunner(workers=workers, gpu=gpu, warm_flops=warm_flops)
    except SandboxUnavailable as exc:
        raise InfrastructureError(
            f"refusing to run other people's code without a sandbox: {str(exc).rstrip('.')}. "
            "`grader doctor` shows what this machine offers."
        ) from exc


def deferred_runner(
    workers: int, *, no_sandbox: bool = False, gpu: bool | None = None, warm_flops: bool = True
) -> DeferredRunner:
    """``make_runner``'s runner, made only when there is code to run (see ``grade_class``)."""
    return DeferredRunner(
        lambda: make_runner(workers, no_sandbox=no_sandbox, gpu=gpu, warm_flops=warm_flops),
        sandboxed=not no_sandbox,
    )


def counts_flops(exam: LoadedExam) -> bool:
    """Whether any code question of ``exam`` (a part included) has a cost check, whose
    FLOP counting the sandboxes then warm up when they start."""

    def counts(question: object) -> bool:
        if isinstance(question, MultipartQuestion):
            return any(counts(p) for p in question.parts)
        return isinstance(question, CodeQuestion) and question.complexity is not None

    return any(counts(q) for q in exam.questions.values())


def has_code(exam: LoadedExam) -> bool:
    """Whether any question of ``exam`` (a part included) runs students' code."""

    def runs_code(question: object) -> bool:
        parts = getattr(question, "parts", None)
        if isinstance(question, MultipartQuestion) and parts:
            return any(runs_code(p) for p in parts)
        return isinstance(question, CodeQuestion)

    return any(runs_code(q) for q in exam.questions.values())


def _start_runner_while_resolving(
    exam: LoadedExam,
    plans: Sequence[Plan],
    runner: DeferredRunner,
    opts: GradingOptions,
    first: int,
) -> None:
    """Start the sandbox pool in the background while this thread computes the keys and
    the code cases' expected outputs the first plans need (memoized, so their grading
    reuses them; the rest are computed by the grading threads, in parallel), then wait for
    the pool: a pool that cannot start stops the run here, before any mark is recorded."""
    runner.start_in_background()
    from grader.grading import warm_keys

    for plan in plans[:first]:
        for qid in exam.ordered_ids():
            if plan.only is not None and qid not in plan.only:
                continue
            try:
                warm_keys(exam, qid, plan.variant, opts)
            except Exception:  # noqa: BLE001 - the grading reports it for that question
                log.debug("could not resolve %s for variant %s", qid, plan.variant, exc_info=True)
    runner.wait_until_started()


def plan_student(
    exam: LoadedExam,
    sub: Submission,
    variant: int,
    stored: StoredHashes | None,
    regrade: Sequence[str] | None,
) -> Plan | None:
    """Decide what to grade for ``sub`` given what the gradebook already holds."""
    content = content_hash(sub)
    ids = set(exam.ordered_ids())
    if stored is None or stored.content_hash != content or stored.variant != variant:
        return Plan(sub, variant, content, None)
    if regrade is not None and len(regrade) == 0:
        return Plan(sub, variant, content, None)
    wanted = {q for q in (regrade or []) if q in ids}
    changed = {q for q in ids if stored.question_hashes.get(q) != exam.hash_of(q)}
    todo = wanted | changed
    if not todo:
        return None
    return Plan(sub, variant, content, frozenset(todo))


def grade_class(
    exam: LoadedExam,
    submissions_dir: Path,
    gradebook: Gradebook,
    runner: Runner | None,
    *,
    workers: int = 1,
    roster_path: Path | None = None,
    secret: bytes | None = None,
    regrade: Sequence[str] | None = None,
    opts: GradingOptions | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    args: dict[str, object] | None = None,
    backend: Backend | None = None,
) -> ClassReport:
    """Grade every student folder under ``submissions_dir`` into ``gradebook``.

    Each folder's name is its student's id (the LMS's); a folder whose name is not a valid
    id is reported in ``ClassReport.failed`` and not graded.

    ``regrade``: ``None`` grades only what is new or changed; ``[]`` regrades everything;
    a list of question ids regrades exactly those for every student.
    """
    started = time.perf_counter()
    exam_id = exam.exam.exam
    if not submissions_dir.is_dir():
        raise InfrastructureError(f"submissions folder {str(submissions_dir)!r} does not exist")
    if roster_path is None and (submissions_dir / "roster.csv").is_file():
        roster_path = submissions_dir / "roster.csv"
    roster = read_roster(roster_path) if roster_path is not None else None
    report = ClassReport(run_id=0)
    stored = gradebook.stored_hashes(exam_id)
    known = set(exam.ordered_ids())
    slots = exam_slots(exam)  # a notebook's code cells (grader.notebooks)
    plans: list[Plan] = []
    for link in linked_submissions(submissions_dir):
        report.failed[printable_name(link)] = SYMLINK_NOT_GRADED
    for folder in find_submissions(submissions_dir):
        bad_id = student_id_problem(folder.name)
        if bad_id is not None:
            report.failed[printable_name(folder.name)] = bad_id
            continue
        sub = read_submission(
            folder, exam_id=exam_id, known_questions=known, roster=roster, code_slots=slots
        )
        variant = variant_seed(secret, exam_id, sub.student)
        plan = plan_student(exam, sub, variant, stored.get(sub.student), regrade)
        if plan is None:
            report.skipped.append(sub.student)
        else:
            plans.append(plan)
    total = len(plans)
    done = 0
    opts = opts or GradingOptions()
    deferred = backend is None and isinstance(runner, DeferredRunner)
    if deferred and plans and has_code(exam):
        # first, so that the sandboxes start while this process imports torch (seconds on
        # each side, in parallel on two cores) and computes the first students' keys
        assert isinstance(runner, DeferredRunner)
        runner.start_in_background()
    # nothing to grade: neither torch (for the device) nor the sandboxes are started
    env = Environment.current() if plans else Environment.without_device()
    run_id = report.run_id = gradebook.start_run(exam_id, env, args or {})

    def on_result(plan: Plan, outcome: SubmissionResult | BaseException) -> None:
        nonlocal done
        student = plan.submission.student
        if isinstance(outcome, BaseException):
            report.failed[student] = f"{type(outcome).__name__}: {outcome}"
        else:
            gradebook.record(
                outcome,
                folder=str(plan.submission.folder),
                content_hash=plan.content,
                run_id=run_id,
                env=env,
                replace_all=plan.only is None,
            )
            report.graded.append(student)
            report.results[student] = outcome
        done += 1
        if on_progress is not None:
            on_progress(done, total, student)

    if backend is None:
        if runner is None:
            raise ValueError("grade_class needs a runner or a backend")
        backend = LocalBackend(runner, workers)
        if plans and isinstance(runner, DeferredRunner) and has_code(exam):
            _start_runner_while_resolving(exam, plans, runner, opts, first=max(1, workers))
    backend.run(exam, plans, opts, on_result)
    gradebook.finish_run(run_id)
    report.changes = gradebook.regrades(run_id)
    report.seconds = time.perf_counter() - started
    return report
