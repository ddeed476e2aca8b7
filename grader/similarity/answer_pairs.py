"""Non-code answers two students share beyond what chance explains in this class.

* The same wrong value (numeric, expression, ordering, MCQ choice): evidence in decimal
  digits of improbability, ``log10(1/p)``, where ``p`` is how often the rest of the class
  gave that wrong value (add-one smoothed, the pair itself left out). Identical correct
  answers are expected and never counted; a wrong value many students gave is a common
  mistake, not a copy.
* A wrong answer that is exactly another student's correct answer for *their* variant:
  strong evidence, always reported.
* The same choices on every MCQ, when the product of the class's choice frequencies makes
  that improbable.
* Near-identical wording of a text answer: Jaccard similarity of character 5-grams.

Answers the pair share are only shown when they are beyond chance for the whole class: the
improbability must exceed ``log10(number of pairs) + 1`` digits (a Bonferroni bound: fewer
than one class in ten would show it by chance), unless code or text already makes the pair.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations

from grader.similarity.code_pairs import common_limit
from grader.similarity.model import AnswerKind, AnswerMatch, StudentWork

__all__ = [
    "TEXT_SIMILARITY",
    "MIN_TEXT_CHARS",
    "chance_bar",
    "answer_matches",
    "pair_digits",
    "value_key",
    "wrong_slots",
]

TEXT_SIMILARITY = 0.7
"""Least 5-gram Jaccard similarity of two text answers reported as near-identical."""
MIN_TEXT_CHARS = 40
"""Shorter text answers are not compared: short answers agree by themselves."""
_SHINGLE = 5
_VARIANT_KEY_BONUS = 1.0
"""Extra digits for a wrong answer that is exactly another variant's key."""


def value_key(kind: AnswerKind, text: str) -> str:
    """The answer as compared: MCQ choices as a sorted set, other values without spaces or
    case (``"A, D"`` and ``"d,a"`` are the same choice)."""
    if kind == "mcq":
        return ",".join(sorted({c for c in re.split(r"[\s,;\[\]'\"]+", text.upper()) if c}))
    return re.sub(r"\s+", "", text).lower()


def chance_bar(students: int) -> float:
    """Digits of improbability a pair's shared answers need, in a class of ``students``."""
    pairs = max(1, students * (students - 1) // 2)
    return math.log10(pairs) + 1


def wrong_slots(works: Sequence[StudentWork], kinds: Mapping[str, AnswerKind]) -> dict[str, int]:
    """Student -> bit mask of the value slots (not text, not code) answered and wrong."""
    order = [s for s, k in sorted(kinds.items()) if k not in ("text", "code")]
    masks = {}
    for w in works:
        masks[w.student] = sum(
            1 << i
            for i, s in enumerate(order)
            if w.answers.get(s, "").strip() and s not in w.correct
        )
    return masks


def pair_digits(matches: Sequence[AnswerMatch], both_wrong: int) -> float:
    """Digits of improbability of a pair's shared values, the chance of where they agree
    counted: the product of each shared wrong value's frequency, times the number of ways
    to pick that many slots among the ``both_wrong`` slots both got wrong
    (``log10(1/prod p) - log10(C(m, k))``); MCQ patterns add their own digits."""
    rare = [m for m in matches if m.reason == "rare wrong answer"]
    other = [m for m in matches if m.reason in ("rare MCQ pattern", "other variant's key")]
    digits = sum(m.weight for m in rare) - math.log10(
        math.comb(max(both_wrong, len(rare)), len(rare))
    )
    return max(0.0, digits) + sum(m.weight for m in other)


def _p_other(count: int, answered: int) -> float:
    """How often the rest of the class (the pair left out) gave this value, add-one smoothed."""
    return (count - 2 + 1) / max(1, answered - 2 + 1)


def _shared_values(
    works: Sequence[StudentWork], kinds: Mapping[str, AnswerKind]
) -> dict[tuple[str, str], list[AnswerMatch]]:
    limit = common_limit(len(works))
    found: dict[tuple[str, str], list[AnswerMatch]] = defaultdict(list)
    for slot, kind in sorted(kinds.items()):
        if kind in ("text", "code"):
            continue
        given = [(w, w.answers[slot]) for w in works if w.answers.get(slot, "").strip()]
        wrong: dict[str, list[tuple[StudentWork, str]]] = defaultdict(list)
        right: dict[str, list[StudentWork]] = defaultdict(list)
        for w, text in given:
            key = value_key(kind, text)
            (right[key].append(w) if slot in w.correct else wrong[key].append((w, text)))
        for key, holders in wrong.items():
            keyed = right.get(key, [])[:limit]
            for h, text in holders:  # wrong for h, the key of someone else's variant
                for other in (w for w in keyed if w.variant != h.variant):
                    p = _p_other(len(holders) + len(keyed), len(given))
                    a, b = sorted((h.student, other.student))
                    found[(a, b)].append(
                        AnswerMatch(
                            slot,
                            "other variant's key",
                            text if a == h.student else other.answers[slot],
                            other.answers[slot] if a == h.student else text,
                            round(math.log10(1 / p) + _VARIANT_KEY_BONUS, 4),
                            f"{h.student}'s answer is correct for {other.student}'s variant, "
                            f"not for {h.student}'s own",
                        )
                    )
            if not 2 <= len(holders) <= limit:
                continue
            weight = round(math.log10(1 / _p_other(len(holders), len(given))), 4)
            for (wa, ta), (wb, tb) in combinations(sorted(holders, key=lambda x: x[0].student), 2):
                found[(wa.student, wb.student)].append(
                    AnswerMatch(slot, "rare wrong answer", ta, tb, weight)
                )
    return found


def _mcq_patterns(
    works: Sequence[StudentWork], kinds: Mapping[str, AnswerKind]
) -> dict[tuple[str, str], list[AnswerMatch]]:
    slots = sorted(s for s, k in kinds.items() if k == "mcq")
    found: dict[tuple[str, str], list[AnswerMatch]] = defaultdict(list)
    if len(slots) < 3:
        return found
    answered = [w for w in works if all(w.answers.get(s, "").strip() for s in slots)]
    freq = {s: Counter(value_key("mcq", w.answers[s]) for w in answered) for s in slots}
    groups: dict[tuple[str, ...], list[StudentWork]] = defaultdict(list)
    for w in answered:
        groups[tuple(value_key("mcq", w.answers[s]) for s in slots)].append(w)
    limit = common_limit(len(works))
    for pattern, holders in groups.items():
        if not 2 <= len(holders) <= limit or all(s in holders[0].correct for s in slots):
            continue
        digits = sum(
            math.log10(1 / _p_other(freq[s][v], len(answered)))
            for s, v in zip(slots, pattern, strict=True)
        )
        text = " | ".join(pattern)
        for wa, wb in combinations(sorted(holders, key=lambda w: w.student), 2):
            found[(wa.student, wb.student)].append(
                AnswerMatch(
                    "+".join(slots),
                    "rare MCQ pattern",
                    text,
                    text,
                    round(digits, 4),
                    "the same choices on every MCQ",
                )
            )
    return found


def _shingles(text: str) -> set[str]:
    flat = re.sub(r"\s+", " ", text.lower()).strip()
    return {flat[i : i + _SHINGLE] for i in range(len(flat) - _SHINGLE + 1)}


def _near_identical_text(
    works: Sequence[StudentWork], kinds: Mapping[str, AnswerKind]
) -> dict[tuple[str, str], list[AnswerMatch]]:
    limit = common_limit(len(works))
    found: dict[tuple[str, str], list[AnswerMatch]] = defaultdict(list)
    for slot in sorted(s for s, k in kinds.items() if k == "text"):
        sets: dict[str, set[str]] = {}
        texts: dict[str, str] = {}
        index: dict[str, list[str]] = defaultdict(list)
        for w in works:
            text = w.answers.get(slot, "")
            if len(text.strip()) < MIN_TEXT_CHARS:
                continue
            sets[w.student], texts[w.student] = _shingles(text), text
            for sh in sets[w.student]:
                index[sh].append(w.student)
        shared: Counter[tuple[str, str]] = Counter()
        for holders in index.values():
            if 2 <= len(holders) <= limit:
                shared.update(combinations(sorted(holders), 2))
        for (a, b), count in shared.items():
            smaller = min(len(sets[a]), len(sets[b]))
            if count < TEXT_SIMILARITY * smaller * 0.5:
                continue  # cannot reach the threshold: most shingles would have to be common
            both = len(sets[a] & sets[b])
            jaccard = both / len(sets[a] | sets[b])
            if jaccard >= TEXT_SIMILARITY:
                found[(a, b)].append(
                    AnswerMatch(slot, "near-identical text", texts[a], texts[b], round(jaccard, 4))
                )
    return found


def answer_matches(
    works: Sequence[StudentWork], kinds: Mapping[str, AnswerKind]
) -> dict[tuple[str, str], list[AnswerMatch]]:
    """Every pair (a < b) with shared answers that are evidence, and those answers.

    Shared wrong values and MCQ patterns are returned for every pair that has them; the
    caller keeps them where they pass ``chance_bar`` or where other evidence makes the pair
    (see ``analyse``)."""
    out: dict[tuple[str, str], list[AnswerMatch]] = defaultdict(list)
    for part in (
        _shared_values(works, kinds),
        _mcq_patterns(works, kinds),
        _near_identical_text(works, kinds),
    ):
        for pair, matches in part.items():
            out[pair].extend(matches)
    return dict(out)
