"""Grading one submission: each answer checked, code run in the sandbox, marks computed.

``grade_submission`` is the pure-ish core the class pipeline calls per student. It never
raises for anything a student did: an unreadable answer becomes an ``invalid`` result
with a message, a grader failure on one question becomes an ``error`` result for that
question (with a message a student understands), and grading moves on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from grader import checks
from grader.case_groups import case_weights, group_line, group_scores, weighted_share
from grader.cases import BuiltCase
from grader.code_jobs import CodeSpec, NotRunnable, built_cases, entry_file, judge, status_of
from grader.cost_check import run_cost_check
from grader.errors import InfrastructureError
from grader.grading_options import GradingOptions
from grader.keys import ResolvedQuestion, resolve_in
from grader.known_mistakes import matching_distractor, matching_formula, matching_mutant
from grader.loading import LoadedBank, LoadedExam
from grader.results import (
    CheckResult,
    QuestionResult,
    QuestionStatus,
    SubmissionResult,
)
from grader.sandbox import CaseOutcome, CodeJob, Runner
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    MultipartQuestion,
    NumericQuestion,
    Question,
)
from grader.scoring import Policy, score
from grader.scoring import total as total_marks
from grader.submissions import Submission
from grader.variants import PAPER_VARIANT

__all__ = [
    "GradingOptions",
    "answer_hash",
    "format_key",
    "grade_exam_question",
    "grade_question",
    "grade_submission",
]

log = logging.getLogger(__name__)


def answer_hash(answer: Any, files: Mapping[str, bytes]) -> str:
    """sha256 of an answer and the code files it names (its content identity)."""
    h = hashlib.sha256(json.dumps(answer, sort_keys=True, default=str).encode())
    for name in sorted(files):
        h.update(name.encode())
        h.update(files[name])
    return h.hexdigest()[:16]


def format_key(key: Any) -> str:
    """A key as a student would write it."""
    if isinstance(key, list) and all(isinstance(k, str) for k in key):
        return ", ".join(key)
    if isinstance(key, float):
        return f"{key:.10g}"
    return json.dumps(key) if isinstance(key, (list, dict)) else str(key)


def _policy(question: Question, default: Policy = "all_or_nothing") -> tuple[Policy, float, float]:
    """(policy, penalty, floor) of ``question``; ``default`` when it sets no ``scoring``."""
    s = question.scoring
    policy = s.policy if "scoring" in question.model_fields_set else default
    return policy, s.penalty, s.floor


def _from_check(
    question: Question,
    rq: ResolvedQuestion,
    qid: str,
    result: CheckResult,
    opts: GradingOptions,
    default_policy: Policy = "all_or_nothing",
) -> QuestionResult:
    policy, penalty, floor = _policy(question, default_policy)
    marks = score(result, marks=question.marks, policy=policy, penalty=penalty, floor=floor)
    status: QuestionStatus = result.status
    feedback = result.feedback
    if status == "partially_correct" and marks <= 0:
        status = "incorrect"
        feedback = (feedback + "\n" if feedback else "") + "This question has no partial marking."
    return QuestionResult(
        question_id=qid,
        marks=marks,
        max_marks=question.marks,
        status=status,
        feedback=feedback,
        expected=(result.expected or (format_key(rq.key) if rq.key is not None else None))
        if opts.release
        else None,
        solution=rq.solution if opts.release else "",
        rubric_found=result.rubric_found,
        needs_review=result.status == "needs_review",
        author_note=result.author_note,
    )


def _check_simple(
    question: Question, rq: ResolvedQuestion, answer: Any, opts: GradingOptions
) -> tuple[CheckResult, Policy]:
    """The answer checked by the registered checkers ``checks.checker_calls`` names for the
    question (the best result of several calls: an expression's accepted forms), with the
    policy the question scores by when it sets none."""
    calls = checks.checker_calls(question, rq)
    if not calls:
        raise TypeError(f"not a simple question: {type(question).__name__}")
    best: CheckResult | None = None
    for call in calls:
        reveal = {"reveal_key": opts.release} if call.reveals_key else {}
        result = checks.CHECKERS[call.checker](answer, **call.config, **reveal)
        if best is None or result.fraction > best.fraction:
            best = result
        if result.status == "correct":
            break
    assert best is not None
    return best, calls[0].policy


# ------------------------------------------------------------------------------ code


@dataclass(frozen=True)
class _CodeTask:
    """A code answer ready to run: the job and what its outcomes are checked against."""

    spec: CodeSpec
    """The question's job settings."""
    cases: list[BuiltCase]
    """The job's cases as built (names, reference arguments: never sent to the sandbox)."""
    expected: list[Any]
    """The reference's output on each of the job's cases (never sent to the sandbox)."""
    job: CodeJob
    """The job: the student's files and the cases' inputs."""


class _Ran(NamedTuple):
    """A code job that ran in a submission's batch: the job, its outcomes, and its share of
    the batch's wall-clock time (by case count)."""

    task: _CodeTask
    outcomes: list[CaseOutcome]
    seconds: float


def _prepare_code(
    question: CodeQuestion,
    bank: LoadedBank,
    qid: str,
    answer: Any,
    submission: Submission,
    params: Mapping[str, Any],
    variant: int,
    opts: GradingOptions,
) -> _CodeTask | QuestionResult:
    """The sandbox job for a code answer, or the result when there is nothing to run."""
    spec = CodeSpec.of(question, bank)
    entry = entry_file(spec, answer, submission)
    if isinstance(entry, NotRunnable):
        return entry.result(qid, question.marks)
    cases, expected = built_cases(question, bank, params, variant, opts.hidden)
    job = spec.job(submission.files, entry, [c.sandbox for c in cases])
    return _CodeTask(spec, cases, expected, job)


def _code_marks(
    question: CodeQuestion, fraction: float
) -> tuple[float, QuestionStatus, str | None]:
    """(marks, status, note) of a code answer whose cases (and cost check) earned
    ``fraction``, scored like every other answer (``scoring.score``; all or nothing unless
    the question says otherwise). The note explains a partial pass that earns nothing."""
    status = status_of(fraction)
    policy, penalty, floor = _policy(question)
    marks = score(
        CheckResult(status=status, fraction=fraction),
        marks=question.marks,
        policy=policy,
        penalty=penalty,
        floor=floor,
    )
    note = None
    if policy == "all_or_nothing" and 0.0 < fraction < 1.0:
        note = "this question gives marks only when every case passes"
    shown: QuestionStatus = (
        "correct" if status == "correct" else ("incorrect" if marks <= 0 else "partially_correct")
    )
    return marks, shown, note


def _grouped_marks(
    question: CodeQuestion, passed: list[bool], lines: list[str], at: int
) -> tuple[float, QuestionStatus, str | None]:
    """(marks, status, note) of a code answer scored per group of cases; each group's line
    ("stability: 0 of 1 mark (2 of 3 cases)") goes into ``lines`` at ``at``."""
    groups = group_scores(question, passed)
    lines[at:at] = [group_line(g) for g in groups]
    marks = total_marks(g.marks for g in groups)
    status: QuestionStatus = (
        "correct"
        if marks >= question.marks
        else ("incorrect" if marks <= 0 else "partially_correct")
    )
    return marks, status, None


def grade_code(
    question: CodeQuestion,
    bank: LoadedBank,
    qid: str,
    answer: Any,
    submission: Submission,
    params: Mapping[str, Any],
    variant: int,
    runner: Runner,
    opts: GradingOptions,
    ran: _Ran | None = None,
) -> QuestionResult:
    """Run the student's function on the cases in the sandbox and compare outside it.

    ``ran``: the prepared job and its outcomes when it already ran in a batch
    (``grade_submission``).
    """
    outcomes: list[CaseOutcome] | None = None
    if ran is not None:
        task, outcomes = ran.task, ran.outcomes
    else:
        prepared = _prepare_code(question, bank, qid, answer, submission, params, variant, opts)
        if isinstance(prepared, QuestionResult):
            return prepared
        task = prepared
    job = task.job
    if outcomes is None:
        outcomes = runner.run(job)
    judged = judge(
        task.spec,
        job.cases,
        task.expected,
        outcomes,
        names_shown=[c.show_name or opts.release for c in task.cases],
        files=job.files,
    )
    lines = list(judged.lines)
    passed = [c.passed for c in judged.cases]
    share = weighted_share(case_weights(question, len(passed)), passed)
    fraction = 0.0 if judged.forbidden else share
    mistake = None
    if not judged.forbidden and fraction < 1.0:
        mistake = matching_mutant(
            question,
            task.spec.rule,
            task.spec.device,
            task.cases,
            outcomes,
            [i for i, c in enumerate(judged.cases) if not c.passed],
            params=params,
            variant=variant,
            folders=bank.reference_folders,
        )
    if mistake is not None:  # after "passed k of n cases"
        lines.insert(1, mistake.message)
    review_note: str | None = None
    if question.complexity is not None and fraction > 0 and opts.secret_checks:
        cost = run_cost_check(question, bank, task.spec, job.files, job.entry, params, runner)
        lines.append(
            ("cost check passed: " if cost.passed else "cost check failed: ") + cost.message
        )
        review_note = cost.note
        if not cost.passed:
            fraction = 0.0
    if question.groups and fraction > 0:  # a forbidden API or a failed cost check: no marks
        # after "passed k of n cases" and the known mistake
        at = 1 + (mistake is not None)
        marks, status, note = _grouped_marks(question, passed, lines, at)
    else:
        marks, status, note = _code_marks(question, fraction)
    if note is not None:
        lines.append(note)
    return QuestionResult(
        question_id=qid,
        marks=marks,
        max_marks=question.marks,
        status=status,
        feedback="\n".join(lines),
        solution="",
        cases=judged.cases,
        known_mistake=mistake.fn if mistake is not None else None,
        answer_hash=answer_hash(answer, {job.entry: job.files[job.entry]}),
        needs_review=review_note is not None,
        author_note=review_note,
    )


# ------------------------------------------------------------------------- dispatch


def grade_question(
    question: Question,
    bank: LoadedBank,
    qid: str,
    answer: Any,
    submission: Submission,
    rq: ResolvedQuestion,
    variant: int,
    runner: Runner | None,
    opts: GradingOptions,
    prefetched: Mapping[str, _Ran] | None = None,
) -> QuestionResult:
    """Grade one question (recursing into parts); failures of the grader become ``error`` results.

    ``prefetched``: code jobs that already ran and their outcomes, by question id (see
    ``grade_submission``).
    """
    started = time.perf_counter()
    try:
        result = _grade(
            question, bank, qid, answer, submission, rq, variant, runner, opts, prefetched or {}
        )
    except Exception as exc:  # noqa: BLE001 - the last-resort result a student understands
        if isinstance(exc, InfrastructureError):  # a known failure, told in its own words
            log.warning("grader failure on %s for %s: %s", qid, submission.student, exc)
        else:  # a bug: the traceback helps whoever fixes it
            log.exception("grader failure on %s for %s", qid, submission.student)
        result = QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=question.marks,
            status="error",
            feedback="the grader could not check this answer because of a problem on our side; "
            "your TA has been told and it will be regraded",
            author_note=f"{type(exc).__name__}: {exc}",
        )
    ran = sum(
        r.seconds for q, r in (prefetched or {}).items() if q == qid or q.startswith(qid + "/")
    )
    update: dict[str, Any] = {"seconds": round(time.perf_counter() - started + ran, 4)}
    if not result.answer_hash:
        update["answer_hash"] = answer_hash(answer, {})
    if opts.release and not result.solution:
        update["solution"] = rq.solution
    return result.model_copy(update=update)


def _part_answers(question: MultipartQuestion, answer: Any) -> dict[str, Any] | None:
    """The answers by part id; None when the answer cannot be split into parts."""
    if answer is not None and not isinstance(answer, dict):
        if len(question.parts) != 1:
            return None
        answer = {question.parts[0].id: answer}
    return {str(k): v for k, v in (answer or {}).items()}


def _grade(
    question: Question,
    bank: LoadedBank,
    qid: str,
    answer: Any,
    submission: Submission,
    rq: ResolvedQuestion,
    variant: int,
    runner: Runner | None,
    opts: GradingOptions,
    prefetched: Mapping[str, _Ran],
) -> QuestionResult:
    if isinstance(question, MultipartQuestion):
        given = _part_answers(question, answer)
        if given is None:
            names = ", ".join(p.id for p in question.parts)
            return QuestionResult(
                question_id=qid,
                marks=0.0,
                max_marks=question.marks,
                status="invalid",
                feedback=f"this question has parts ({names}); answer with a mapping part: answer",
            )
        parts = []
        for part in question.parts:
            parts.append(
                grade_question(
                    part,
                    bank,
                    f"{qid}/{part.id}",
                    given.get(part.id),
                    submission,
                    rq.parts[part.id],
                    variant,
                    runner,
                    opts,
                    prefetched,
                )
            )
        unknown = sorted(set(given) - {p.id for p in question.parts})
        total = round(sum(p.marks for p in parts), 6)
        statuses = {p.status for p in parts}
        status: QuestionStatus
        if (
            "error" in statuses
        ):  # the grader failed on a part: the TA hears of it, graded again next run
            status = "error"
        elif statuses == {"correct"}:
            status = "correct"
        elif "needs_review" in statuses:
            status = "needs_review"
        elif total == 0:
            status = "incorrect" if statuses - {"missing"} else "missing"
        else:
            status = "partially_correct"
        feedback = "\n".join(
            f"[{p.question_id.split('/')[-1]}] {p.feedback}" for p in parts if p.feedback
        )
        if unknown:
            feedback += f"\nunknown part(s) {', '.join(unknown)} ignored"
        return QuestionResult(
            question_id=qid,
            marks=total,
            max_marks=question.marks,
            status=status,
            feedback=feedback,
            parts=tuple(parts),
            needs_review=any(p.needs_review for p in parts),
        )
    if answer is None:
        return QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=question.marks,
            status="missing",
            feedback="no answer given",
        )
    if isinstance(question, CodeQuestion):
        if runner is None:
            raise RuntimeError("a code question needs a runner")
        return grade_code(
            question,
            bank,
            qid,
            answer,
            submission,
            rq.params,
            variant,
            runner,
            opts,
            prefetched.get(qid),
        )
    result, default_policy = _check_simple(question, rq, answer, opts)
    graded = _from_check(question, rq, qid, result, opts, default_policy)
    if isinstance(question, (NumericQuestion, ExpressionQuestion)) and graded.status in (
        "incorrect",
        "partially_correct",
    ):
        return _with_distractor(question, answer, graded)
    return graded


def _with_distractor(
    question: NumericQuestion | ExpressionQuestion, answer: Any, graded: QuestionResult
) -> QuestionResult:
    """``graded`` with the message of the distractor the answer equals, if any."""
    found = (
        matching_distractor(question, answer)
        if isinstance(question, NumericQuestion)
        else matching_formula(question, answer)
    )
    if found is None:
        return graded
    number = next(i for i, d in enumerate(question.distractors) if d is found) + 1
    return graded.model_copy(
        update={
            "feedback": "\n".join(x for x in (graded.feedback, found.message) if x),
            "known_mistake": f"distractor {number}",
        }
    )


def grade_exam_question(
    exam: LoadedExam,
    qid: str,
    submission: Submission,
    runner: Runner | None,
    variant: int = PAPER_VARIANT,
    opts: GradingOptions = GradingOptions(),
    resolved: ResolvedQuestion | None = None,
    prefetched: Mapping[str, _Ran] | None = None,
) -> QuestionResult:
    """Grade question ``qid`` of ``exam`` for one submission, stamped with the hash of the
    question as graded (what tells a later run whether it must grade it again).

    ``resolved``: the question's key for ``variant`` when the caller has it already;
    ``prefetched``: see ``grade_question``.
    """
    question = exam.questions[qid]
    result = grade_question(
        question,
        exam.question_bank[qid],
        qid,
        submission.answers.get(qid),
        submission,
        resolved if resolved is not None else resolve_in(exam, qid, variant),
        variant,
        runner,
        opts,
        prefetched,
    )
    return result.model_copy(update={"question_hash": exam.hash_of(qid)})


def grade_submission(
    exam: LoadedExam,
    submission: Submission,
    runner: Runner | None,
    *,
    variant: int = PAPER_VARIANT,
    opts: GradingOptions = GradingOptions(),
    only: set[str] | None = None,
) -> SubmissionResult:
    """Grade every question of ``exam`` (or those in ``only``) for one submission.

    Every code answer of the submission runs in ONE batch on the runner (one fresh process
    tree from the clean zygote, one runner for its questions; see ``Runner.run_batch``), then
    each question is checked; a job that cannot be prepared runs on its own later.
    """
    wanted = [qid for qid in exam.ordered_ids() if only is None or qid in only]
    resolved = {qid: resolve_in(exam, qid, variant) for qid in wanted}
    prefetched = _run_code_batch(exam, submission, resolved, variant, runner, opts)
    results = [
        grade_exam_question(exam, qid, submission, runner, variant, opts, resolved[qid], prefetched)
        for qid in wanted
    ]
    return SubmissionResult(
        student=submission.student,
        exam=exam.exam.exam,
        variant=variant,
        problems=submission.problems,
        questions=tuple(results),
    )


def _code_tasks(
    question: Question,
    bank: LoadedBank,
    qid: str,
    answer: Any,
    submission: Submission,
    rq: ResolvedQuestion,
    variant: int,
    opts: GradingOptions,
) -> dict[str, _CodeTask]:
    """The code jobs of one question (its parts included), by question id."""
    if isinstance(question, MultipartQuestion):
        given = _part_answers(question, answer) or {}
        tasks: dict[str, _CodeTask] = {}
        for part in question.parts:
            tasks.update(
                _code_tasks(
                    part,
                    bank,
                    f"{qid}/{part.id}",
                    given.get(part.id),
                    submission,
                    rq.parts[part.id],
                    variant,
                    opts,
                )
            )
        return tasks
    if not isinstance(question, CodeQuestion) or answer is None:
        return {}
    task = _prepare_code(question, bank, qid, answer, submission, rq.params, variant, opts)
    return {qid: task} if isinstance(task, _CodeTask) else {}


def warm_keys(exam: LoadedExam, qid: str, variant: int, opts: GradingOptions) -> None:
    """Compute now (memoized per process) what grading ``qid`` in ``variant`` needs from the
    references: its key, and for code questions (parts included) the cases with the
    reference's output on each. ``grade_class`` calls this while the sandboxes start, so
    the first students do not wait for it; a failure is left for the grading to report."""
    rq = resolve_in(exam, qid, variant)
    _warm_code(exam.questions[qid], exam.question_bank[qid], rq, variant, opts)


def _warm_code(
    question: Question, bank: LoadedBank, rq: ResolvedQuestion, variant: int, opts: GradingOptions
) -> None:
    if isinstance(question, MultipartQuestion):
        for part in question.parts:
            _warm_code(part, bank, rq.parts[part.id], variant, opts)
    elif isinstance(question, CodeQuestion):
        built_cases(question, bank, rq.params, variant, opts.hidden)


def _run_code_batch(
    exam: LoadedExam,
    submission: Submission,
    resolved: Mapping[str, ResolvedQuestion],
    variant: int,
    runner: Runner | None,
    opts: GradingOptions,
) -> dict[str, _Ran]:
    """Run every code job of one submission in one batch; {} when there is no runner or none
    is needed. Whatever goes wrong here is left for the per-question grading to report."""
    run_batch = getattr(runner, "run_batch", None)
    if run_batch is None:
        return {}
    tasks: dict[str, _CodeTask] = {}
    for qid, rq in resolved.items():
        try:
            tasks.update(
                _code_tasks(
                    exam.questions[qid],
                    exam.question_bank[qid],
                    qid,
                    submission.answers.get(qid),
                    submission,
                    rq,
                    variant,
                    opts,
                )
            )
        except Exception:  # noqa: BLE001 - grade_question reports it for this question
            log.debug(
                "could not prepare the code job of %s for %s",
                qid,
                submission.student,
                exc_info=True,
            )
    if not tasks:
        return {}
    try:
        started = time.perf_counter()
        outcomes = run_batch([t.job for t in tasks.values()])
        per_case = (time.perf_counter() - started) / max(
            1, sum(len(t.job.cases) for t in tasks.values())
        )
    except Exception:  # noqa: BLE001 - each question then runs (and reports) on its own
        log.warning(
            "batch run failed for %s; running its questions one by one",
            submission.student,
            exc_info=True,
        )
        return {}
    return {
        qid: _Ran(task, out, per_case * len(task.job.cases))
        for (qid, task), out in zip(tasks.items(), outcomes, strict=True)
        if len(out) == len(task.job.cases)
    }
