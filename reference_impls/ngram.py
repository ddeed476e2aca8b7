"""A trigram language model: counts, add-k smoothing, sentence probability and perplexity.

Quiz Question 1 defines, for a sentence S = t_1 .. t_n,

    P(S)   = P(t_1) P(t_2 | t_1) prod_{i=3}^{n} P(t_i | t_{i-1}, t_{i-2})
    PPL(S) = P(S)^(-1/n)

with no sentence-boundary padding; ``pad=True`` instead scores <s> <s> t_1 .. t_n </s>
with trigrams throughout (n then counts t_1..t_n and </s>). Estimates, with add-k smoothing
(k = 0 is maximum likelihood) over a vocabulary of V types:

    P(w)       = (c(w) + k) / (M + k V)                  M = number of tokens
    P(w | u)   = (c(u, w) + k) / (c(u, .) + k V)         c(u, .) = bigrams starting with u
    P(w | u v) = (c(u, v, w) + k) / (c(u, v, .) + k V)

History counts c(u, .) are counts of the n-gram prefixes, so each conditional sums to one
over the vocabulary even at sentence ends. An unseen history with k = 0 gives probability 0
(0/0 is read as 0). Perplexity is computed in log space, exp(-log P(S) / n).

Checked against hand-computed fractions on a toy corpus and against the quiz formula.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "BOS",
    "EOS",
    "TrigramCounts",
    "count_trigrams",
    "unigram_prob",
    "bigram_prob",
    "trigram_prob",
    "sentence_logprob",
    "sentence_prob",
    "perplexity",
]

BOS, EOS = "<s>", "</s>"


class TrigramCounts(NamedTuple):
    """n-gram counts of a corpus (tuples of tokens as keys) and its vocabulary."""

    unigrams: Counter[tuple[str, ...]]
    bigrams: Counter[tuple[str, ...]]
    trigrams: Counter[tuple[str, ...]]
    bigram_histories: Counter[tuple[str, ...]]
    """c(u, .): how many bigrams start with u."""
    trigram_histories: Counter[tuple[str, ...]]
    """c(u, v, .): how many trigrams start with (u, v)."""
    vocab: frozenset[str]
    """Token types (including </s> when padded; <s> is never predicted so not included)."""
    pad: bool


def _padded(sentence: Sequence[str], pad: bool) -> list[str]:
    return [BOS, BOS, *sentence, EOS] if pad else list(sentence)


def count_trigrams(corpus: Sequence[Sequence[str]], pad: bool = False) -> TrigramCounts:
    """Count unigrams, bigrams and trigrams within each sentence (list of tokens) of ``corpus``."""
    uni: Counter[tuple[str, ...]] = Counter()
    bi: Counter[tuple[str, ...]] = Counter()
    tri: Counter[tuple[str, ...]] = Counter()
    for sentence in corpus:
        toks = _padded(sentence, pad)
        uni.update((t,) for t in toks if t != BOS)
        bi.update(zip(toks, toks[1:], strict=False))
        tri.update(zip(toks, toks[1:], toks[2:], strict=False))
    bi_hist: Counter[tuple[str, ...]] = Counter()
    for (u, _), c in bi.items():
        bi_hist[(u,)] += c
    tri_hist: Counter[tuple[str, ...]] = Counter()
    for (u, v, _), c in tri.items():
        tri_hist[(u, v)] += c
    vocab = frozenset(t for (t,) in uni)
    return TrigramCounts(uni, bi, tri, bi_hist, tri_hist, vocab, pad)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0  # 0/0 (unseen history, k = 0) -> 0


def unigram_prob(counts: TrigramCounts, w: str, k: float = 0.0) -> float:
    """P(w) = (c(w) + k) / (M + k V)."""
    M = sum(counts.unigrams.values())
    return _ratio(counts.unigrams[(w,)] + k, M + k * len(counts.vocab))


def bigram_prob(counts: TrigramCounts, w: str, u: str, k: float = 0.0) -> float:
    """P(w | u) = (c(u, w) + k) / (c(u, .) + k V)."""
    return _ratio(counts.bigrams[(u, w)] + k, counts.bigram_histories[(u,)] + k * len(counts.vocab))


def trigram_prob(counts: TrigramCounts, w: str, u: str, v: str, k: float = 0.0) -> float:
    """P(w | u v) = (c(u, v, w) + k) / (c(u, v, .) + k V), with u = t_{i-2}, v = t_{i-1}."""
    return _ratio(
        counts.trigrams[(u, v, w)] + k, counts.trigram_histories[(u, v)] + k * len(counts.vocab)
    )


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def sentence_logprob(counts: TrigramCounts, sentence: Sequence[str], k: float = 0.0) -> float:
    """log P(S); unpadded: log P(t1) + log P(t2|t1) + sum_{i>=3} log P(ti | t_{i-2} t_{i-1})."""
    if counts.pad:
        toks = _padded(sentence, True)
        return sum(
            _log(trigram_prob(counts, toks[i], toks[i - 2], toks[i - 1], k))
            for i in range(2, len(toks))
        )
    t = list(sentence)
    if not t:
        raise ValueError("cannot score an empty sentence")
    logp = _log(unigram_prob(counts, t[0], k))  # P(t_1)
    if len(t) > 1:
        logp += _log(bigram_prob(counts, t[1], t[0], k))  # P(t_2 | t_1)
    for i in range(2, len(t)):
        logp += _log(trigram_prob(counts, t[i], t[i - 2], t[i - 1], k))  # P(t_i | t_{i-2}, t_{i-1})
    return logp


def sentence_prob(counts: TrigramCounts, sentence: Sequence[str], k: float = 0.0) -> float:
    """P(S) = exp(log P(S))."""
    return math.exp(sentence_logprob(counts, sentence, k))


def perplexity(counts: TrigramCounts, sentence: Sequence[str], k: float = 0.0) -> float:
    """PPL(S) = P(S)^(-1/n) = exp(-log P(S) / n); n = len(S) (+1 for </s> when padded)."""
    n = len(sentence) + (1 if counts.pad else 0)
    return math.exp(-sentence_logprob(counts, sentence, k) / n)
