"""A student's self-check inside a kit: `grader check`.

``check_kit`` grades a student's folder against what the kit holds (``kit.json``): code on
the visible cases, through the grader's own code path (``code_jobs``: the same job, limits,
comparison and messages as grading), every other answer for whether it can be read.

The self-check comes in two steps so that a student sees most of it at once: ``SelfCheck``
reads the kit and the answers and checks every answer that is not code (``readable``),
which needs neither torch nor a worker; ``code`` then runs the code answers' visible cases
on the runner. Only ``code`` imports torch (``code_jobs``, the sandbox), and only when an
answer has code to run (``has_code``), so a runner need not start otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import checks
from grader.kit_manifest import (
    KitCode,
    KitExpression,
    KitManifest,
    KitMcq,
    KitMultipart,
    KitNumeric,
    KitOrdering,
    KitPart,
    KitQuestion,
    decode_value,
    read_manifest,
)
from grader.notebooks.slots import kit_slots
from grader.results import QuestionResult, SubmissionResult
from grader.submissions import Submission, read_submission

if TYPE_CHECKING:  # the sandbox imports torch: only when code runs
    from grader.code_jobs import CodeSpec
    from grader.sandbox import Runner

__all__ = ["SELF_CHECK_NOTE", "SelfCheck", "check_kit"]

SELF_CHECK_NOTE = (
    "Self-check: only the visible cases were run and other answers were only checked for "
    "being readable. Hidden cases and answer keys are applied at grading time."
)


def _missing(qid: str, marks: float) -> QuestionResult:
    """A blank answer, in grading's words."""
    return QuestionResult(
        question_id=qid, marks=0.0, max_marks=marks, status="missing", feedback="no answer given"
    )


def _zeros(shape: list[int]) -> Any:
    """A nested list of zeros of ``shape`` (0.0 for a scalar)."""
    if not shape:
        return 0.0
    return [_zeros(shape[1:]) for _ in range(shape[0])]


def _readable(d: KitQuestion | KitPart, answer: Any, qid: str) -> QuestionResult:
    """Whether a non-code answer can be read (checked against a made-up key)."""
    if answer is None:
        return _missing(qid, d.marks)
    r = None
    if isinstance(d, KitMcq):
        r = checks.check_mcq(answer, options=d.options, correct=d.options[:1])
    elif isinstance(d, KitNumeric):
        r = checks.check_numeric(answer, expected=_zeros(d.shape))
    elif isinstance(d, KitExpression):
        names = list(d.variables)
        expected = (f"O({names[0]})" if d.asymptotic else names[0]) if names else "1"
        r = checks.check_expression(
            answer,
            expected=expected,
            variables=d.variables,
            functions=d.functions,
            allow_sum=d.allow_sum,
            mode="asymptotic" if d.asymptotic else "exact",
        )
    elif isinstance(d, KitOrdering):
        r = checks.check_ordering(answer, expected=d.steps)
    if r is not None and r.status in ("invalid", "unchecked"):
        return QuestionResult(
            question_id=qid, marks=0.0, max_marks=d.marks, status=r.status, feedback=r.feedback
        )
    return QuestionResult(
        question_id=qid,
        marks=0.0,
        max_marks=d.marks,
        status="unchecked",
        feedback="your answer can be read; it is marked at grading time",
    )


def _code_spec(d: KitCode, kit: Path) -> CodeSpec:
    """The code question as grading would run it, from what the kit says about it."""
    from grader.code_jobs import CaseRule, CodeSpec, job_limits, tolerances_of
    from grader.sandbox import resolve_device

    return CodeSpec(
        file=d.file,
        function=d.function,
        device=resolve_device(d.device),
        forbid=tuple(d.forbid),
        support={s: (kit / s).read_bytes() for s in d.support},
        limits=job_limits(d.limits),
        rule=CaseRule(d.compare.rule, tolerances_of(d.compare.tolerances), d.determinism),
    )


def _check_code(
    d: KitCode, answer: Any, qid: str, submission: Submission, runner: Runner, kit: Path
) -> QuestionResult:
    """The visible cases run and judged as grading runs and judges them (no marks)."""
    if answer is None:
        return _missing(qid, d.marks)
    from grader.code_jobs import NotRunnable, entry_file, judge, status_of
    from grader.sandbox import CaseInput

    spec = _code_spec(d, kit)
    entry = entry_file(spec, answer, submission)
    if isinstance(entry, NotRunnable):
        return entry.result(qid, d.marks)
    cases = [
        CaseInput(args=tuple(decode_value(c.args)), visible=True, name=c.name) for c in d.cases
    ]
    job = spec.job(submission.files, entry, cases)
    outcomes = runner.run(job)
    expected = [decode_value(c.expected) for c in d.cases]
    judged = judge(spec, cases, expected, outcomes, counted="visible cases", files=job.files)
    return QuestionResult(
        question_id=qid,
        marks=0.0,
        max_marks=d.marks,
        status=status_of(judged.fraction),
        feedback="\n".join(judged.lines),
        cases=judged.cases,
    )


def _has_code(d: KitQuestion | KitPart) -> bool:
    """Whether ``d`` is a code question or has a code part."""
    return isinstance(d, KitCode) or (
        isinstance(d, KitMultipart) and any(isinstance(p, KitCode) for p in d.parts)
    )


def _check_one(
    d: KitQuestion | KitPart,
    answer: Any,
    qid: str,
    submission: Submission,
    runner: Runner | None,
    kit: Path,
) -> QuestionResult:
    """One question's self-check; ``runner`` is None only for a question without code."""
    if isinstance(d, KitMultipart):
        given = answer if isinstance(answer, dict) else {}
        parts = tuple(
            _check_one(p, given.get(p.id), f"{qid}/{p.id}", submission, runner, kit)
            for p in d.parts
        )
        return QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=d.marks,
            status="unchecked",
            feedback="\n".join(f"[{p.question_id.split('/')[-1]}] {p.feedback}" for p in parts),
            parts=parts,
        )
    if isinstance(d, KitCode):
        assert runner is not None, "a code question needs a runner"
        return _check_code(d, answer, qid, submission, runner, kit)
    return _readable(d, answer, qid)


@dataclass(frozen=True)
class SelfCheck:
    """A student's folder read against a kit, checked in two steps: ``readable`` (every
    question without code) then ``code`` (the rest, on a runner)."""

    kit: Path
    """The kit folder (``kit.json`` and the support modules)."""
    manifest: KitManifest
    """What the kit says about each question."""
    submission: Submission
    """The student's answers and files."""

    @classmethod
    def read(cls, kit: Path, folder: Path) -> SelfCheck:
        """Read ``kit/kit.json`` and the answers in ``folder``. Raises ``SubmissionError``
        when ``kit.json`` cannot be read (``read_manifest``)."""
        manifest = read_manifest(kit / "kit.json")
        submission = read_submission(
            folder,
            exam_id=manifest.exam,
            known_questions=[d.id for d in manifest.questions],
            code_slots=kit_slots(manifest),
        )
        return cls(kit, manifest, submission)

    @property
    def has_code(self) -> bool:
        """Whether some code answer was given, so that ``code`` needs to run something."""
        for d in self.manifest.questions:
            answer = self.submission.answers.get(d.id)
            if isinstance(d, KitCode) and answer is not None:
                return True
            if isinstance(d, KitMultipart) and isinstance(answer, dict):
                if any(isinstance(p, KitCode) and answer.get(p.id) is not None for p in d.parts):
                    return True
        return False

    def readable(self) -> list[QuestionResult]:
        """The questions without code, in the kit's order: can each answer be read."""
        return [
            _check_one(d, self.submission.answers.get(d.id), d.id, self.submission, None, self.kit)
            for d in self.manifest.questions
            if not _has_code(d)
        ]

    def code(self, runner: Runner) -> list[QuestionResult]:
        """The questions with code, in the kit's order: their visible cases run on
        ``runner`` (a question whose code answer is missing says so without running)."""
        return [
            _check_one(
                d, self.submission.answers.get(d.id), d.id, self.submission, runner, self.kit
            )
            for d in self.manifest.questions
            if _has_code(d)
        ]

    def result(self, checked: list[QuestionResult]) -> SubmissionResult:
        """The whole self-check, questions in the kit's order (``checked``: what ``readable``
        and ``code`` returned)."""
        by_id = {q.question_id: q for q in checked}
        return SubmissionResult(
            student=self.submission.student,
            exam=self.manifest.exam,
            variant=self.manifest.variant,
            problems=self.submission.problems,
            questions=tuple(by_id[d.id] for d in self.manifest.questions),
        )


def check_kit(kit: Path, folder: Path, runner: Runner) -> SubmissionResult:
    """Self-check the answers in ``folder`` against the kit in ``kit`` (visible cases only).

    Raises ``SubmissionError`` when ``kit.json`` cannot be read (``read_manifest``)."""
    check = SelfCheck.read(kit, folder)
    return check.result(check.readable() + check.code(runner))
