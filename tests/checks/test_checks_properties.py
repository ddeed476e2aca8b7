"""Property-based: arbitrary strings and nested YAML values never escape a checker or hang it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.checks import check_expression, check_mcq, check_numeric, check_ordering, check_text
from grader.results import CheckResult

yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)
# Strings drawn from the characters math answers use, to reach deep into the parser.
math_text = st.text(
    alphabet="0123456789+-*/^()[]{}.,=%' _enrdkLTOpisqtlogβπ²√−\\frac\\sqrt\\cdot", max_size=60
)
answers = yaml_values | math_text

P = {"positive": True}
TIME_LIMIT_S = 0.5
CHECKS: dict[str, Callable[[object], CheckResult]] = {
    "mcq": lambda a: check_mcq(a, options=["A", "B", "C", "D", "E"], correct=["A", "D"]),
    "numeric": lambda a: check_numeric(a, expected=[0.8, 0.5, 0.0]),
    "numeric_scalar": lambda a: check_numeric(a, expected=-0.145),
    "expression": lambda a: check_expression(
        a,
        expected="2*n*r + log(d_k)",
        variables={"n": P, "r": P, "d_k": P},
        time_limit_s=TIME_LIMIT_S,
    ),
    "asymptotic": lambda a: check_expression(
        a,
        expected="O(n^2 d + n d^2)",
        variables={"n": P, "d": P},
        mode="asymptotic",
        time_limit_s=TIME_LIMIT_S,
    ),
    "ordering": lambda a: check_ordering(a, expected=["A", "B", "C"], partial=True),
    "text": lambda a: check_text(
        a, rubric=[{"id": "kl", "marks": 1, "description": "KL", "keywords": [["kl"]]}]
    ),
}
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_well_behaved(name: str, answer: Any) -> None:
    start = time.monotonic()
    result = CHECKS[name](answer)
    elapsed = time.monotonic() - start
    assert isinstance(result, CheckResult)
    assert 0.0 <= result.fraction <= 1.0
    assert result.feedback
    assert elapsed < TIME_LIMIT_S + 0.5, f"{name} took {elapsed:.2f}s on {answer!r}"


@SETTINGS
@given(answers)
def test_mcq_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("mcq", answer)


@SETTINGS
@given(answers)
def test_numeric_vector_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("numeric", answer)


@SETTINGS
@given(answers)
def test_numeric_scalar_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("numeric_scalar", answer)


@SETTINGS
@given(answers)
def test_expression_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("expression", answer)


@SETTINGS
@given(answers)
def test_asymptotic_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("asymptotic", answer)


@SETTINGS
@given(answers)
def test_ordering_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("ordering", answer)


@SETTINGS
@given(answers)
def test_text_never_raises_or_hangs(answer: Any) -> None:
    _assert_well_behaved("text", answer)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "C", "D", "E", "a", "d", ",", " "]), max_size=8))
def test_mcq_fraction_is_one_exactly_when_the_selection_is_the_key(letters: list[str]) -> None:
    result = check_mcq("".join(letters), options=["A", "B", "C", "D", "E"], correct=["A", "D"])
    if result.mcq is not None:
        assert (result.fraction == 1.0) == (set(result.mcq.selected) == {"A", "D"})
