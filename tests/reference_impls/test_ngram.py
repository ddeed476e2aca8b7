"""Trigram model against hand-computed fractions and the quiz's perplexity formula."""

from __future__ import annotations

import math

import pytest

from reference_impls.ngram import (
    bigram_prob,
    count_trigrams,
    perplexity,
    sentence_logprob,
    sentence_prob,
    trigram_prob,
    unigram_prob,
)

CORPUS = [
    "the cat sat on the mat".split(),
    "the cat ate the rat".split(),
    "a cat sat on a hat".split(),
]


def test_maximum_likelihood_probabilities_match_hand_counts() -> None:
    c = count_trigrams(CORPUS)
    assert unigram_prob(c, "the") == pytest.approx(4 / 17)  # 17 tokens, "the" 4 times
    assert bigram_prob(c, "cat", "the") == pytest.approx(2 / 4)  # the->cat 2 of 4 "the ." bigrams
    assert trigram_prob(c, "sat", "the", "cat") == pytest.approx(1 / 2)
    assert trigram_prob(c, "on", "cat", "sat") == pytest.approx(1.0)


def test_sentence_probability_follows_the_quiz_definition_without_padding() -> None:
    c = count_trigrams(CORPUS)
    s = "the cat sat on a hat".split()
    expected = (
        unigram_prob(c, "the")  # P(t1)
        * bigram_prob(c, "cat", "the")  # P(t2 | t1)
        * trigram_prob(c, "sat", "the", "cat")
        * trigram_prob(c, "on", "cat", "sat")
        * trigram_prob(c, "a", "sat", "on")
        * trigram_prob(c, "hat", "on", "a")
    )
    assert expected == pytest.approx(4 / 17 * 2 / 4 * 1 / 2 * 1 * 1 / 2 * 1)
    assert sentence_prob(c, s) == pytest.approx(expected)
    assert perplexity(c, s) == pytest.approx(expected ** (-1 / 6))  # PPL = P(S)^(-1/n)


def test_add_k_conditionals_sum_to_one_over_the_vocabulary() -> None:
    c = count_trigrams(CORPUS)
    for k in (0.5, 1.0):
        assert sum(trigram_prob(c, w, "the", "cat", k) for w in c.vocab) == pytest.approx(1.0)
        assert sum(trigram_prob(c, w, "zebra", "cat", k) for w in c.vocab) == pytest.approx(1.0)
        assert sum(bigram_prob(c, w, "on", k) for w in c.vocab) == pytest.approx(1.0)
        assert sum(unigram_prob(c, w, k) for w in c.vocab) == pytest.approx(1.0)


def test_add_one_smoothing_matches_the_laplace_formula() -> None:
    c = count_trigrams(CORPUS)
    V = len(c.vocab)  # the cat sat on mat ate rat a hat = 9
    assert V == 9
    assert trigram_prob(c, "mat", "the", "cat", k=1.0) == pytest.approx((0 + 1) / (2 + 9))


def test_unseen_trigram_gives_zero_probability_and_infinite_perplexity_without_smoothing() -> None:
    c = count_trigrams(CORPUS)
    s = "the cat sat on the hat".split()
    assert sentence_prob(c, s) == 0.0 and math.isinf(perplexity(c, s))
    assert math.isfinite(perplexity(c, s, k=1.0))


def test_perplexity_is_computed_in_log_space_for_long_sentences() -> None:
    c = count_trigrams(CORPUS)
    long = ("the cat sat on the mat " * 200).split()
    ppl = perplexity(c, long, k=1.0)
    assert math.isfinite(ppl) and ppl > 1.0
    assert ppl == pytest.approx(math.exp(-sentence_logprob(c, long, k=1.0) / len(long)))


def test_padded_model_scores_boundaries_with_trigrams() -> None:
    c = count_trigrams(CORPUS, pad=True)
    s = "the cat ate the rat".split()
    # P(the|<s><s>) = 2/3, P(cat|<s> the) = 1, P(ate|the cat) = 1/2, P(the|cat ate) = 1,
    # P(rat|ate the) = 1, P(</s>|the rat) = 1
    assert sentence_prob(c, s) == pytest.approx(2 / 3 * 1 / 2)
    assert perplexity(c, s) == pytest.approx((2 / 3 * 1 / 2) ** (-1 / 6))
