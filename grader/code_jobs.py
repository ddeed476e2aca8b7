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
  "passed k of n cases", then the failing cases, at most about six lines: the first failing
  visible case in full (input, expected, got, the student's line where their code raised),
  hidden cases that failed the same way as one line ("cases 2-14: raised TypeError"), and the
  limits when a case hit one. A hidden case reads "case N" unless its name may be shown
  (``names_shown``); ``CaseResult.name`` keeps the author's name for TAs.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
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


MAX_FAILURE_LINES = 4
"""Failure lines per question after "passed k of n": with the summary, a known mistake and
the "more" line, a question says at most about 6 lines."""


def _label(index: int, case: CaseInput, name_shown: bool = False) -> str:
    """What the student reads for a case: its author's name when visible (or a hidden case
    whose name may be shown), else "case N"."""
    return case.name if (case.visible or name_shown) and case.name else f"case {index + 1}"


def _author_name(index: int, case: CaseInput) -> str:
    """The case's name as the author wrote it (what TAs read), "case N" when it has none."""
    return case.name or f"case {index + 1}"


def _without_case_number(text: str, index: int) -> str:
    """``text`` without its mention of case ``index`` ("exceeded 5 s ... on case 3"), so
    that the same failure on several cases reads the same."""
    n = index + 1
    return re.sub(rf"^case {n} (?=was not run)|(?: on| during| by) case {n}\b", "", text)


def _ranges(numbers: Sequence[int]) -> str:
    """1-based case numbers as runs: "2-4, 7"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


class _Failing(NamedTuple):
    position: int
    case: CaseInput
    outcome: CaseOutcome
    text: str
    """The failure as worded for this case (the sandbox's or the comparison's message)."""
    name_shown: bool


def _failure(f: _Failing) -> str:
    """A failing case's own line. A hidden case that was never called already says which
    case it is ("case 7 was not run: ...")."""
    if not f.case.visible and not f.outcome.ran and not f.name_shown:
        return f.text
    return f"{_label(f.position, f.case, f.name_shown)}: {f.text}"


def _group_line(group: list[_Failing]) -> str:
    """One line for hidden cases that failed the same way: "cases 2-14: raised TypeError"."""
    if len(group) == 1:
        return _failure(group[0])
    text = _without_case_number(group[0].text, group[0].position)
    label = "cases " + _ranges([f.position + 1 for f in group])
    if text.startswith("was not run"):
        return f"{label} were not run{text[len('was not run') :]}"
    return f"{label}: {text}"


def _number(x: Any, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits (17 or more: every digit it has)."""
    if not isinstance(x, float):
        return str(x)
    return repr(x) if digits >= 17 else f"{x:.{digits}g}"


def _nested(values: Any, digits: int) -> str:
    """Nested lists of numbers, each to ``digits`` significant digits."""
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v, digits) for v in values) + "]"
    return _number(values, digits)


def preview(value: Any, limit: int = 120, digits: int = 4) -> str:
    """A short rendering of a visible case's value for feedback: small arrays in full (to
    ``digits`` significant digits), larger ones by shape, dtype and first values."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        kind = "tensor" if isinstance(value, torch.Tensor) else "array"
        dtype = str(value.dtype).replace("torch.", "")
        shape = tuple(value.shape)
        size = value.numel() if isinstance(value, torch.Tensor) else value.size
        flat = (
            value.flatten().tolist() if isinstance(value, torch.Tensor) else value.ravel().tolist()
        )
        if size == 0:
            text = f"empty {kind} of shape {shape}"
        elif size <= 8:
            text = f"{kind}({_nested(value.tolist(), digits)}, {dtype})"
        else:
            head = ", ".join(_number(x, digits) for x in flat[:4])
            text = f"{kind} of shape {shape}, {dtype} ([{head}, ...])"
    elif isinstance(value, (list, tuple)):
        text = "(" + ", ".join(preview(v, limit, digits) for v in value) + ")"
    elif value is None or isinstance(value, (bool, int, float, str)):
        text = _number(value, digits) if isinstance(value, float) else repr(value)
    else:
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _source_line(files: Mapping[str, bytes], file: str | None, line: int | None) -> str | None:
    """The student's own line ``line`` of ``file``, stripped, or None."""
    if not file or not line or file not in files:
        return None
    lines = files[file].decode("utf-8", errors="replace").splitlines()
    return lines[line - 1].strip()[:160] if 0 < line <= len(lines) else None


def _in_full(f: _Failing, expected: Any, files: Mapping[str, bytes]) -> str:
    """The first failing visible case, in full: its line, its input, what was expected and
    what came back, and the student's line where their code failed."""
    parts = [_failure(f), f"  input: {preview(list(f.case.args), 300)}"]
    if f.outcome.status == "ok":
        shown, got = preview(expected), preview(f.outcome.value)
        if shown == got:  # they differ beyond 4 digits: show them all
            shown, got = preview(expected, digits=17), preview(f.outcome.value, digits=17)
        parts += [f"  expected: {shown}", f"  got: {got}"]
    source = _source_line(files, f.outcome.error_file, f.outcome.error_line)
    if source is not None:
        parts.append(f"  line {f.outcome.error_line} of {f.outcome.error_file}: {source}")
    return "\n".join(parts)


_LIMIT_STATUSES = frozenset({"timeout", "cpu_limit", "memory_limit"})


def _limits_line(failing: Sequence[_Failing], limits: Limits) -> str | None:
    """When a case hit a limit: the limits, and the time a visible case used against them
    (a hidden case's time is never shown: the student's code could make it carry data)."""
    hit = [f for f in failing if f.outcome.status in _LIMIT_STATUSES and f.outcome.ran]
    if not hit:
        return None
    line = (
        f"limits per case: {limits.cpu_seconds:g} s CPU, {limits.wall_seconds:g} s "
        f"wall-clock, {limits.memory_mb} MB memory"
    )
    seen = next((f for f in hit if f.case.visible and f.outcome.seconds > 0), None)
    if seen is not None:
        line += f"; {seen.case.name or 'a visible case'} ran {seen.outcome.seconds:.2f} s"
    return line


def _failure_lines(
    failing: list[_Failing],
    expected: Sequence[Any],
    limits: Limits,
    files: Mapping[str, bytes],
) -> list[str]:
    """The failing cases, at most ``MAX_FAILURE_LINES`` and a "more" line: the first failing
    visible case in full, each other visible case on its line, hidden cases that failed the
    same way on one line ("cases 6-16 were not run: <reason>"), then the limits when one
    was hit."""
    entries: list[tuple[str, list[_Failing]]] = []
    groups: dict[str, list[_Failing]] = {}
    in_full = next((f for f in failing if f.case.visible and f.outcome.ran), None)
    for f in failing:
        if f is in_full:
            entries.append((_in_full(f, expected[f.position], files), [f]))
        elif f.case.visible or f.name_shown:
            entries.append((_failure(f), [f]))
        else:
            key = f"{f.outcome.ran}|{_without_case_number(f.text, f.position)}"
            if key not in groups:
                groups[key] = []
                entries.append((key, groups[key]))
            groups[key].append(f)
    lines = [_group_line(group) if text in groups else text for text, group in entries]
    if len(lines) > MAX_FAILURE_LINES + 1:
        rest = sum(len(group) for _, group in entries[MAX_FAILURE_LINES:])
        lines = [*lines[:MAX_FAILURE_LINES], f"... and {rest} more failing case(s)"]
    limit = _limits_line(failing, limits)
    return [*lines, limit] if limit else lines


def judge(
    spec: CodeSpec,
    cases: Sequence[CaseInput],
    expected: Sequence[Any],
    outcomes: Sequence[CaseOutcome],
    *,
    counted: str = "cases",
    names_shown: Sequence[bool] = (),
    files: Mapping[str, bytes] | None = None,
) -> Judged:
    """Judge a job's ``outcomes`` against the ``expected`` value of each of its ``cases``.

    ``counted`` names what the summary counts ("passed 3 of 4 cases"). ``names_shown``:
    per case, whether the student may read a hidden case's name (the exam releases
    solutions, or the case sets ``show_name``); the results keep every author's name for
    TAs. ``files``: the student's sources, to quote the line where their code failed on a
    visible case. Raises
    ``InfrastructureError`` when the sandbox itself failed on a case: the grader's failure,
    never counted against the student.
    """
    broken = [o for o in outcomes if o.status == "sandbox_error"]
    if broken:
        raise InfrastructureError(
            f"the sandbox failed on {len(broken)} case(s): {broken[0].message}"
        )
    results: list[CaseResult] = []
    failing: list[_Failing] = []
    for i, (case, exp, out) in enumerate(zip(cases, expected, outcomes, strict=True)):
        if out.status == "ok":
            verdict = spec.rule.verdict(exp, out, spec.device, visible=case.visible)
            passed, text = verdict.passed, verdict.message
        else:
            passed, text = False, out.message
        shown = i < len(names_shown) and names_shown[i]
        failure = _Failing(i, case, out, text, shown)
        message = "" if passed else _failure(failure)
        if not passed:
            failing.append(failure)
        results.append(
            CaseResult(
                name=_author_name(i, case),
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
        *_failure_lines(failing, expected, spec.limits, files or {}),
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
