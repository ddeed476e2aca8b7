"""Scoring policies: pure arithmetic on CheckResults, no sandbox, no checker needed."""

from __future__ import annotations

import pytest

from grader.results import CheckResult, McqSelection
from grader.scoring import score, total


def mcq(selected: tuple[str, ...], correct: tuple[str, ...] = ("A", "D")) -> CheckResult:
    picks = McqSelection(selected=selected, correct=correct, n_options=5)
    exact = set(selected) == set(correct)
    fraction = (
        1.0 if exact else max(0.0, min(1.0, (picks.right_picks - picks.wrong_picks) / len(correct)))
    )
    status = "correct" if exact else "partially_correct" if fraction else "incorrect"
    return CheckResult(status=status, fraction=fraction, mcq=picks, answered=bool(selected))


def result(status: str, fraction: float = 0.0, answered: bool = True) -> CheckResult:
    return CheckResult(status=status, fraction=fraction, answered=answered)  # type: ignore[arg-type]


def test_all_or_nothing_gives_full_marks_for_exactly_the_correct_set() -> None:
    assert score(mcq(("A", "D")), marks=2.0) == 2.0


def test_all_or_nothing_gives_zero_when_one_option_is_missing() -> None:
    assert score(mcq(("A",)), marks=2.0) == 0.0


def test_all_or_nothing_gives_zero_when_an_extra_option_is_ticked() -> None:
    assert score(mcq(("A", "B", "D")), marks=2.0) == 0.0


def test_partial_gives_marks_times_fraction() -> None:
    assert score(mcq(("A",)), marks=2.0, policy="partial") == 1.0


def test_partial_cancels_a_right_pick_with_a_wrong_one() -> None:
    assert score(mcq(("A", "B")), marks=2.0, policy="partial") == 0.0


def test_negative_marking_subtracts_penalty_per_wrong_pick() -> None:
    # 2 * (1/2 - 0.25 * 1) = 0.5
    assert score(mcq(("A", "B")), marks=2.0, policy="negative", penalty=0.25) == 0.5


def test_negative_marking_stops_at_the_floor() -> None:
    assert (
        score(mcq(("B", "C", "E")), marks=2.0, policy="negative", penalty=0.5, floor=-1.0) == -1.0
    )


def test_negative_marking_with_default_floor_never_goes_below_zero() -> None:
    assert score(mcq(("B", "C")), marks=2.0, policy="negative") == 0.0


def test_negative_marking_gives_full_marks_for_the_exact_set() -> None:
    assert score(mcq(("A", "D")), marks=2.0, policy="negative") == 2.0


def test_negative_marking_never_penalises_a_blank_answer() -> None:
    assert score(mcq(()), marks=2.0, policy="negative", floor=-2.0) == 0.0
    assert (
        score(result("incorrect", answered=False), marks=2.0, policy="negative", floor=-2.0) == 0.0
    )


def test_negative_marking_penalises_a_wrong_non_mcq_answer() -> None:
    assert (
        score(result("incorrect"), marks=2.0, policy="negative", penalty=0.25, floor=-1.0) == -0.5
    )


def test_numeric_all_or_nothing_gives_marks_only_when_correct() -> None:
    assert score(result("correct", 1.0), marks=3.0) == 3.0
    assert score(result("partially_correct", 2 / 3), marks=3.0) == 0.0


def test_partial_vector_answer_scores_its_share() -> None:
    assert score(result("partially_correct", 2 / 3), marks=3.0, policy="partial") == 2.0


@pytest.mark.parametrize("status", ["invalid", "unchecked"])
@pytest.mark.parametrize("policy", ["all_or_nothing", "partial", "negative"])
def test_invalid_and_unchecked_score_zero_under_every_policy(status: str, policy: str) -> None:
    assert score(result(status), marks=2.0, policy=policy, floor=-2.0) == 0.0  # type: ignore[arg-type]


def test_needs_review_scores_the_provisional_share_under_any_policy() -> None:
    assert score(result("needs_review", 0.5), marks=4.0) == 2.0


def test_scores_are_rounded_to_nine_decimals() -> None:
    assert score(result("partially_correct", 1 / 3), marks=1.0, policy="partial") == 0.333333333


def test_total_sums_exactly() -> None:
    assert total([0.1] * 10) == 1.0
    assert total([]) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"marks": -1.0}, "marks must not be negative"),
        ({"marks": float("nan")}, "finite"),
        ({"marks": 1.0, "policy": "generous"}, "policy"),
        ({"marks": 1.0, "penalty": -0.1}, "penalty"),
        ({"marks": 1.0, "floor": 0.5}, "floor"),
        ({"marks": 1.0, "floor": -2.0}, "floor"),
    ],
)
def test_bad_scoring_parameters_raise_clear_value_errors(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        score(result("correct", 1.0), **kwargs)  # type: ignore[arg-type]


def test_total_rejects_a_non_finite_score() -> None:
    with pytest.raises(ValueError, match="finite"):
        total([1.0, float("inf")])


def test_a_bank_without_a_penalty_gets_the_same_penalty_as_score() -> None:
    """The schema's default penalty and ``score``'s are one value: a question that says only
    ``policy: negative`` loses the same per wrong pick whichever way it is scored."""
    from grader.schema.questions import Scoring

    scoring = Scoring.model_validate({"policy": "negative"})
    wrong = mcq(("A", "B"))
    assert score(wrong, marks=2.0, policy="negative") == score(
        wrong, marks=2.0, policy="negative", penalty=scoring.penalty
    )
    assert scoring.penalty == 0.5
