"""The whole analysis: code and answer evidence joined per pair, ranked, grouped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grader.similarity.answer_pairs import answer_matches, chance_bar, pair_digits, wrong_slots
from grader.similarity.code_pairs import code_matches
from grader.similarity.model import AnswerKind, PairEvidence, SimilarityReport, StudentWork

__all__ = ["DEFAULT_THRESHOLD", "analyse"]

DEFAULT_THRESHOLD = 0.4
"""Least share of one student's code fingerprints (stub removed) found in the other's."""


def _clusters(pairs: Sequence[PairEvidence]) -> tuple[tuple[str, ...], ...]:
    """Connected groups of more than two students (union-find over the flagged pairs)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p.a)] = root(p.b)
    groups: dict[str, list[str]] = {}
    for s in parent:
        groups.setdefault(root(s), []).append(s)
    return tuple(sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 2))


def analyse(
    exam: str,
    works: Sequence[StudentWork],
    kinds: Mapping[str, AnswerKind],
    given: Mapping[str, Sequence[str]],
    threshold: float = DEFAULT_THRESHOLD,
) -> SimilarityReport:
    """Every pair worth a person's look, strongest evidence first.

    A pair is kept when its code for a slot shares at least ``threshold`` (either way),
    when text answers are near-identical, when a wrong answer is another variant's key, or
    when its shared rare wrong answers pass ``chance_bar`` for the class."""
    code = code_matches(works, given, threshold)
    answers = answer_matches(works, kinds)
    bar = chance_bar(len(works))
    wrong = wrong_slots(works, kinds)
    pairs = []
    for pair in sorted(set(code) | set(answers)):
        found = answers.get(pair, [])
        digits = pair_digits(found, (wrong[pair[0]] & wrong[pair[1]]).bit_count())
        strong = any(m.reason in ("near-identical text", "other variant's key") for m in found)
        if pair in code or strong or digits >= bar:
            pairs.append(PairEvidence(pair[0], pair[1], tuple(code.get(pair, ())), tuple(found)))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return SimilarityReport(exam, len(works), threshold, tuple(pairs), _clusters(pairs))
