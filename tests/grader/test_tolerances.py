"""The torch-free tolerance table `grader validate` checks against is the one grading uses."""

from __future__ import annotations

from grader.tolerances import tolerance_problems


def test_a_tolerance_for_a_dtype_grading_never_looks_up_is_a_problem() -> None:
    problems = tolerance_problems({"float64": object(), "double": object()})
    assert list(problems) == ["double"]
    assert "would never be used" in problems["double"]
