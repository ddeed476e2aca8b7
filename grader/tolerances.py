"""Tolerances per dtype for comparing a student's floats with the reference's: the defaults
and the check of a question's own ``compare.tolerances``.

Torch-free, so `grader validate` checks a bank's tolerances without importing torch;
grading (``grader.sandbox._compare``) uses this same table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_TOLERANCES", "Tolerance", "tolerance_problems"]


@dataclass(frozen=True)
class Tolerance:
    """``|actual - expected| <= atol + rtol * |expected|``, element-wise."""

    rtol: float
    """Relative tolerance."""
    atol: float
    """Absolute tolerance."""


DEFAULT_TOLERANCES: Mapping[str, Tolerance] = {
    "float64": Tolerance(rtol=1e-6, atol=1e-8),
    "float32": Tolerance(rtol=1e-4, atol=1e-5),
    "tf32": Tolerance(rtol=5e-3, atol=5e-4),
    "float16": Tolerance(rtol=5e-3, atol=1e-3),
    "bfloat16": Tolerance(rtol=3e-2, atol=1e-2),
}
"""Defaults for a student's implementation against an independent reference computed on the
same device and dtype. ``tf32`` applies to float32 on CUDA, where convolutions (and
matmuls, when enabled) round inputs to 10-bit mantissas."""


def tolerance_problems(tolerances: Mapping[str, object]) -> dict[str, str]:
    """Problems with a question's per-dtype ``tolerances``, by key: a key that is not one
    of ``DEFAULT_TOLERANCES`` (float dtypes and ``tf32``) is never looked up, so its
    tolerance would silently not apply."""
    known = ", ".join(DEFAULT_TOLERANCES)
    return {
        key: f"tolerance for {key!r} would never be used: the keys are the float dtypes {known}"
        for key in tolerances
        if key not in DEFAULT_TOLERANCES
    }
