"""Attacks on the cost check of the KV-cache task (mid-sem B5a-i-2): a generator that
recomputes the whole prefix every step (O(T^2) work; right tokens) hides its cost from the
FLOP counter, which runs inside the student's own process. Each attack must fail the check,
and the honest cached generator must pass it."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from grader.cost_check import cost_verdict, timing_note
from grader.grading import grade_submission
from grader.loading import load_exam
from grader.sandbox import CaseOutcome, SandboxRunner
from grader.schema.questions import ComplexitySpec
from grader.submissions import read_submission
from reference_impls.mutants import b5a_i_2

ROOT = Path(__file__).resolve().parents[3]
QID = "B5a-i-2"
HONEST = (ROOT / "submissions" / "midsem-2025" / "paper" / "b5a_i_2.py").read_text()
QUADRATIC = "\n".join(
    [
        "import math, torch",
        inspect.getsource(b5a_i_2._attend),
        inspect.getsource(b5a_i_2._layer),
        inspect.getsource(b5a_i_2.recompute_prefix).replace("@torch.no_grad()\n", ""),
    ]
).replace("  # type: ignore[no-untyped-def]", "")

ATTACKS = {
    "dispatch disabled": QUADRATIC + '''
def generate_with_cache(model, prompt, T_max):
    with torch._C._DisableTorchDispatch():
        return recompute_prefix(model, prompt, T_max)
''',
    "all modes disabled": QUADRATIC + '''
from torch.utils._python_dispatch import _disable_current_modes

def generate_with_cache(model, prompt, T_max):
    with _disable_current_modes():
        return recompute_prefix(model, prompt, T_max)
''',
    "counter class replaced": QUADRATIC + '''
import sys

class Linear:
    def __init__(self):
        self.total = 0
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.total = 10**15 * SIZE[0]  # linear, and more than any CPU could do

SIZE = [0]
for name in ("_flops", "__main__"):
    mod = sys.modules.get(name)
    if mod is not None and hasattr(mod, "CountFlops"):
        mod.CountFlops = Linear
    if mod is not None and hasattr(mod, "_flops"):
        mod._flops.CountFlops = Linear

def generate_with_cache(model, prompt, T_max):
    SIZE[0] = T_max
    return recompute_prefix(model, prompt, T_max)
''',
    "total overwritten": QUADRATIC + '''
import gc

def generate_with_cache(model, prompt, T_max):
    out = recompute_prefix(model, prompt, T_max)
    for obj in gc.get_objects():
        if type(obj).__name__ == "CountFlops":
            obj.total = 0
            with torch._C._DisableTorchDispatch():
                pass
            obj.__dict__["total"] = 10**15 * T_max  # linear, and more than any CPU could do
            type(obj).__torch_dispatch__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
    return out
''',
    "work done in numpy": '''
import math
import numpy as np
import torch

def generate_with_cache(model, prompt, T_max):
    Y = [int(t) for t in prompt.reshape(-1)]
    W = {}
    def lin(name, layer, x):
        return getattr(model, name)(layer, torch.from_numpy(x)).numpy()
    with torch._C._DisableTorchDispatch():
        return _gen(model, prompt, T_max)

def _gen(model, prompt, T_max):
''' + "\n".join("    " + line for line in inspect.getsource(b5a_i_2.recompute_prefix).splitlines()[6:]).replace("_layer", "_layer_np"),
}


def grade(tmp_path: Path, source: str, runner: SandboxRunner) -> tuple[float, str, str]:
    """(marks, feedback, the note for the TA when the answer was sent for review)."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "answers.yaml").write_text(f"exam: midsem-2025\nanswers:\n  {QID}: b5a_i_2.py\n")
    (folder / "b5a_i_2.py").write_text(source)
    exam = load_exam("midsem-2025", ROOT / "questions")
    result = grade_submission(exam, read_submission(folder), runner, only={QID})
    (q,) = result.questions
    return q.marks, q.feedback, (q.author_note or "") if q.needs_review else ""


@pytest.mark.sandbox
def test_the_honest_cached_generator_passes_the_cost_check(
    tmp_path: Path, sandbox: SandboxRunner
) -> None:
    marks, feedback, _ = grade(tmp_path, HONEST, sandbox)
    assert marks == 4, feedback
    assert "cost check passed" in feedback
    # (whether the timing half sends it to a TA is a measurement: benchmarks/bench_cost_check.py)


@pytest.mark.sandbox
def test_the_plain_quadratic_generator_fails_the_cost_check(
    tmp_path: Path, sandbox: SandboxRunner
) -> None:
    source = QUADRATIC.replace("recompute_prefix", "generate_with_cache")
    marks, feedback, _ = grade(tmp_path, source, sandbox)
    assert marks == 0 and "cost check failed" in feedback, feedback


@pytest.mark.sandbox
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_hiding_the_cost_from_the_counter_fails_the_cost_check(
    tmp_path: Path, sandbox: SandboxRunner, name: str
) -> None:
    marks, feedback, _ = grade(tmp_path, ATTACKS[name], sandbox)
    assert marks == 0, feedback
    assert "cost check failed" in feedback or "passed 0 of" in feedback, feedback


def _outcomes(sizes: list[int], flops: list[int], cpu: list[float]) -> list[CaseOutcome]:
    return [
        CaseOutcome(name=f"T={n}", index=k, status="ok", message="", flops=f, cpu_seconds=c)
        for k, (n, f, c) in enumerate(zip(sizes, flops, cpu, strict=True))
    ]


SPEC = ComplexitySpec(dim="T", sizes=[8, 16, 32], args={}, timing_sizes=[32, 128])
REF_FLOPS = [100_000, 200_000, 400_000]


def test_a_count_the_measured_cpu_time_could_not_have_done_fails() -> None:
    inflated = _outcomes(SPEC.sizes, [10**12, 2 * 10**12, 4 * 10**12], [0.01, 0.02, 0.04])
    ok, message = cost_verdict(SPEC, REF_FLOPS, inflated)
    assert not ok and "tampered" in message


def test_a_zero_count_is_not_read_as_no_growth() -> None:
    ok, message = cost_verdict(SPEC, REF_FLOPS, _outcomes(SPEC.sizes, [0, 0, 0], [0.01] * 3))
    assert not ok and "counted work is under 10%" in message and " is 0" not in message


def test_a_count_forged_to_look_right_is_sent_to_the_ta_when_cpu_time_grows_faster() -> None:
    """The FLOP half passes a count forged to look like the reference's; CPU time measured
    outside the student's process growing like T^2 sends the answer to the TA."""
    forged = _outcomes(SPEC.sizes, REF_FLOPS, [0.01] * 3)
    assert cost_verdict(SPEC, REF_FLOPS, forged)[0]
    quadratic = _outcomes([32, 128, 32, 128], [0] * 4, [0.04, 0.64, 0.05, 0.60])
    note = timing_note(SPEC, REF_FLOPS, [0.04, 0.16], quadratic)
    assert note is not None and "tampered" in note
    linear = _outcomes([32, 128, 32, 128], [0] * 4, [0.04, 0.17, 0.05, 0.15])
    assert timing_note(SPEC, REF_FLOPS, [0.04, 0.16], linear) is None
