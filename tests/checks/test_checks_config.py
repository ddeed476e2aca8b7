"""Each checker's configuration check: the one it runs before reading an answer, also run by
``grader validate`` through ``config_problems``."""

from __future__ import annotations

import pytest

from grader.checks import (
    CHECKERS,
    ConfigError,
    ConfigProblem,
    check_text,
    config_problems,
    register_checker,
)
from grader.results import CheckResult

RUBRIC = [
    {"id": "kl", "marks": 1, "description": "names the KL penalty", "keywords": [["kl"]]},
    {"id": "ref", "marks": 1, "keywords": []},
]

BAD_CONFIGS: dict[str, tuple[dict[str, object], ConfigProblem]] = {
    "text": (
        {"rubric": RUBRIC},
        ConfigProblem(
            ("rubric", 1, "keywords"),
            "rubric point 2 ('ref') has neither keywords nor a description, so nothing can "
            "match it; give it a description (the text model and TAs read it) or keywords: "
            "[[word or phrase, ...], ...]",
        ),
    ),
    "mcq": (
        {"options": ["A", "B"], "correct": ["C"]},
        ConfigProblem(("correct",), "correct options ['C'] are not among the options ['A', 'B']"),
    ),
    "numeric": (
        {"expected": 1.0, "atol": -1.0},
        ConfigProblem(("atol",), "tolerances must be finite and non-negative, got atol=-1.0"),
    ),
    "ordering": (
        {"expected": ["a", "b", "a"]},
        ConfigProblem(("expected",), "ordering key must list distinct labels, got ['a', 'b', 'a']"),
    ),
    "expression": (
        {"expected": "n +", "variables": {"n": {}}},
        ConfigProblem(
            ("expected",),
            "the expected expression 'n +' cannot be parsed: unexpected end of input after '+'",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_config_problems_names_the_field_and_the_fix(name: str) -> None:
    config, problem = BAD_CONFIGS[name]
    found = config_problems(name, **config)
    assert [p.field for p in found] == [problem.field]
    assert found[0].message.startswith(problem.message.split(":")[0])


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_the_checker_raises_the_same_problems_at_grading_time(name: str) -> None:
    config, _ = BAD_CONFIGS[name]
    with pytest.raises(ConfigError) as raised:
        CHECKERS[name]("anything", **config)
    assert list(raised.value.problems) == config_problems(name, **config)
    assert isinstance(raised.value, ValueError)


def test_a_rubric_point_nothing_can_match_is_a_config_error_even_for_a_blank_answer() -> None:
    with pytest.raises(ConfigError, match="rubric point 2 \\('ref'\\) has neither keywords"):
        check_text("", rubric=RUBRIC)


def test_every_problem_of_a_rubric_is_listed_at_once() -> None:
    rubric = [
        {"id": "a", "marks": -1, "description": "x", "keywords": [["a"]]},
        {"id": "a", "marks": 1, "description": "", "keywords": []},
    ]
    fields = [p.field for p in config_problems("text", rubric=rubric)]
    assert fields == [("rubric", 0, "marks"), ("rubric", 1, "id"), ("rubric", 1, "keywords")]


def test_a_keyword_phrase_without_a_word_would_match_every_answer_and_is_a_problem() -> None:
    rubric = [{"id": "p", "marks": 1, "description": "x", "keywords": [["grad"], ["--"]]}]
    (problem,) = config_problems("text", rubric=rubric)
    assert problem.field == ("rubric", 0, "keywords", 1)
    assert "every answer would match" in problem.message


def test_a_mathematical_symbol_is_a_keyword_of_its_own() -> None:
    rubric = [{"id": "p", "marks": 1, "description": "the gradient", "keywords": [["∇"]]}]
    assert config_problems("text", rubric=rubric) == []
    assert check_text("w_t ∇ log pi", rubric=rubric).rubric_found == ("p",)
    assert check_text("I do not know", rubric=rubric).rubric_found == ()


def test_a_clean_configuration_has_no_problems() -> None:
    assert config_problems("text", rubric=RUBRIC[:1]) == []
    assert config_problems("expression", expected="2*n*r", variables={"n": {}, "r": {}}) == []
    assert config_problems("numeric", expected=[1.0, 2.0], atol=0.1, rtol=0.0) == []


def test_an_expression_reports_every_bad_declaration() -> None:
    found = config_problems(
        "expression",
        expected="n",
        variables={"n": {"weird": True}, "m": {"aliases": ["n"]}},
        functions=["log", "frobnicate"],
        mode="roughly",
    )
    assert [p.field for p in found] == [
        ("mode",),
        ("variables", "n"),
        ("variables", "m"),
        ("functions",),
    ]


def test_a_registered_checker_may_bring_its_config_check() -> None:
    def exact(answer: object, *, key: str) -> CheckResult:
        return CheckResult(
            status="correct" if answer == key else "incorrect", fraction=float(answer == key)
        )

    def exact_config(*, key: str) -> list[ConfigProblem]:
        return [] if key else [ConfigProblem(("key",), "key must not be empty")]

    register_checker("exact_for_config_test", exact, config_check=exact_config)
    assert config_problems("exact_for_config_test", key="") == [
        ConfigProblem(("key",), "key must not be empty")
    ]
    register_checker("exact_for_config_test", exact, replace=True)
    assert config_problems("exact_for_config_test", key="") == []


def test_an_unknown_checker_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no checker named 'nope'"):
        config_problems("nope")
