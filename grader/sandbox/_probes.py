"""Probes beside plain cases: determinism, gradients, asymptotic cost, device, inputs.

* Numerical stability needs nothing special: it is a case with extreme inputs (logits of
  1e4), and ``compare`` names NaN and Inf in the student's value.
* Determinism: set ``CodeJob.repeat_for_determinism``; ``check_determinism`` compares the
  two runs with the question's own rule and tolerances, in the grader.
* Gradients of a student's hand-written backward: the student's gradient comes back as a
  plain value, so the check is ``compare(expected, outcome.value)`` where the grader
  computes ``expected`` in float64 from the reference with ``numerical_gradient`` (central
  finite differences) or autograd; nothing about it runs in the sandbox.
* Asymptotic cost: set ``CodeJob.flops``, run cases of growing length, and fit the exponent
  with ``fit_growth_exponent`` (a KV cache that recomputes everything grows like T^2 per
  token instead of T).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import math
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import torch

from grader.sandbox._compare import Checker, Rule, compare
from grader.sandbox._types import CaseOutcome, Comparison, Construct, Device
from grader.tolerances import Tolerance


def resolve_device(requested: Literal["cpu", "cuda", "auto"]) -> Device:
    """``auto`` becomes ``cuda`` when this machine has a GPU, else ``cpu``. A ``cuda``
    question stays ``cuda``; runners report it ``not_runnable`` where there is no GPU."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu, cuda or auto, got {requested!r}")
    return requested


def fit_growth_exponent(
    sizes: Sequence[float], costs: Sequence[float], *, floor: float | None = None
) -> float:
    """Least-squares slope of log(cost) against log(size): cost ~ size ** exponent.

    ``floor``: costs below it are taken as ``floor`` (FLOP counts use 1: a count of 0 has no
    logarithm, and work too small to count is not growth).
    """
    if floor is not None:
        costs = [max(float(c), floor) for c in costs]
    if len(sizes) != len(costs) or len(sizes) < 2:
        raise ValueError("need at least two (size, cost) pairs of equal length")
    if any(s <= 0 for s in sizes) or any(c <= 0 for c in costs):
        raise ValueError(
            f"sizes and costs must be positive, got {list(sizes)!r} and {list(costs)!r}"
        )
    xs = [math.log(s) for s in sizes]
    ys = [math.log(c) for c in costs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        raise ValueError("sizes must not all be equal")
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def numerical_gradient(
    fn: Callable[..., torch.Tensor], inputs: Sequence[torch.Tensor], wrt: int = 0, eps: float = 1e-6
) -> torch.Tensor:
    """d fn(*inputs).sum() / d inputs[wrt] by central differences, in float64, in the grader."""
    xs = [x.detach().to(torch.float64).clone() if x.is_floating_point() else x for x in inputs]
    target = xs[wrt]
    grad = torch.zeros_like(target)
    flat, gflat = target.view(-1), grad.view(-1)
    for k in range(flat.numel()):
        old = flat[k].item()
        flat[k] = old + eps
        plus = fn(*xs).sum().item()
        flat[k] = old - eps
        minus = fn(*xs).sum().item()
        flat[k] = old
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


def check_determinism(
    outcome: CaseOutcome,
    rule: Rule | Checker = "allclose",
    tolerances: Mapping[str, Tolerance] | None = None,
    device: str | None = None,
) -> Comparison:
    """Whether the two runs of a case (``repeat_for_determinism``) gave the same value, by
    the question's own comparison ``rule`` and ``tolerances``: the second run is judged as
    an answer against the first.

    Tolerant, not exact, on purpose: a GPU's parallel reductions add in varying order, so
    honest code differs in the last bits between runs, and a difference the question would
    accept in an answer cannot cost marks here. What this looks for, randomness in the
    student's code (an unseeded sample, dropout left on, state kept between calls), moves
    values far beyond any tolerance.
    """
    if outcome.status != "ok":
        return Comparison(passed=False, message=outcome.message)
    same = compare(outcome.value, outcome.repeat_value, rule, tolerances, device)
    if same.passed:
        return same
    return Comparison(
        passed=False, message="gave a different result when run twice on the same input"
    )


_support_cache: dict[str, str] = {}


def build_value(value: Any, support_files: Mapping[str, bytes], device: str = "cpu") -> Any:
    """The grader's own copy of a case input: tensors moved to ``device`` and ``Construct``
    values built by importing the (trusted, non-secret) support files in this process.

    Support modules are imported from a private directory and removed from ``sys.modules``
    afterwards, so questions with same-named support modules do not see each other's.
    """
    if isinstance(value, Construct):
        module_name, _, attr = value.fn.partition(":")
        args = [build_value(v, support_files, device) for v in value.args]
        kwargs = {k: build_value(v, support_files, device) for k, v in value.kwargs.items()}
        with _support_modules(support_files) as load:
            return getattr(load(module_name), attr)(*args, **kwargs)
    if type(value) is torch.Tensor:
        return value.to(device)
    if type(value) in (list, tuple):
        return type(value)(build_value(v, support_files, device) for v in value)
    if type(value) is dict:
        return {k: build_value(v, support_files, device) for k, v in value.items()}
    return value


@contextlib.contextmanager
def _support_modules(files: Mapping[str, bytes]) -> Any:
    digest = hashlib.sha256(
        b"".join(k.encode() + b"\0" + v for k, v in sorted(files.items()))
    ).hexdigest()
    root = _support_cache.get(digest)
    if root is None:
        root = tempfile.mkdtemp(prefix="grader-support-")
        for rel, data in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
        _support_cache[digest] = root
    names = {rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for rel in files}
    saved = {
        n: sys.modules.pop(n)
        for n in list(sys.modules)
        if n.split(".")[0] in {m.split(".")[0] for m in names}
    }
    sys.path.insert(0, root)
    try:

        def load(name: str) -> Any:
            if name not in names:
                raise ValueError(f"Construct names {name!r}, which is not a support module")
            return importlib.import_module(name)

        yield load
    finally:
        sys.path.remove(root)
        for n in [n for n in sys.modules if n.split(".")[0] in {m.split(".")[0] for m in names}]:
            del sys.modules[n]
        sys.modules.update(saved)
