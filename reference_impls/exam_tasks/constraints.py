"""Predicates that keep a randomized variant sensible, named in a question's `constraints`.

Each takes plain numbers (the variant's parameters, substituted by the grader) and
returns a bool; a variant whose parameters fail any constraint is redrawn.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["nonzero", "distinct", "in_range"]


def nonzero(value: float, min_abs: float = 1e-9) -> bool:
    """|value| > min_abs: no division by (almost) zero."""
    return abs(float(value)) > min_abs


def distinct(values: Sequence[float], min_gap: float = 0.0) -> bool:
    """Every pair of values differs by more than ``min_gap`` (options a tolerance apart)."""
    xs = sorted(float(v) for v in values)
    return all(b - a > min_gap for a, b in zip(xs, xs[1:], strict=False))


def in_range(value: float, low: float, high: float) -> bool:
    """low <= value <= high: a well-conditioned result."""
    return float(low) <= float(value) <= float(high)
