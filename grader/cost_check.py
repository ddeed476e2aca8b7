"""The cost check of a code question: does the student's work grow like the reference's?

Two halves, run after the cases when a question has ``complexity``:

* FLOPs (the verdict, ``cost_verdict``): the student's function runs in the sandbox at the
  sizes ``complexity.sizes`` with torch's FLOP counter on; the growth exponent of its counts
  (``sandbox.fit_growth_exponent``) may exceed the reference's by ``slack`` at most.
* CPU time (a note for the TA, ``timing_note``): measured by the sandbox's supervisor from
  outside the student's processes at ``timing_sizes``, against the reference's timed here;
  a count can be forged inside the student's process, the supervisor's clock cannot.

``grader validate`` runs the FLOP half on an author's mutants (``sized_args``,
``flops_of``, ``flop_exponents``), so a mutant is judged as a student would be.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from grader.cases import build_args, device_for
from grader.code_jobs import CodeSpec, memoized
from grader.errors import InfrastructureError
from grader.loading import LoadedBank, resolve_ref
from grader.sandbox import CaseInput, CaseOutcome, Runner, fit_growth_exponent
from grader.schema import CodeQuestion
from grader.schema.questions import ComplexitySpec

__all__ = [
    "FLOP_SEED",
    "MAX_FLOPS_PER_CPU_SECOND",
    "MIN_COUNTED_FRACTION",
    "REFERENCE_TIMING_REPEATS",
    "TIMING_REPEATS",
    "TIMING_SEED",
    "CostCheck",
    "cost_verdict",
    "fastest",
    "flop_exponents",
    "flops_of",
    "reference_seconds",
    "run_cost_check",
    "sized_args",
    "timing_note",
]

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
FLOP_SEED = 1000
"""Seed of the arguments at the first FLOP-counting size (the next sizes add 1 each)."""
TIMING_SEED = 2000
"""Seed of the arguments at the first timing size."""


def flops_of(fn: Callable[..., Any], args: tuple[Any, ...]) -> int:
    """FLOPs of a trusted call (the reference, a mutant), counted as the sandbox counts the
    student's."""
    from grader.sandbox._flops import CountFlops

    with CountFlops() as counter:
        fn(*args)
    return int(counter.total)


def sized_args(
    question: CodeQuestion,
    bank: LoadedBank,
    params: Mapping[str, Any],
    sizes: Sequence[int],
    seed: int,
) -> tuple[list[tuple[Any, ...]], list[CaseInput]]:
    """The cost check's arguments at each of ``sizes`` (the reference's, and the sandbox's
    inputs built from the same seed ``seed + i``)."""
    spec = question.complexity
    assert spec is not None
    device = device_for(question)
    ref_args, inputs = [], []
    for i, size in enumerate(sizes):
        dims = {**spec.dims, spec.dim: size}
        ref, box = build_args(question, bank, spec.args, dims, seed + i, params, device)
        ref_args.append(ref)
        inputs.append(CaseInput(args=box, visible=False, name=f"{spec.dim}={size}"))
    return ref_args, inputs


def flop_exponents(
    spec: ComplexitySpec, ref_flops: Sequence[int], got_flops: Sequence[int]
) -> tuple[float, float]:
    """(reference's, student's) growth exponents of FLOP counts over ``spec.sizes``; counts
    below 1 are taken as 1, and the student's exponent is kept within +-9.9."""
    ref_exp = fit_growth_exponent(spec.sizes, ref_flops, floor=1.0)
    got_exp = fit_growth_exponent(spec.sizes, got_flops, floor=1.0)
    return ref_exp, min(max(got_exp, -9.9), 9.9)


def cost_verdict(
    spec: ComplexitySpec, ref_flops: list[int], outcomes: Sequence[CaseOutcome]
) -> tuple[bool, str]:
    """The verdict of the FLOP half of the cost check. The student's counts are made inside
    their process, so they are a claim: a count far below the reference's, or more than the
    CPU time the supervisor measured could have done, fails outright; a plausible but forged
    count is left to the timing half (``timing_note``)."""
    student_flops = [int(o.flops or 0) for o in outcomes]
    # (messages quote no number the student's code chose beyond a one-decimal exponent: the
    # cost cases' inputs are hidden too)
    for size, got, ref in zip(spec.sizes, student_flops, ref_flops, strict=True):
        if got < MIN_COUNTED_FRACTION * ref:
            return False, (
                f"at {spec.dim}={size} the counted work is under {MIN_COUNTED_FRACTION:.0%} "
                f"of what the task needs ({ref} FLOPs); the cost check counts torch "
                "operations, so do the work with torch (not numpy) and do not hide it from "
                "the counter"
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
    ref_exp, got_exp = flop_exponents(spec, ref_flops, student_flops)
    if got_exp > ref_exp + spec.slack:
        return False, (
            f"work grows like {spec.dim}^{got_exp:.1f} as {spec.dim} grows; "
            f"the expected growth is about {spec.dim}^{ref_exp:.1f}"
        )
    return (
        True,
        f"work grows like {spec.dim}^{got_exp:.1f} (expected about {spec.dim}^{ref_exp:.1f})",
    )


def fastest(sizes: Sequence[int], seconds: Sequence[float]) -> list[float]:
    """Per size, the fastest of its runs (``seconds`` holds the runs size after size, round
    after round)."""
    return [max(min(seconds[k :: len(sizes)]), 1e-6) for k in range(len(sizes))]


def timing_note(
    spec: ComplexitySpec,
    ref_flops: list[int],
    ref_seconds: list[float],
    outcomes: Sequence[CaseOutcome],
) -> str | None:
    """The timing half: CPU time of the student's code measured by the sandbox's supervisor
    (outside the student's processes, children included) at ``spec.timing_sizes``. When it
    grows faster than the reference's (timed in the grader) by more than
    ``spec.timing_slack``, the counted FLOPs may be forged: a note for the TA, who reviews
    the answer. Not a verdict on its own: CPU time at sizes a class can afford is noisy."""
    sizes = list(spec.timing_sizes or [])
    got = fastest(sizes, [float(o.cpu_seconds or 0.0) for o in outcomes])
    ref_exp = fit_growth_exponent(sizes, ref_seconds)
    got_exp = fit_growth_exponent(sizes, got)
    if got_exp <= ref_exp + spec.timing_slack:
        return None
    flop_exp = fit_growth_exponent(spec.sizes, ref_flops, floor=1.0)
    return (
        f"cost check: the CPU time measured outside the student's process grows like "
        f"{spec.dim}^{got_exp:.2f} from {spec.dim}={sizes[0]} to {sizes[-1]} (the "
        f"reference's: {spec.dim}^{ref_exp:.2f}) while the FLOPs counted inside it grow like "
        f"{spec.dim}^{flop_exp:.2f} or less; the count may have been tampered with: please "
        "read the code"
    )


def reference_seconds(ref: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[float]:
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


class CostCheck(NamedTuple):
    """The cost check's outcome."""

    passed: bool
    """False fails the question (no marks)."""
    message: str
    """For the student."""
    note: str | None
    """For the TA (the answer goes to review), or None."""


def run_cost_check(
    question: CodeQuestion,
    bank: LoadedBank,
    spec: CodeSpec,
    files: Mapping[str, bytes],
    entry: str,
    params: Mapping[str, Any],
    runner: Runner,
) -> CostCheck:
    """Run the cost check of ``question`` on the student's ``entry`` (a job of ``spec``)."""
    complexity = question.complexity
    assert complexity is not None
    ref = resolve_ref(question.reference, bank.reference_folders)

    def reference_side() -> tuple[list[int], list[CaseInput], list[float], list[CaseInput]]:
        ref_args, inputs = sized_args(question, bank, params, complexity.sizes, FLOP_SEED)
        flops = [flops_of(ref, a) for a in ref_args]
        if not complexity.timing_sizes:
            return flops, inputs, [], []
        timed_args, timed = sized_args(question, bank, params, complexity.timing_sizes, TIMING_SEED)
        return flops, inputs, reference_seconds(ref, timed_args), timed * TIMING_REPEATS

    key = (
        "complexity",
        id(question),
        json.dumps(params, sort_keys=True, default=str),
        spec.device,
    )
    ref_flops, inputs, ref_seconds, timed = memoized(key, question, reference_side)

    def run(cases: list[CaseInput], *, flops: bool = False) -> list[CaseOutcome]:
        outcomes = runner.run(spec.job(files, entry, cases, flops=flops, measure_cpu=not flops))
        if any(o.status == "sandbox_error" for o in outcomes):
            raise InfrastructureError("the sandbox failed during the cost check")
        return outcomes

    outcomes = run(inputs, flops=True)
    bad = next((o for o in outcomes if o.status != "ok" or o.flops is None), None)
    if bad is not None:
        return CostCheck(
            False, f"the cost check could not run at {bad.name}: {bad.message or bad.status}", None
        )
    ok, message = cost_verdict(complexity, ref_flops, outcomes)
    if not ok or not timed or spec.device != "cpu":
        return CostCheck(ok, message, None)
    outcomes = run(timed)
    bad = next((o for o in outcomes if o.status != "ok" or o.cpu_seconds is None), None)
    if bad is not None:
        return CostCheck(
            False,
            f"the cost check could not time the code at {bad.name}: {bad.message or bad.status}",
            None,
        )
    return CostCheck(ok, message, timing_note(complexity, ref_flops, ref_seconds, outcomes))
