"""Running students' code: isolated, warm, fair, and hard to fool.

``SandboxRunner`` runs a ``CodeJob`` (a student's files, a function name, the cases'
inputs) inside bubblewrap sandboxes kept warm, and returns one validated ``CaseOutcome``
per case; ``compare`` checks a returned value against the expected one, which never
enters the sandbox. ``InProcessRunner`` is the unisolated twin for tests and for students
checking their own code. See ``_bwrap.py`` and ``_worker.py`` for what is isolated and how.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from grader.sandbox._messages import not_run_reason
from grader.sandbox._pool import (
    NO_SANDBOX_WARNING,
    InProcessRunner,
    Runner,
    SandboxRunner,
    sandbox_available,
)
from grader.sandbox._types import (
    CaseInput,
    CaseOutcome,
    CaseStatus,
    CodeJob,
    Comparison,
    Construct,
    Device,
    Limits,
    SandboxUnavailable,
)
from grader.tolerances import DEFAULT_TOLERANCES, Tolerance

if _typing.TYPE_CHECKING:
    from grader.sandbox._compare import compare, tolerance_for
    from grader.sandbox._probes import (
        build_value,
        check_determinism,
        fit_growth_exponent,
        numerical_gradient,
        resolve_device,
    )

_IMPORTS_TORCH = {
    "compare": "_compare",
    "tolerance_for": "_compare",
    "build_value": "_probes",
    "check_determinism": "_probes",
    "fit_growth_exponent": "_probes",
    "numerical_gradient": "_probes",
    "resolve_device": "_probes",
}
"""Names whose modules import torch at once: loaded on first use, so that a grader can
start its sandboxes (``SandboxRunner``) while it imports torch itself, in parallel."""


def __getattr__(name: str) -> _typing.Any:
    module = _IMPORTS_TORCH.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_IMPORTS_TORCH})


__all__ = [
    "CaseInput",
    "CaseOutcome",
    "CaseStatus",
    "CodeJob",
    "Comparison",
    "Construct",
    "DEFAULT_TOLERANCES",
    "Device",
    "InProcessRunner",
    "Limits",
    "NO_SANDBOX_WARNING",
    "Runner",
    "SandboxRunner",
    "SandboxUnavailable",
    "Tolerance",
    "build_value",
    "check_determinism",
    "compare",
    "fit_growth_exponent",
    "not_run_reason",
    "numerical_gradient",
    "resolve_device",
    "sandbox_available",
    "tolerance_for",
]
