"""Scoring: turn a ``CheckResult`` into marks under a question's policy. Pure arithmetic.

Policies (``policy``):

* ``all_or_nothing`` (the seed papers' rule for MCQs): ``marks`` if the answer is
  ``correct`` (for an MCQ: exactly the correct set ticked), else 0.
* ``partial``: ``marks * fraction``, the checker's share (for an MCQ,
  ``(right picks - wrong picks) / len(correct)`` clipped to [0, 1]).
* ``negative``: for an MCQ, ``marks * (right_picks / len(correct) - penalty * wrong_picks)``,
  so each wrong tick costs ``penalty * marks``; for other questions, ``marks * fraction``
  when the answer earns something and ``-penalty * marks`` when it is answered and wrong.
  The score never goes below ``floor`` (in marks, ``-marks <= floor <= 0``; the default 0
  means a question can cost nothing) and a blank answer scores 0.

Whatever the policy, ``invalid`` and ``unchecked`` answers score 0 (a TA decides the
latter), and ``needs_review`` answers score the provisional ``marks * fraction``.
Scores are rounded to ``1e-9`` so that sums of thirds and tenths compare cleanly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from grader.results import CheckResult

__all__ = ["Policy", "DEFAULT_PENALTY", "score", "total"]

Policy = Literal["all_or_nothing", "partial", "negative"]
POLICIES: tuple[Policy, ...] = ("all_or_nothing", "partial", "negative")
DEFAULT_PENALTY = 0.5
"""Share of a question's marks a wrong tick (or a wrong answer) costs under ``negative``."""
_DIGITS = 9


def _round(value: float) -> float:
    rounded = round(value, _DIGITS)
    return 0.0 if rounded == 0 else rounded


def _check_number(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def score(
    result: CheckResult,
    *,
    marks: float,
    policy: Policy = "all_or_nothing",
    penalty: float = DEFAULT_PENALTY,
    floor: float = 0.0,
) -> float:
    """The marks ``result`` earns on a question worth ``marks`` under ``policy``.

    Raises ValueError for negative or non-finite marks, an unknown policy, a negative
    penalty, or a floor outside ``[-marks, 0]``.
    """
    _check_number("marks", marks)
    _check_number("penalty", penalty)
    _check_number("floor", floor)
    if marks < 0:
        raise ValueError(f"marks must not be negative, got {marks!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES!r}, got {policy!r}")
    if penalty < 0:
        raise ValueError(f"penalty must not be negative, got {penalty!r}")
    if not -marks <= floor <= 0:
        raise ValueError(f"floor must be between -marks ({-marks!r}) and 0, got {floor!r}")

    if result.status in ("invalid", "unchecked"):
        return 0.0
    if result.status == "needs_review":
        return _round(marks * result.fraction)
    if policy == "all_or_nothing":
        return _round(marks if result.status == "correct" else 0.0)
    if policy == "partial":
        return _round(marks * result.fraction)
    # negative marking
    if not result.answered:
        return 0.0
    if result.mcq is not None and result.mcq.correct:
        mcq = result.mcq
        # marks * (right / |correct| - penalty * wrong), at least `floor`
        raw = marks * (mcq.right_picks / len(mcq.correct) - penalty * mcq.wrong_picks)
        return _round(max(floor, min(marks, raw)))
    if result.status == "correct":
        return _round(marks)
    if result.fraction > 0:
        return _round(marks * result.fraction)
    return _round(max(floor, -penalty * marks))


def total(scores: Iterable[float]) -> float:
    """The sum of question scores (exact summation, rounded like ``score``).

    Raises ValueError for a non-finite score.
    """
    values = list(scores)
    for value in values:
        _check_number("score", value)
    return _round(math.fsum(values))
