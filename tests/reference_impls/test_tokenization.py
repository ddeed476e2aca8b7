"""BPE, WordPiece and Unigram against published examples, brute force and replays."""

from __future__ import annotations

import itertools
import math

import pytest

from reference_impls.tokenization import (  # noqa: PLC2701
    BPE,
    END_OF_WORD,
    UNK,
    WORDPIECE_UNK,
    _expected_counts,
    _viterbi,
    bpe_train,
    compare_oov,
    load_corpus,
    pre_tokenize,
    unigram_train,
    wordpiece_tokenize_word,
    wordpiece_train,
)

SENNRICH = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3


@pytest.fixture(scope="module")
def train_words() -> list[str]:
    return pre_tokenize(load_corpus("train"))


def test_bpe_reproduces_the_merges_of_sennrich_et_al() -> None:
    bpe = bpe_train(SENNRICH, 10)
    assert bpe.merges == (
        ("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w"),
        ("n", "e"), ("ne", "w"), ("new", "est</w>"), ("low", "</w>"), ("w", "i"),
    )  # fmt: skip


def test_bpe_applies_the_stored_ordered_merges_to_new_words() -> None:
    bpe = bpe_train(SENNRICH, 10)
    assert bpe.encode_word("lowest") == ["low", "est</w>"]
    assert bpe.encode_word("newer") == ["new", "e", "r", END_OF_WORD]
    assert bpe.encode_word("wider") == ["wi", "d", "e", "r", END_OF_WORD]


def _replay(word: str, merges) -> list[str]:
    """Independent oracle: apply every merge rule once, in learned order, left to right."""
    symbols = [*word, END_OF_WORD]
    for a, b in merges:
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols


def test_bpe_encoding_equals_sequential_replay_of_merges_on_held_out_words(train_words) -> None:
    bpe = bpe_train(train_words, 150)
    assert len(bpe.merges) == 150
    for word in pre_tokenize(load_corpus("heldout")):
        assert bpe.encode_word(word) == _replay(word, bpe.merges)


def test_bpe_merge_order_matters_when_rules_compete_for_a_symbol() -> None:
    # The same set of rules in two orders splits "abc" differently: the vocabulary alone
    # does not determine the tokenization, so the ordered rules must be stored.
    first = BPE((("a", "b"), ("b", "c")), frozenset("abc"))
    second = BPE((("b", "c"), ("a", "b")), frozenset("abc"))
    assert first.vocab == second.vocab
    assert first.encode_word("abc") == ["ab", "c", END_OF_WORD]
    assert second.encode_word("abc") == ["a", "bc", END_OF_WORD]


def test_bpe_unknown_characters_become_unk() -> None:
    assert UNK in bpe_train(SENNRICH, 10).encode_word("lowz")


def test_wordpiece_splits_unaffable_like_bert() -> None:
    vocab = {"un", "##aff", "##able", "aff", "able", "##a"}
    assert wordpiece_tokenize_word("unaffable", vocab) == ["un", "##aff", "##able"]


def test_wordpiece_maps_a_word_with_any_unknown_piece_to_a_single_unk() -> None:
    vocab = {"un", "##aff", "##able"}
    assert wordpiece_tokenize_word("unaffablez", vocab) == [WORDPIECE_UNK]
    assert wordpiece_tokenize_word("x" * 101, vocab | {"x", "##x"}) == [WORDPIECE_UNK]


def test_wordpiece_is_greedy_longest_match_first_not_optimal() -> None:
    # Greedy takes "abc" and is then stuck on "d"; "ab" + "##cd" would have worked.
    vocab = {"abc", "ab", "##cd"}
    assert wordpiece_tokenize_word("abcd", vocab) == [WORDPIECE_UNK]


def test_wordpiece_training_reaches_the_size_and_tokenizes_training_words(train_words) -> None:
    vocab = wordpiece_train(train_words, 200)
    assert len(vocab) == 200
    for w in set(train_words):
        assert WORDPIECE_UNK not in wordpiece_tokenize_word(w, vocab)


def _all_segmentations(word: str, pieces: set[str]):
    for cuts in itertools.product([False, True], repeat=len(word) - 1):
        seg, start = [], 0
        for i, cut in enumerate(cuts, start=1):
            if cut:
                seg.append(word[start:i])
                start = i
        seg.append(word[start:])
        if all(p in pieces for p in seg):
            yield seg


def test_unigram_viterbi_and_forward_backward_match_brute_force() -> None:
    logp = {"a": -2.0, "b": -2.5, "ab": -1.5, "ba": -3.0, "aba": -4.0, "bab": -2.2}
    word = "ababab"
    segs = list(_all_segmentations(word, set(logp)))
    scores = [sum(logp[p] for p in s) for s in segs]
    best_score, best_seg = _viterbi(word, logp, 8, -math.inf)
    assert best_score == pytest.approx(max(scores))
    assert best_seg == segs[scores.index(max(scores))]
    Z = sum(math.exp(s) for s in scores)
    counts = _expected_counts(word, logp, 8)
    for piece in logp:
        expected = (
            sum(math.exp(sc) * seg.count(piece) for seg, sc in zip(segs, scores, strict=True)) / Z
        )
        assert counts.get(piece, 0.0) == pytest.approx(expected, rel=1e-9)


def test_unigram_prunes_a_large_candidate_vocabulary_down_keeping_all_characters(
    train_words,
) -> None:
    model = unigram_train(train_words, vocab_size=120, initial_size=600)
    chars = {c for w in train_words for c in w}
    assert len(model.vocab) == 120
    assert chars <= model.vocab
    assert sum(math.exp(lp) for lp in model.logp.values()) == pytest.approx(1.0)
    for w in set(train_words):
        assert "".join(model.encode_word(w)) == w


def test_unigram_training_is_deterministic(train_words) -> None:
    a = unigram_train(train_words[:120], vocab_size=60, initial_size=200)
    b = unigram_train(train_words[:120], vocab_size=60, initial_size=200)
    assert a.logp == b.logp


def test_subword_tokenizers_have_lower_oov_than_word_level_on_held_out_text() -> None:
    rates = compare_oov(load_corpus("train"), load_corpus("heldout"))
    assert rates.word_level > 0.2
    assert rates.bpe < rates.word_level
    assert rates.wordpiece < rates.word_level
    assert rates.unigram < rates.word_level
