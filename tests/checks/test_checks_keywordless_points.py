"""The keyword checker with rubric points that have only a description: never an error, the
answer stays provisional, and the feedback names the points left to the model or a TA."""

from __future__ import annotations

from grader.checks import check_text, config_problems
from grader.checks._text import keywordless_points

RUBRIC = [
    {"id": "kl", "marks": 1, "description": "names the KL penalty", "keywords": [["kl"]]},
    {"id": "ref", "marks": 1, "description": "keeps the policy close", "examples": ["stay near"]},
]


def test_a_point_with_only_a_description_is_no_config_problem() -> None:
    assert config_problems("text", rubric=RUBRIC) == []
    assert keywordless_points(RUBRIC) == [(1, "ref")]


def test_an_answer_stays_needs_review_and_the_feedback_names_the_point_left_open() -> None:
    result = check_text("A KL penalty keeps the policy close to the reference.", rubric=RUBRIC)
    assert (result.status, result.fraction, result.rubric_found) == ("needs_review", 0.5, ("kl",))
    assert result.feedback == (
        "Provisional score; a TA will review this answer. Points found: names the KL penalty. "
        "Points the keywords cannot check (the text model or a TA decides them): keeps the "
        "policy close."
    )


def test_a_rubric_of_only_keywordless_points_scores_zero_for_review() -> None:
    result = check_text("anything", rubric=RUBRIC[1:])
    assert (result.status, result.fraction, result.rubric_found) == ("needs_review", 0.0, ())


def test_a_blank_answer_is_still_unanswered_and_needs_no_review() -> None:
    result = check_text("  ", rubric=RUBRIC)
    assert (result.status, result.answered) == ("incorrect", False)
