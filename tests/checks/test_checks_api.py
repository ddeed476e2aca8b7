"""The public surface of grader.checks and the checker registry."""

from __future__ import annotations

import pytest

import grader.checks as checks
from grader.checks import CHECKERS, check_expression, check_numeric, register_checker
from grader.results import CheckResult


def test_public_names_are_exactly_the_documented_ones() -> None:
    assert sorted(checks.__all__) == sorted(
        [
            "CHECKERS",
            "DEFAULT_FUNCTIONS",
            "CheckerCall",
            "Checker",
            "ConfigCheck",
            "ConfigError",
            "ConfigProblem",
            "check_expression",
            "check_mcq",
            "check_numeric",
            "check_ordering",
            "check_text",
            "checker_calls",
            "config_problems",
            "register_checker",
        ]
    )


def test_registry_holds_the_built_in_checkers_by_name() -> None:
    assert set(CHECKERS) >= {"mcq", "numeric", "expression", "ordering", "text"}
    assert CHECKERS["numeric"] is check_numeric


def test_registry_view_cannot_be_written_to_directly() -> None:
    with pytest.raises(TypeError):
        CHECKERS["x"] = check_numeric  # type: ignore[index]


def test_register_checker_adds_a_custom_checker() -> None:
    def always_right(answer: object) -> CheckResult:
        return CheckResult(status="correct", fraction=1.0)

    register_checker("always_right_for_test", always_right)
    assert CHECKERS["always_right_for_test"] is always_right


def test_register_checker_refuses_to_replace_silently() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_checker("numeric", check_numeric)


def test_register_checker_rejects_a_bad_name() -> None:
    with pytest.raises(ValueError, match="identifier"):
        register_checker("not a name", check_numeric)


def test_unparsable_key_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="cannot be parsed"):
        check_expression("n", expected="n +", variables={"n": {}})


def test_key_using_an_undeclared_symbol_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="unknown symbol 'm'"):
        check_expression("n", expected="n + m", variables={"n": {}})


def test_unknown_mode_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="mode"):
        check_expression("n", expected="n", variables={"n": {}}, mode="roughly")  # type: ignore[arg-type]


def test_clashing_aliases_are_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="also names"):
        check_expression("n", expected="n", variables={"n": {}, "m": {"aliases": ["n"]}})


def test_negative_tolerance_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="tolerances"):
        check_numeric(1, expected=1, rtol=-1.0)


def test_mcq_key_outside_the_options_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="not among the options"):
        checks.check_mcq("A", options=["A", "B"], correct=["C"])
