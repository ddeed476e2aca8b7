"""A code answer as a sandbox job: preparing it, judging what came back, and saying so.

Grading (``grading.grade_code``: the bank's visible and hidden cases) and the student's
self-check (``kit.check_kit``: the visible cases shipped in ``kit.json``) both go through
here, so a self-check says what grading will say about the same case:

* ``CodeSpec``: what a code question asks of the sandbox: the student's file and function,
  the device, forbidden APIs, support modules, the job's ``Limits`` (``job_limits``, the one
  rule for both) and how a case's value is judged (``CaseRule``).
* ``entry_file``: which of the student's files holds the function, or why nothing can run.
* ``CodeSpec.job``: the ``CodeJob``; a student's copy of a support module (kits ship them)
  is replaced by the question's own.
* ``judge``: each case's outcome compared with its expected value (rule, tolerances, a
  custom compare, the determinism repeat) as ``CaseResult``s, with the student's lines:
  "passed k of n cases", then each failing case, labelled "case N" when hidden and by the
  author's name when visible; a run of hidden cases that were never called is said once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch

from grader.cases import BuiltCase, build_cases, device_for, expected_outputs
from grader.errors import InfrastructureError
from grader.loading import LoadedBank, resolve_ref
from grader.results import CaseResult, CheckStatus, QuestionResult, QuestionStatus
from grader.sandbox import (
    CaseInput,
    CaseOutcome,
    CodeJob,
    Comparison,
    Device,
    Limits,
    Tolerance,
    check_determinism,
    compare,
    not_run_reason,
)
from grader.sandbox._compare import Checker, Rule
from grader.schema import CodeQuestion
from grader.schema.questions import LimitsSpec, Tolerances
from grader.submissions import Submission

__all__ = [
    "CaseRule",
    "CodeSpec",
    "Judged",
    "NotRunnable",
    "built_cases",
    "entry_file",
    "job_limits",
    "judge",
    "memoized",
    "status_of",
    "tolerances_of",
]


def job_limits(limits: LimitsSpec) -> Limits:
    """The sandbox's limits for a question's ``limits``, in grading and in a self-check.

    Each case may use the question's CPU seconds, and three times that in wall-clock time
    (at least 5 s: a loaded machine stretches wall time, not CPU time); the whole job may
    use the question's wall seconds; the memory is the question's.
    """
    return Limits(
        cpu_seconds=limits.cpu_seconds,
        wall_seconds=max(limits.cpu_seconds * 3, 5.0),
        job_wall_seconds=limits.wall_seconds,
        memory_mb=limits.memory_mb,
    )


def tolerances_of(spec: Mapping[str, Tolerances]) -> dict[str, Tolerance]:
    """A question's per-dtype tolerance overrides as the comparison takes them."""
    return {dtype: Tolerance(rtol=t.rtol, atol=t.atol) for dtype, t in spec.items()}


@dataclass(frozen=True)
class CaseRule:
    """How a case's returned value is judged against the expected one."""

    rule: Rule | Checker
    """``exact``, ``allclose``, ``tokens``, ``set``, or an author's compare function."""
    tolerances: Mapping[str, Tolerance]
    """Per-dtype overrides of the default tolerances."""
    determinism: bool = False
    """Whether the job runs each case twice and the two values must agree."""

    @classmethod
    def of(cls, question: CodeQuestion, folders: Sequence[Path] = ()) -> CaseRule:
        """The rule of ``question`` (its custom compare function imported, looked up in the
        course's reference ``folders`` first)."""
        custom = question.compare.custom
        rule = resolve_ref(custom, folders) if custom else question.compare.rule
        return cls(
            rule=rule,  # type: ignore[arg-type]
            tolerances=tolerances_of(question.compare.tolerances),
            determinism=question.determinism,
        )

    def matches(
        self, expected: Any, actual: Any, device: str | None = None, *, show_values: bool = False
    ) -> Comparison:
        """Whether ``actual`` is accepted as ``expected`` (see ``sandbox.compare``)."""
        return compare(
            expected, actual, self.rule, self.tolerances, device, show_values=show_values
        )

    def verdict(
        self, expected: Any, outcome: CaseOutcome, device: str, *, visible: bool
    ) -> Comparison:
        """The verdict on an ``ok`` outcome: its value matches, and, when the question asks
        for determinism, its second run matches the first (``sandbox.check_determinism``)."""
        first = self.matches(expected, outcome.value, device, show_values=visible)
        if first.passed and self.determinism and outcome.repeat_value is not None:
            return check_determinism(outcome, self.rule, self.tolerances, device)
        return first


@dataclass(frozen=True)
class CodeSpec:
    """What a code question asks of the sandbox, whoever runs it."""

    file: str
    """The file the student is asked to write (the answer may name another)."""
    function: str
    """The function to call."""
    device: Device
    """Where the cases run (``auto`` already resolved for this machine)."""
    forbid: tuple[str, ...]
    """APIs the code may not use, in the question's order."""
    support: Mapping[str, bytes]
    """The question's support modules by file name (not secret)."""
    limits: Limits
    """The job's limits (``job_limits``)."""
    rule: CaseRule
    """How a case's value is judged."""

    @classmethod
    def of(cls, question: CodeQuestion, bank: LoadedBank) -> CodeSpec:
        """The spec of a question of ``bank``."""
        return cls(
            file=question.file,
            function=question.function,
            device=device_for(question),
            forbid=tuple(question.forbid),
            support=bank.support_sources(question),
            limits=job_limits(question.limits),
            rule=CaseRule.of(question, bank.reference_folders),
        )

    def job(
        self,
        files: Mapping[str, bytes],
        entry: str,
        cases: Sequence[CaseInput],
        *,
        flops: bool = False,
        measure_cpu: bool = False,
    ) -> CodeJob:
        """The job running ``entry``'s function on ``cases``; a student's copy of a support
        module is left out (the question's own is used). A cost probe (``flops`` or
        ``measure_cpu``) runs each case once; otherwise each case runs twice when the
        question asks for determinism."""
        probe = flops or measure_cpu
        return CodeJob(
            files={k: v for k, v in files.items() if k not in self.support},
            entry=entry,
            function=self.function,
            cases=list(cases),
            support_files=self.support,
            limits=self.limits,
            device=self.device,
            forbid=frozenset(self.forbid),
            flops=flops,
            measure_cpu=measure_cpu,
            repeat_for_determinism=self.rule.determinism and not probe,
        )


@dataclass(frozen=True)
class NotRunnable:
    """Why a code answer cannot run: its status and the student's explanation."""

    status: QuestionStatus
    feedback: str

    def result(self, question_id: str, max_marks: float) -> QuestionResult:
        """The question's result: no marks, this status and explanation."""
        return QuestionResult(
            question_id=question_id,
            marks=0.0,
            max_marks=max_marks,
            status=self.status,
            feedback=self.feedback,
        )


def _student_file(
    spec: CodeSpec, answer: Any, submission: Submission
) -> tuple[str | None, str | None]:
    """(file name, problem) for the code answer ``answer``."""
    name = spec.file
    if isinstance(answer, str) and answer.strip():
        name = answer.strip()
        if "/" in name or "\\" in name or name.startswith("."):
            return None, (
                f"{name!r} must be the name of a .py file in your submission folder, "
                "without folders"
            )
    elif answer is not None:
        return None, (
            "the answer to a code question is the name of your .py file "
            f"(for example {spec.file!r})"
        )
    if name in submission.file_problems:
        return None, submission.file_problems[name]
    if name not in submission.files:
        return None, f"{name!r} is not in your submission; write your function in {spec.file!r}"
    return name, None


def entry_file(spec: CodeSpec, answer: Any, submission: Submission) -> str | NotRunnable:
    """The student's file holding the function (``answer`` names it; by default the
    question's file), or why the answer cannot run here."""
    entry, problem = _student_file(spec, answer, submission)
    if entry is None:
        blank = answer is None and spec.file not in submission.file_problems
        return NotRunnable("missing" if blank else "invalid", problem or "")
    if spec.device == "cuda" and not torch.cuda.is_available():
        return NotRunnable(
            "unchecked",
            "this question needs a CUDA GPU and this runner has none; "
            "it will be graded on a GPU runner",
        )
    if entry in spec.support:
        return NotRunnable(
            "invalid",
            f"{entry!r} is a module the question provides; put your function in {spec.file!r}",
        )
    return entry


_memo: dict[tuple[Any, ...], Any] = {}
_memo_lock = threading.Lock()


def memoized(key: tuple[Any, ...], pin: object, compute: Callable[[], Any]) -> Any:
    """Per-process cache of reference computations shared by every student of a variant.

    Keys use the question's ``id``; the question itself (``pin``) is stored with the
    value so that id cannot be reused while the entry lives. Cached values stay in the
    grader: only sandbox inputs built from them are sent to student code.
    """
    with _memo_lock:
        hit = _memo.get(key)
        if hit is not None and hit[0] is pin:
            return hit[1]
    value = compute()
    with _memo_lock:
        if len(_memo) > 512:
            _memo.clear()
        _memo[key] = (pin, value)
    return value


def built_cases(
    question: CodeQuestion,
    bank: LoadedBank,
    params: Mapping[str, Any],
    variant: int,
    hidden: bool,
) -> tuple[list[BuiltCase], list[Any]]:
    """The question's cases in ``variant`` (hidden ones too when ``hidden``) and the
    reference's output on each, computed once per process (``memoized``)."""

    def compute() -> tuple[list[BuiltCase], list[Any]]:
        cases = build_cases(question, bank, params, variant, include_hidden=hidden)
        return cases, expected_outputs(question, cases, folders=bank.reference_folders)

    key = ("cases", id(question), json.dumps(params, sort_keys=True, default=str), variant, hidden)
    result: tuple[list[BuiltCase], list[Any]] = memoized(key, question, compute)
    return result


class Judged(NamedTuple):
    """The verdicts on one job's cases, and what the student reads about them."""

    cases: tuple[CaseResult, ...]
    """Each case's result, in order."""
    lines: tuple[str, ...]
    """Feedback: the forbidden-API line when one was used, "passed k of n ...", then the
    failing cases."""
    forbidden: bool
    """Whether the code used an API the question forbids (no marks at all)."""

    @property
    def fraction(self) -> float:
        """The share of cases that passed (0 for no case)."""
        return sum(c.passed for c in self.cases) / len(self.cases) if self.cases else 0.0


def status_of(fraction: float) -> CheckStatus:
    """The status of an answer whose cases earned ``fraction``: all, none or some."""
    if fraction == 1.0:
        return "correct"
    return "incorrect" if fraction == 0.0 else "partially_correct"


def _label(index: int, case: CaseInput) -> str:
    return case.name if case.visible else f"case {index + 1}"


def _failure(index: int, case: CaseInput, outcome: CaseOutcome, text: str) -> str:
    """A failing case's line. A hidden case that was never called already says which case
    it is ("case 7 was not run: ...")."""
    if not case.visible and not outcome.ran:
        return text
    return f"{_label(index, case)}: {text}"


def _not_run_together(a: tuple[CaseInput, CaseOutcome], b: tuple[CaseInput, CaseOutcome]) -> bool:
    """Whether failing case ``b`` continues ``a``'s run of hidden cases not run for the same
    reason."""
    (case_a, out_a), (case_b, out_b) = a, b
    return (
        not case_a.visible
        and not case_b.visible
        and not out_a.ran
        and not out_b.ran
        and out_a.phase == out_b.phase
        and out_b.index == out_a.index + 1
    )


def _failure_lines(failing: list[tuple[CaseInput, CaseOutcome, str]], limits: Limits) -> list[str]:
    """One line per failing case, except that a run of hidden cases not run for the same
    reason (``CaseOutcome.phase``) is one line: "cases 6-16 were not run: <reason>"."""
    lines: list[str] = []
    start = 0
    while start < len(failing):
        end = start + 1
        while end < len(failing) and _not_run_together(failing[end - 1][:2], failing[end][:2]):
            end += 1
        first, last = failing[start][1], failing[end - 1][1]
        if end - start == 1:
            lines.append(failing[start][2])
        else:
            reason = not_run_reason(first.phase, limits)
            lines.append(f"cases {first.index + 1}-{last.index + 1} were not run: {reason}")
        start = end
    return lines


def judge(
    spec: CodeSpec,
    cases: Sequence[CaseInput],
    expected: Sequence[Any],
    outcomes: Sequence[CaseOutcome],
    *,
    counted: str = "cases",
) -> Judged:
    """Judge a job's ``outcomes`` against the ``expected`` value of each of its ``cases``.

    ``counted`` names what the summary counts ("passed 3 of 4 cases"). Raises
    ``InfrastructureError`` when the sandbox itself failed on a case: the grader's failure,
    never counted against the student.
    """
    broken = [o for o in outcomes if o.status == "sandbox_error"]
    if broken:
        raise InfrastructureError(
            f"the sandbox failed on {len(broken)} case(s): {broken[0].message}"
        )
    results: list[CaseResult] = []
    failing: list[tuple[CaseInput, CaseOutcome, str]] = []
    for i, (case, exp, out) in enumerate(zip(cases, expected, outcomes, strict=True)):
        if out.status == "ok":
            verdict = spec.rule.verdict(exp, out, spec.device, visible=case.visible)
            passed, text = verdict.passed, verdict.message
        else:
            passed, text = False, out.message
        message = "" if passed else _failure(i, case, out, text)
        if not passed:
            failing.append((case, out, message))
        results.append(
            CaseResult(
                name=_label(i, case),
                visible=case.visible,
                passed=passed,
                status=out.status,
                message=message,
                seconds=out.seconds,
            )
        )
    n_passed = sum(r.passed for r in results)
    lines = [
        f"passed {n_passed} of {len(results)} {counted}",
        *_failure_lines(failing, spec.limits),
    ]
    forbidden = any(o.status == "forbidden" for o in outcomes)
    if forbidden:
        lines.insert(
            0,
            "the code uses an API this question forbids ("
            + ", ".join(spec.forbid)
            + "); no marks for this question",
        )
    return Judged(tuple(results), tuple(lines), forbidden)
