"""Running students' code: isolated, warm, fair, and hard to fool.

``SandboxRunner`` runs a ``CodeJob`` (a student's files, a function name, the cases'
inputs) inside bubblewrap sandboxes kept warm, and returns one validated ``CaseOutcome``
per case; ``compare`` checks a returned value against the expected one, which never
enters the sandbox. ``InProcessRunner`` is the unisolated twin for tests and for students
checking their own code. See ``_bwrap.py`` and ``_worker.py`` for what is isolated and how.
"""

from grader.sandbox._compare import DEFAULT_TOLERANCES, Tolerance, compare, tolerance_for
from grader.sandbox._messages import not_run_reason
from grader.sandbox._pool import (
    NO_SANDBOX_WARNING,
    InProcessRunner,
    Runner,
    SandboxRunner,
    sandbox_available,
)
from grader.sandbox._probes import (
    build_value,
    check_determinism,
    fit_growth_exponent,
    numerical_gradient,
    resolve_device,
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
