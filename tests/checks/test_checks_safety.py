"""Hostile answers: huge powers, megabyte strings, deep nesting, code. Never a hang or crash."""

from __future__ import annotations

import pathlib
import re
import time

import pytest

from grader.checks import check_expression, check_numeric
from grader.checks._mathparse import NameTable, parse_math
from grader.checks._symbolic import symbolic_equivalent

P = {"positive": True}
VARIABLES = {"n": P, "d": P}
HOSTILE = {
    "tower of powers": "9**9**9**9",
    "tower of powers with a variable": "n^(9^9^9)",
    "one megabyte": "n" * 1_000_000,
    "ten thousand brackets": "(" * 10_000 + "n" + ")" * 10_000,
    "two hundred brackets": "(" * 200 + "n" + ")" * 200,
    "deep unary minus": "-" * 500 + "n",
    "deep powers": "n^" * 300 + "2",
}


@pytest.mark.parametrize("answer", HOSTILE.values(), ids=HOSTILE.keys())
def test_expression_hostile_input_is_unchecked_within_the_time_limit(answer: str) -> None:
    start = time.monotonic()
    result = check_expression(answer, expected="n*d", variables=VARIABLES, time_limit_s=1.0)
    assert time.monotonic() - start < 1.5
    assert result.status == "unchecked"
    assert result.feedback.startswith("Could not check this answer")


@pytest.mark.parametrize(
    "answer", ["9**9**9**9", "1" * 1_000_000, "(" * 10_000 + "1" + ")" * 10_000, "2^2^2^2^2^2"]
)
def test_numeric_hostile_input_is_unchecked_quickly(answer: str) -> None:
    start = time.monotonic()
    result = check_numeric(answer, expected=1.0)
    assert time.monotonic() - start < 0.5
    assert result.status == "unchecked"


def test_asymptotic_expansion_with_too_many_terms_is_unchecked() -> None:
    result = check_expression(
        "O((n + d + 1)^30 (n + d + 2)^30)", expected="O(n)", variables=VARIABLES, mode="asymptotic"
    )
    assert result.status == "unchecked"


def test_code_in_an_answer_is_read_as_math_and_never_run(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "pwned"
    for payload in (
        f"__import__('os').system('touch {marker}')",
        f"exec(\"open('{marker}', 'w')\")",
        "().__class__.__bases__[0].__subclasses__()",
        f"\\input{{{marker}}}",
    ):
        result = check_expression(payload, expected="n", variables=VARIABLES)
        assert result.status == "invalid"
    assert not marker.exists()


def test_checker_source_never_calls_eval_exec_or_sympify() -> None:
    source_dir = pathlib.Path(__file__).parents[2] / "grader" / "checks"
    forbidden = re.compile(r"\b(sympify|parse_expr|parse_latex|eval|exec|lambdify)\s*\(")
    for path in source_dir.glob("*.py"):
        assert not forbidden.search(path.read_text()), path.name


def test_symbolic_step_is_killed_at_its_time_limit() -> None:
    names = NameTable(variables={c: c for c in "abcd"}, functions=frozenset({"log"}))
    slow = parse_math("(a+b+c+d)^24 + log(a b) - log(a) - log(b)", names)  # sympy needs > 8 s
    zero = parse_math("0", names)
    start = time.monotonic()
    verdict = symbolic_equivalent(
        slow, zero, variables={c: P for c in "abcd"}, mode="exact", time_limit_s=0.2
    )
    assert verdict == "timeout"
    assert time.monotonic() - start < 2.0


def test_sympy_decides_when_random_points_cannot() -> None:
    # Every sample point of n in 1..9 divides by zero, so the numeric check has no evidence.
    product = "((n-1)*(n-2)*(n-3)*(n-4)*(n-5)*(n-6)*(n-7)*(n-8)*(n-9))"
    result = check_expression(
        f"{product}/{product}", expected="1", variables={"n": {"positive": True, "integer": True}}
    )
    assert result.status == "correct"


def test_unevaluable_answer_that_sympy_cannot_settle_is_unchecked_for_a_ta() -> None:
    product = "((n-1)*(n-2)*(n-3)*(n-4)*(n-5)*(n-6)*(n-7)*(n-8)*(n-9))"
    result = check_expression(
        f"{product}/{product} + 1",
        expected="1",
        variables={"n": {"positive": True, "integer": True}},
    )
    assert result.status == "unchecked"
    assert result.author_note is not None


def test_same_answer_always_gets_the_same_result() -> None:
    results = {
        check_expression("n d + 1", expected="n*d", variables=VARIABLES).model_dump_json()
        for _ in range(3)
    }
    assert len(results) == 1
