"""The runners: agreement, probes (FLOPs, determinism, constructs), devices, public surface."""

from __future__ import annotations

import pytest
import torch
from sandbox_helpers import HONEST, expected, inputs, job, score

import grader.sandbox
from grader.sandbox import (
    CaseInput,
    Construct,
    InProcessRunner,
    SandboxRunner,
    build_value,
    check_determinism,
    compare,
    fit_growth_exponent,
    numerical_gradient,
    sandbox_available,
)

SUPPORT = {
    "tiny_lm.py": b"""
import torch

def make_model(seed, width=4):
    torch.manual_seed(seed)
    return torch.nn.Linear(width, width)
"""
}
USES_MODEL = b"""
def solve(model, x):
    return model(x).detach()
"""
ATTENTION = b"""
import torch

def solve(q, k, v):
    w = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1)  # (T, T)
    return w @ v
"""


def test_public_surface_is_exactly_all() -> None:
    public = {n for n in dir(grader.sandbox) if not n.startswith("_")}
    assert public - {"annotations"} == set(grader.sandbox.__all__)


@pytest.mark.sandbox
def test_sandbox_available_starts_a_real_sandbox() -> None:
    ok, detail = sandbox_available()
    assert ok, detail


@pytest.mark.sandbox
def test_in_process_and_sandbox_runners_agree_on_honest_code(
    sandbox: SandboxRunner, unsandboxed: InProcessRunner
) -> None:
    cases = inputs(4) + inputs(1, visible=True)
    a = sandbox.run(job(HONEST, cases))
    b = unsandboxed.run(job(HONEST, cases))
    assert [o.status for o in a] == [o.status for o in b] == ["ok"] * 5
    for x, y in zip(a, b, strict=True):
        assert compare(x.value, y.value, "exact").passed
    assert score(a, cases) == 5


def test_in_process_runner_reports_exceptions_like_the_sandbox(
    unsandboxed: InProcessRunner,
) -> None:
    (outcome,) = unsandboxed.run(job(b"def solve(x):\n    return 1 / 0\n", inputs(1, visible=True)))
    assert outcome.message == (
        "raised ZeroDivisionError at line 2 of solution.py on case 1: division by zero"
    )


@pytest.mark.sandbox
def test_construct_builds_the_same_object_in_the_sandbox_and_the_grader(
    sandbox: SandboxRunner,
) -> None:
    x = torch.randn(2, 4)
    case = CaseInput(args=(Construct("tiny_lm:make_model", [3]), x))
    (outcome,) = sandbox.run(job(USES_MODEL, [case], support_files=SUPPORT))
    model = build_value(case.args[0], SUPPORT)
    assert compare(model(x).detach(), outcome.value).passed


def test_student_files_may_not_shadow_support_modules(unsandboxed: InProcessRunner) -> None:
    bad = job(HONEST, inputs(1), support_files=SUPPORT)
    bad = type(bad)(**{**bad.__dict__, "files": {"solution.py": HONEST, "tiny_lm.py": b""}})
    with pytest.raises(ValueError, match="shadow"):
        unsandboxed.run(bad)


@pytest.mark.sandbox
def test_flops_are_counted_and_their_growth_fitted(sandbox: SandboxRunner) -> None:
    sizes = [8, 16, 32, 64]
    cases = [
        CaseInput(args=(torch.randn(t, 8), torch.randn(t, 8), torch.randn(t, 8))) for t in sizes
    ]
    outcomes = sandbox.run(job(ATTENTION, cases, flops=True))
    flops = [o.flops for o in outcomes]
    assert all(f and f > 0 for f in flops)
    assert fit_growth_exponent(sizes, flops) == pytest.approx(2.0, abs=0.1)  # type: ignore[arg-type]


@pytest.mark.sandbox
def test_nondeterministic_code_is_caught_by_running_twice(sandbox: SandboxRunner) -> None:
    src = b"import torch\ndef solve(x):\n    return x + torch.rand(())\n"
    outcomes = sandbox.run(job(src, inputs(1), repeat_for_determinism=True))
    assert not check_determinism(outcomes[0]).passed
    honest = sandbox.run(job(HONEST, inputs(1), repeat_for_determinism=True))
    assert check_determinism(honest[0]).passed


def test_gradient_check_reduces_to_compare_in_float64() -> None:
    x = torch.randn(5, dtype=torch.float64)
    student_grad = 2 * x  # what a correct hand-written backward of sum(x**2) returns
    reference = numerical_gradient(lambda t: (t**2).sum(), [x])
    assert compare(reference, student_grad).passed


def test_growth_exponent_of_a_quadratic_is_two() -> None:
    assert fit_growth_exponent([1, 2, 4, 8], [3, 12, 48, 192]) == pytest.approx(2.0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU path")
def test_cuda_question_is_not_runnable_without_a_gpu(unsandboxed: InProcessRunner) -> None:
    outcomes = unsandboxed.run(job(HONEST, inputs(2), device="cuda"))
    assert [o.status for o in outcomes] == ["not_runnable"] * 2
    assert outcomes[0].message == "this question needs a CUDA GPU; this runner has none"


@pytest.mark.gpu
@pytest.mark.sandbox
def test_cuda_question_runs_on_the_gpu_in_the_sandbox(sandbox: SandboxRunner) -> None:
    cases = [CaseInput(args=(torch.arange(4.0),))]
    (outcome,) = sandbox.run(job(HONEST, cases, device="cuda"))
    assert outcome.status == "ok", outcome.message
    assert outcome.device is not None and outcome.device.startswith("cuda")
    assert compare(expected(cases[0].args[0]).cuda(), outcome.value, device="cuda").passed


@pytest.mark.gpu
@pytest.mark.sandbox
def test_cpu_tensor_returned_for_a_cuda_question_is_named(sandbox: SandboxRunner) -> None:
    src = b"def solve(x):\n    return (x * 2 + 1).cpu()\n"
    (outcome,) = sandbox.run(job(src, [CaseInput(args=(torch.arange(4.0),))], device="cuda"))
    result = compare(
        torch.arange(4.0).cuda() * 2 + 1, outcome.value, device="cuda", show_values=True
    )
    assert result.message == "is on the wrong device--got: cpu, expected: cuda"
