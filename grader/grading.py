"""Grading one submission: each answer checked, code run in the sandbox, marks computed.

``grade_submission`` is the pure-ish core the class pipeline calls per student. It never
raises for anything a student did: an unreadable answer becomes an ``invalid`` result
with a message, a grader failure on one question becomes an ``error`` result for that
question (with a message a student understands), and grading moves on.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from grader import checks
from grader.cases import BuiltCase, build_args, build_cases, device_for, expected_outputs
from grader.errors import InfrastructureError
from grader.keys import ResolvedQuestion, resolve
from grader.loading import LoadedBank, LoadedExam, resolve_ref
from grader.results import CaseResult, CheckResult, QuestionResult, QuestionStatus, SubmissionResult
from grader.sandbox import (
    CaseInput,
    CaseOutcome,
    CodeJob,
    Limits,
    Runner,
    Tolerance,
    compare,
    fit_growth_exponent,
)
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    TextQuestion,
)
from grader.scoring import score
from grader.submissions import Submission
from grader.variants import PAPER_VARIANT

__all__ = ["GradingOptions", "grade_submission", "grade_question", "answer_hash", "format_key"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradingOptions:
    """Switches that apply to a whole grading run."""

    release: bool = False
    """Show keys and worked solutions in feedback (after the deadline)."""
    hidden: bool = True
    """Run hidden cases (False for a student's self-check)."""
    secret_checks: bool = True
    """Run checks that need secret data (complexity on hidden sizes)."""


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


def _policy(question: Question, default: str = "all_or_nothing") -> tuple[str, float, float]:
    s = question.scoring
    policy = s.policy if "scoring" in question.model_fields_set else default
    return policy, s.penalty, s.floor


def _from_check(
    question: Question,
    rq: ResolvedQuestion,
    qid: str,
    result: CheckResult,
    opts: GradingOptions,
    default_policy: str = "all_or_nothing",
) -> QuestionResult:
    policy, penalty, floor = _policy(question, default_policy)
    marks = score(result, marks=question.marks, policy=policy, penalty=penalty, floor=floor)  # type: ignore[arg-type]
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
) -> tuple[CheckResult, str]:
    reveal = opts.release
    if isinstance(question, McqQuestion):
        labels = [o.label for o in rq.options]
        return checks.check_mcq(
            answer, options=labels, correct=rq.key, reveal_key=reveal
        ), "all_or_nothing"
    if isinstance(question, NumericQuestion):
        return (
            checks.check_numeric(
                answer,
                expected=rq.key,
                atol=question.tolerance.abs,
                rtol=question.tolerance.rel,
                reveal_key=reveal,
            ),
            "all_or_nothing",
        )
    if isinstance(question, ExpressionQuestion):
        variables = {
            name: v.model_dump(exclude={"description"}) for name, v in question.variables.items()
        }
        best: CheckResult | None = None
        for key in [question.answer, *question.accepted_forms]:
            r = checks.check_expression(
                answer,
                expected=key,
                variables=variables,
                mode=question.equivalence,
                functions=question.functions,
                allow_sum=question.allow_sum,
                reveal_key=reveal,
            )
            if best is None or r.fraction > best.fraction:
                best = r
            if r.status == "correct":
                break
        assert best is not None
        return best, "all_or_nothing"
    if isinstance(question, OrderingQuestion):
        return checks.check_ordering(
            answer, expected=question.answer, partial=question.partial, reveal_key=reveal
        ), ("partial" if question.partial else "all_or_nothing")
    if isinstance(question, TextQuestion):
        # One line per point in feedback: collapse the YAML block's line breaks.
        rubric = [
            {**p.model_dump(), "description": " ".join(p.description.split()).rstrip(".")}
            for p in question.rubric
        ]
        return checks.check_text(answer, rubric=rubric), "partial"
    raise TypeError(f"not a simple question: {type(question).__name__}")


# ------------------------------------------------------------------------------ code


def _student_file(
    question: CodeQuestion, answer: Any, submission: Submission
) -> tuple[str | None, str | None]:
    """(file name, problem) for the code answer of ``question``."""
    name = question.file
    if isinstance(answer, str) and answer.strip():
        name = answer.strip()
        if "/" in name or "\\" in name or name.startswith("."):
            return (
                None,
                f"{name!r} must be the name of a .py file in your submission folder, without folders",
            )
    elif answer is not None:
        return (
            None,
            f"the answer to a code question is the name of your .py file (for example {question.file!r})",
        )
    if name in submission.file_problems:
        return None, submission.file_problems[name]
    if name not in submission.files:
        return None, f"{name!r} is not in your submission; write your function in {question.file!r}"
    return name, None


def _case_message(index: int, case: BuiltCase, text: str) -> str:
    label = case.name if case.visible else f"case {index + 1}"
    if text.startswith(f"case {index + 1} "):
        return text if not case.visible else f"{label}: {text}"
    return f"{label}: {text}"


def _collapse_not_run(lines: list[str]) -> list[str]:
    """``case 6 was not run: R`` ... ``case 16 was not run: R`` -> one line for the run."""
    out: list[str] = []
    run: list[int] = []
    reason = ""

    def flush() -> None:
        if run:
            label = f"case {run[0]}" if len(run) == 1 else f"cases {run[0]}-{run[-1]}"
            out.append(f"{label} {'was' if len(run) == 1 else 'were'} not run: {reason}")
            run.clear()

    for line in lines:
        head, sep, rest = line.partition(" was not run: ")
        if sep and head.startswith("case ") and head[5:].isdigit() and (not run or rest == reason):
            run.append(int(head[5:]))
            reason = rest
            continue
        flush()
        if sep and head.startswith("case ") and head[5:].isdigit():
            run.append(int(head[5:]))
            reason = rest
            continue
        out.append(line)
    flush()
    return out


def _flops_of(fn: Any, args: tuple[Any, ...]) -> int:
    """FLOPs of a reference call, counted as the sandbox counts the student's."""
    from grader.sandbox._flops import CountFlops

    with CountFlops() as counter:
        fn(*args)
    return int(counter.total)


_memo: dict[tuple[Any, ...], Any] = {}
_memo_lock = threading.Lock()


def _memoized(key: tuple[Any, ...], pin: object, compute: Callable[[], Any]) -> Any:
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


def _growth_exponent(sizes: list[int], flops: list[int]) -> float:
    """The exponent of ``flops ~ size ** e`` (counts below 1 taken as 1)."""
    return fit_growth_exponent(sizes, [max(float(f), 1.0) for f in flops])


MIN_COUNTED_FRACTION = 0.1
"""A student's counted work below this fraction of the reference's, at any size, fails the
cost check: the count was hidden from the counter (numpy, disabled dispatch, a tampered
counter) and cannot be trusted, and zero is not "no growth"."""
TIMING_REPEATS = 2
"""Runs of the student's code per timing size, the fastest counted (noise only ever adds
time). Measured by the supervisor, its growth exponent varies by about 0.04 between runs
(``benchmarks/bench_cost_check.py``)."""
REFERENCE_TIMING_REPEATS = 5
"""Runs of the reference per timing size in the grader, whose threads share the machine
with grading: noisier, so more runs."""


MAX_FLOPS_PER_CPU_SECOND = 100e9
"""More counted FLOPs per CPU second (measured by the supervisor) than one core can do: the
count was inflated."""


def _cost_verdict(spec: Any, ref_flops: list[int], outcomes: list[CaseOutcome]) -> tuple[bool, str]:
    """The verdict of the FLOP half of the cost check. The student's counts are made inside
    their process, so they are a claim: a count far below the reference's, or more than the
    CPU time the supervisor measured could have done, fails outright; a plausible but forged
    count is left to the timing half (``_timing_note``)."""
    student_flops = [int(o.flops or 0) for o in outcomes]
    # (messages quote no number the student's code chose beyond a one-decimal exponent: the
    # cost cases' inputs are hidden too)
    for size, got, ref in zip(spec.sizes, student_flops, ref_flops, strict=True):
        if got < MIN_COUNTED_FRACTION * ref:
            return False, (
                f"at {spec.dim}={size} the counted work is under {MIN_COUNTED_FRACTION:.0%} of what "
                f"the task needs ({ref} FLOPs); the cost check counts torch operations, so do "
                "the work with torch (not numpy) and do not hide it from the counter"
            )
    for size, got, o in zip(spec.sizes, student_flops, outcomes, strict=True):
        if (
            o.cpu_seconds is not None
            and o.device in (None, "cpu")
            and (got > MAX_FLOPS_PER_CPU_SECOND * max(o.cpu_seconds, 0.001))
        ):
            return False, (
                f"at {spec.dim}={size} the counted work is more than the CPU time measured "
                "could have done: the count was tampered with"
            )
    ref_exp = _growth_exponent(spec.sizes, ref_flops)
    got_exp = min(max(_growth_exponent(spec.sizes, student_flops), -9.9), 9.9)
    if got_exp > ref_exp + spec.slack:
        return False, (
            f"work grows like {spec.dim}^{got_exp:.1f} as {spec.dim} grows; "
            f"the expected growth is about {spec.dim}^{ref_exp:.1f}"
        )
    return (
        True,
        f"work grows like {spec.dim}^{got_exp:.1f} (expected about {spec.dim}^{ref_exp:.1f})",
    )


def _fastest(sizes: list[int], seconds: list[float]) -> list[float]:
    """Per size, the fastest of its runs (``seconds`` holds the runs size after size, round
    after round)."""
    return [max(min(seconds[k :: len(sizes)]), 1e-6) for k in range(len(sizes))]


def _timing_note(
    spec: Any, ref_flops: list[int], ref_seconds: list[float], outcomes: list[CaseOutcome]
) -> str | None:
    """The timing half: CPU time of the student's code measured by the sandbox's supervisor
    (outside the student's processes, children included) at ``spec.timing_sizes``. When it
    grows faster than the reference's (timed in the grader) by more than
    ``spec.timing_slack``, the counted FLOPs may be forged: a note for the TA, who reviews
    the answer. Not a verdict on its own: CPU time at sizes a class can afford is noisy."""
    sizes = list(spec.timing_sizes)
    got = _fastest(sizes, [float(o.cpu_seconds or 0.0) for o in outcomes])
    ref_exp = fit_growth_exponent(sizes, ref_seconds)
    got_exp = fit_growth_exponent(sizes, got)
    if got_exp <= ref_exp + spec.timing_slack:
        return None
    return (
        f"cost check: the CPU time measured outside the student's process grows like "
        f"{spec.dim}^{got_exp:.2f} from {spec.dim}={sizes[0]} to {sizes[-1]} (the reference's: "
        f"{spec.dim}^{ref_exp:.2f}) while the FLOPs counted inside it grow like "
        f"{spec.dim}^{_growth_exponent(spec.sizes, ref_flops):.2f} or less; the count may have been "
        "tampered with: please read the code"
    )


def _reference_seconds(ref: Any, args: list[tuple[Any, ...]]) -> list[float]:
    """The reference's CPU time on each size's arguments: the fastest of
    ``REFERENCE_TIMING_REPEATS`` rounds over the sizes in turn (drift hits every size alike),
    after a warm-up, on one thread like student code, with the garbage collector off (thread
    CPU time: other grading threads do not count)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for a in args:
            ref(*a)
        best = [math.inf] * len(args)
        for _ in range(REFERENCE_TIMING_REPEATS):
            for k, a in enumerate(args):
                t0 = time.thread_time()
                ref(*a)
                best[k] = min(best[k], time.thread_time() - t0)
        return [max(b, 1e-6) for b in best]
    finally:
        if collecting:
            gc.enable()
        torch.set_num_threads(threads)


def _complexity(
    question: CodeQuestion,
    bank: LoadedBank,
    files: Mapping[str, bytes],
    entry: str,
    params: Mapping[str, Any],
    runner: Runner,
    support: Mapping[str, bytes],
) -> tuple[bool, str, str | None]:
    """The cost check: (passed, message for the student, note for the TA or None)."""
    spec = question.complexity
    assert spec is not None
    device = device_for(question)
    ref = resolve_ref(question.reference)

    def sized_args(sizes: list[int], seed: int) -> tuple[list[tuple[Any, ...]], list[CaseInput]]:
        ref_args, inputs = [], []
        for i, size in enumerate(sizes):
            dims = {**spec.dims, spec.dim: size}
            r, box = build_args(question, bank, spec.args, dims, seed + i, params, device)
            ref_args.append(r)
            inputs.append(CaseInput(args=box, visible=False, name=f"{spec.dim}={size}"))
        return ref_args, inputs

    def reference_side() -> tuple[list[int], list[CaseInput], list[float], list[CaseInput]]:
        ref_args, inputs = sized_args(list(spec.sizes), 1000)
        flops = [_flops_of(ref, a) for a in ref_args]
        if not spec.timing_sizes:
            return flops, inputs, [], []
        timed_args, timed = sized_args(list(spec.timing_sizes), 2000)
        return flops, inputs, _reference_seconds(ref, timed_args), timed * TIMING_REPEATS

    key = ("complexity", id(question), json.dumps(params, sort_keys=True, default=str), device)
    ref_flops, inputs, ref_seconds, timed = _memoized(key, question, reference_side)

    def run(cases: list[CaseInput], **how: bool) -> list[CaseOutcome]:
        outcomes = runner.run(
            CodeJob(
                files=files,
                entry=entry,
                function=question.function,
                cases=cases,
                support_files=support,
                limits=_limits(question),
                device=device,
                forbid=frozenset(question.forbid),
                **how,
            )
        )
        if any(o.status == "sandbox_error" for o in outcomes):
            raise InfrastructureError("the sandbox failed during the cost check")
        return outcomes

    outcomes = run(inputs, flops=True)
    bad = next((o for o in outcomes if o.status != "ok" or o.flops is None), None)
    if bad is not None:
        return (
            False,
            f"the cost check could not run at {bad.name}: {bad.message or bad.status}",
            None,
        )
    ok, message = _cost_verdict(spec, ref_flops, outcomes)
    if not ok or not timed or device != "cpu":
        return ok, message, None
    outcomes = run(timed, measure_cpu=True)
    bad = next((o for o in outcomes if o.status != "ok" or o.cpu_seconds is None), None)
    if bad is not None:
        return (
            False,
            f"the cost check could not time the code at {bad.name}: {bad.message or bad.status}",
            None,
        )
    return ok, message, _timing_note(spec, ref_flops, ref_seconds, outcomes)


def _cases_and_expected(
    question: CodeQuestion, bank: LoadedBank, params: Mapping[str, Any], variant: int, hidden: bool
) -> tuple[list[BuiltCase], list[Any]]:
    cases = build_cases(question, bank, params, variant, include_hidden=hidden)
    return cases, expected_outputs(question, cases)


def _limits(question: CodeQuestion) -> Limits:
    lim = question.limits
    return Limits(
        cpu_seconds=lim.cpu_seconds,
        wall_seconds=max(lim.cpu_seconds * 3, 5.0),
        job_wall_seconds=lim.wall_seconds,
        memory_mb=lim.memory_mb,
    )


def _tolerances(question: CodeQuestion) -> dict[str, Tolerance]:
    return {k: Tolerance(rtol=v.rtol, atol=v.atol) for k, v in question.compare.tolerances.items()}


@dataclass(frozen=True)
class _CodeTask:
    """A code answer ready to run: the job and what its outcomes are checked against."""

    entry: str
    files: Mapping[str, bytes]
    support: Mapping[str, bytes]
    cases: list[BuiltCase]
    expected: list[Any]
    job: CodeJob


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
    entry, problem = _student_file(question, answer, submission)
    base = {"question_id": qid, "max_marks": question.marks, "solution": "", "answer_hash": ""}
    if entry is None:
        status: QuestionStatus = (
            "missing"
            if answer is None and question.file not in submission.file_problems
            else "invalid"
        )
        return QuestionResult(marks=0.0, status=status, feedback=problem or "", **base)  # type: ignore[arg-type]
    device = device_for(question)
    if device == "cuda" and not torch.cuda.is_available():
        return QuestionResult(
            marks=0.0,
            status="unchecked",
            **base,  # type: ignore[arg-type]
            feedback="this question needs a CUDA GPU and this runner has none; it will be graded on a GPU runner",
        )
    key = (
        "cases",
        id(question),
        json.dumps(params, sort_keys=True, default=str),
        variant,
        opts.hidden,
    )
    cases, expected = _memoized(
        key, question, lambda: _cases_and_expected(question, bank, params, variant, opts.hidden)
    )
    support = bank.support_sources(question)
    # A copy of a support module in the submission (kits ship them) is replaced by the original.
    files = {k: v for k, v in submission.files.items() if k not in support}
    if entry in support:
        return QuestionResult(
            marks=0.0,
            status="invalid",
            **base,  # type: ignore[arg-type]
            feedback=f"{entry!r} is a module the question provides; put your function in {question.file!r}",
        )
    job = CodeJob(
        files=files,
        entry=entry,
        function=question.function,
        cases=[c.sandbox for c in cases],
        support_files=support,
        limits=_limits(question),
        device=device,
        forbid=frozenset(question.forbid),
        repeat_for_determinism=question.determinism,
    )
    return _CodeTask(entry, files, support, cases, expected, job)


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
    entry, files, support, cases, expected = (
        task.entry,
        task.files,
        task.support,
        task.cases,
        task.expected,
    )
    device = task.job.device
    if outcomes is None:
        outcomes = runner.run(task.job)
    broken = [o for o in outcomes if o.status == "sandbox_error"]
    if broken:  # the grader's failure, not the student's: an error result, graded again next run
        raise InfrastructureError(
            f"the sandbox failed on {len(broken)} case(s): {broken[0].message}"
        )
    results: list[CaseResult] = []
    forbidden = False
    tolerances = _tolerances(question)
    for i, (case, exp, out) in enumerate(zip(cases, expected, outcomes, strict=True)):
        if out.status == "forbidden":
            forbidden = True
        if out.status != "ok":
            results.append(
                CaseResult(
                    name=case.name if case.visible else f"case {i + 1}",
                    visible=case.visible,
                    passed=False,
                    status=out.status,
                    message=_case_message(i, case, out.message),
                    seconds=out.seconds,
                )
            )
            continue
        rule: Any = (
            resolve_ref(question.compare.custom)
            if question.compare.custom
            else question.compare.rule
        )
        cmp = compare(exp, out.value, rule, tolerances, device, show_values=case.visible)
        passed = cmp.passed
        message = "" if passed else _case_message(i, case, cmp.message)
        if passed and question.determinism and out.repeat_value is not None:
            again = compare(out.value, out.repeat_value, rule, tolerances, device)
            if not again.passed:
                passed, message = (
                    False,
                    _case_message(
                        i, case, "gave a different result when run twice on the same input"
                    ),
                )
        results.append(
            CaseResult(
                name=case.name if case.visible else f"case {i + 1}",
                visible=case.visible,
                passed=passed,
                status=out.status,
                message=message,
                seconds=out.seconds,
            )
        )
    n_pass = sum(r.passed for r in results)
    fraction = n_pass / len(results) if results else 0.0
    lines = [f"passed {n_pass} of {len(results)} cases"]
    lines += _collapse_not_run([r.message for r in results if not r.passed])
    if forbidden:
        fraction = 0.0
        lines.insert(
            0,
            "the code uses an API this question forbids ("
            + ", ".join(question.forbid)
            + "); no marks for this question",
        )
    review_note: str | None = None
    if question.complexity is not None and fraction > 0 and opts.secret_checks:
        ok, msg, review_note = _complexity(question, bank, files, entry, params, runner, support)
        lines.append(("cost check passed: " if ok else "cost check failed: ") + msg)
        if not ok:
            fraction = 0.0
    policy, penalty, floor = _policy(question)
    if policy == "all_or_nothing" and fraction < 1.0:
        if fraction > 0:
            lines.append("this question gives marks only when every case passes")
        fraction = 0.0
    marks = round(question.marks * fraction, 6)
    outcome: QuestionStatus = (
        "correct" if fraction == 1.0 else ("incorrect" if fraction == 0.0 else "partially_correct")
    )
    ah = answer_hash(answer, {entry: files[entry]})
    return QuestionResult(
        question_id=qid,
        marks=marks,
        max_marks=question.marks,
        status=outcome,
        feedback="\n".join(lines),
        solution="",
        cases=tuple(results),
        answer_hash=ah,
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
    return _from_check(question, rq, qid, result, opts, default_policy)


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
    resolved = {qid: resolve(exam.questions[qid], variant) for qid in wanted}
    prefetched = _run_code_batch(exam, submission, resolved, variant, runner, opts)
    results = []
    for qid in wanted:
        question = exam.questions[qid]
        bank = exam.question_bank[qid]
        r = grade_question(
            question,
            bank,
            qid,
            submission.answers.get(qid),
            submission,
            resolved[qid],
            variant,
            runner,
            opts,
            prefetched,
        )
        results.append(r.model_copy(update={"question_hash": exam.hash_of(qid)}))
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
            1, sum(len(t.cases) for t in tasks.values())
        )
    except Exception:  # noqa: BLE001 - each question then runs (and reports) on its own
        log.warning(
            "batch run failed for %s; running its questions one by one",
            submission.student,
            exc_info=True,
        )
        return {}
    return {
        qid: _Ran(task, out, per_case * len(task.cases))
        for (qid, task), out in zip(tasks.items(), outcomes, strict=True)
        if len(out) == len(task.cases)
    }
