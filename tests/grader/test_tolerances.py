"""The torch-free tolerance table `grader validate` checks against is the one grading uses."""

from __future__ import annotations

from grader.sandbox import DEFAULT_TOLERANCES as GRADING_TOLERANCES
from grader.tolerances import DEFAULT_TOLERANCES, tolerance_problems


def test_validate_knows_exactly_the_tolerances_grading_uses() -> None:
    assert {k: (t.rtol, t.atol) for k, t in DEFAULT_TOLERANCES.items()} == {
        k: (t.rtol, t.atol) for k, t in GRADING_TOLERANCES.items()
    }


def test_a_tolerance_for_a_dtype_grading_never_looks_up_is_a_problem() -> None:
    problems = tolerance_problems({"float64": object(), "double": object()})
    assert list(problems) == ["double"]
    assert "would never be used" in problems["double"]
