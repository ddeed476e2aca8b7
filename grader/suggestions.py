"""Suggested marks for one answer group: the rubric points it probably earns, the marks they
add up to and how sure the suggestion is. A suggestion is a value only; it never sets a mark.

Two signals, blended per rubric point:

1. **The rubric signal.** The answer's embedding (a group's representative, or the mean of its
   members' unit embeddings) is compared (cosine) with the point's description and each of
   its examples; the best of these, ``positive``, becomes a score in [0, 1] on a linear ramp
   from ``SIMILARITY_LOW`` (score 0) to ``SIMILARITY_HIGH`` (score 1). When the answer is
   closer to a counter-example than to the description and every example (``negative >
   positive``), the score is capped just below ``AWARD_THRESHOLD`` and lowered further by
   the gap on the same ramp, so such an answer never earns the point from the rubric alone.
   When the point has keywords and the keyword rubric's finding is given (``found``), the
   rubric score is the mean of that score and the keyword match (1 found, 0 not): the
   author's keywords and the answer's meaning weigh equally, so a keyword match alone, or a
   close paraphrase alone, sits at the threshold and the two together earn the point.
2. **The TA's decisions.** The ``K_NEIGHBOURS`` decided groups most similar to the answer
   (cosine, ties by order given) vote, each with weight ``w = ((s - NEIGHBOUR_FLOOR) / (1 -
   NEIGHBOUR_FLOOR))²`` for similarity ``s`` above ``NEIGHBOUR_FLOOR`` (0 below). A decision
   whose answer has the other polarity (``answer_groups.is_negated``) never votes: "is
   permutation-invariant" says nothing about "is not permutation-invariant". A neighbour's
   vote for a point is 1 when the TA ticked it, 0 when not; a decision given as marks only
   (no points) votes on the marks, not on the points.

The blend: with ``W`` the neighbours' total weight, the neighbours count ``α = W / (W +
NEIGHBOUR_PRIOR)`` and the rubric ``1 - α``. No decision gives α = 0 (the rubric alone); one
identical decided answer gives α = 0.8, and α grows towards 1 as close decisions
accumulate, so the TA's own marking soon dominates. Per point, the blended score is ``(1 -
α)·rubric + α·vote`` (here ``W`` counts only the decisions that ticked points); the point
is suggested when it is at least ``AWARD_THRESHOLD``.

Marks: ``(1 - α)·(the suggested points' marks) + α·(the neighbours' weighted mean marks)``,
rounded to the nearest multiple of ``step`` (so part of a point can be awarded, in steps)
and clipped to [0, question marks].

Confidence in [0, 1]: per point, the blended score's distance from ``AWARD_THRESHOLD`` as a
share of the most it could be, times ``1 - α·|rubric - vote|`` (the rubric and the
neighbours agreeing), capped at ``POLARITY_CAP`` (lifted by same-polarity neighbours) when
the answer is negated and near the point's best-matching text (rubric score above 0), which
is not; the suggestion's
confidence is the least of its points'.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from grader.answer_groups import EmbeddingsOf, is_negated, unit_rows
from grader.schema.questions import RubricPoint

__all__ = [
    "AWARD_THRESHOLD",
    "K_NEIGHBOURS",
    "MARK_STEP",
    "NEIGHBOUR_FLOOR",
    "NEIGHBOUR_PRIOR",
    "POLARITY_CAP",
    "SIMILARITY_HIGH",
    "SIMILARITY_LOW",
    "Decision",
    "DecisionSet",
    "PointEmbeddings",
    "PointSuggestion",
    "Suggestion",
    "embed_rubric",
    "suggest",
]

SIMILARITY_LOW = 0.25
"""Cosine similarity to a point's description or examples at which its score is 0. Measured
with all-MiniLM-L6-v2 on the midsem's B2c/why-scale points: off-topic answers score 0-0.2,
a wrong answer on the same topic about 0.4, correct ones (even short) 0.5-0.65."""
SIMILARITY_HIGH = 0.65
"""Similarity at which the score is 1; the threshold then falls at similarity 0.45, between
the wrong on-topic and the correct answers."""
AWARD_THRESHOLD = 0.5
"""A point is suggested when its blended score is at least this (similarity 0.45 alone)."""
MARK_STEP = 0.5
"""Suggested marks are multiples of this unless the question sets another step."""
K_NEIGHBOURS = 5
"""How many of the most similar decided groups vote."""
NEIGHBOUR_FLOOR = 0.5
"""Similarity at or below which a decided group has no say."""
NEIGHBOUR_PRIOR = 0.25
"""The rubric signal's weight against the neighbours' total weight (see the blend)."""
POLARITY_CAP = 0.3
"""The most confidence a point's rubric signal can give when the answer is negated
(``answer_groups.is_negated``) and the text it matches best is not: the model puts "X is
permutation-invariant" and "X is not permutation-invariant" at similarity 0.94, so such a
match may be the opposite of the point. Only this direction: descriptions often hold a
contrastive "not" ("per token, not across the batch") that a right answer need not repeat.
Same-polarity TA decisions lift the cap."""
_COUNTER_CAP = 0.01
"""How far below ``AWARD_THRESHOLD`` a counter-example caps the rubric score."""


@dataclass(frozen=True)
class PointEmbeddings:
    """A rubric point and the embeddings of its texts (unit rows, float64)."""

    point: RubricPoint
    description: np.ndarray
    """Shape (d,)."""
    examples: np.ndarray
    """Shape (E, d); E may be 0."""
    counter_examples: np.ndarray
    """Shape (C, d); C may be 0."""


@dataclass(frozen=True)
class Decision:
    """A TA's decision on another group: its answer, the marks given, the points ticked."""

    text: str
    """The decided group's representative (its polarity is read from it)."""
    embedding: np.ndarray
    """Shape (d,)."""
    marks: float
    points: tuple[str, ...] | None = None
    """The rubric points ticked; ``None`` when the TA gave marks only."""


@dataclass(frozen=True)
class PointSuggestion:
    """One rubric point's signals and whether it is suggested."""

    id: str
    rubric_score: float
    """From the description, examples and counter-examples, in [0, 1]."""
    vote: float | None
    """The neighbours' weighted share ticking this point; ``None`` when none voted on it."""
    score: float
    """The blend; the point is suggested when it is at least ``AWARD_THRESHOLD``."""
    suggested: bool
    confidence: float


@dataclass(frozen=True)
class Suggestion:
    """What a TA is offered for one group; never a mark on its own."""

    points: tuple[str, ...]
    """The suggested rubric points' ids, in rubric order."""
    marks: float
    """A multiple of the step, within [0, question marks]."""
    confidence: float
    """In [0, 1]: 1 is a clear decision, 0 a coin toss."""
    reasons: tuple[str, ...]
    """For people: how each point and the neighbours weighed."""
    details: tuple[PointSuggestion, ...]
    """Every point, in rubric order."""


def embed_rubric(
    points: Sequence[RubricPoint], embeddings_of: EmbeddingsOf
) -> list[PointEmbeddings]:
    """Embeds every point's description, examples and counter-examples in one call."""
    texts: list[str] = []
    for p in points:
        texts += [p.description, *p.examples, *p.counter_examples]
    vectors = unit_rows(embeddings_of(texts), len(texts))
    out, at = [], 0
    for p in points:
        e, c = len(p.examples), len(p.counter_examples)
        out.append(
            PointEmbeddings(
                p, vectors[at], vectors[at + 1 : at + 1 + e], vectors[at + 1 + e : at + 1 + e + c]
            )
        )
        at += 1 + e + c
    return out


def suggest(
    answer: str,
    embedding: np.ndarray,
    rubric: Sequence[PointEmbeddings],
    question_marks: float,
    *,
    step: float = MARK_STEP,
    decisions: Sequence[Decision] | DecisionSet = (),
    found: Collection[str] | None = None,
    exclude: int | None = None,
) -> Suggestion:
    """Suggest points, marks and a confidence for the group answering ``answer``.

    ``embedding`` is the representative's, shape (d,), or the members', shape (M, d) (their
    unit rows are averaged). ``decisions`` are the TA's decisions so far (a ``DecisionSet``
    when suggesting many groups; ``exclude`` leaves out those of that owner, the group's
    own).
    ``found``: the points the keyword rubric found in the answer (None: not looked for); a
    point with keywords then weighs its keyword match equally with its similarity.
    """
    if step <= 0 or question_marks < 0:
        raise ValueError(f"step must be > 0 and question marks >= 0, got {step}, {question_marks}")
    vector = _answer_vector(embedding)
    reasons: list[str] = []
    stacked = decisions if isinstance(decisions, DecisionSet) else DecisionSet.of(decisions)
    weights, voters = _neighbours(answer, vector, stacked, exclude, reasons)
    total = float(weights.sum())
    alpha = total / (total + NEIGHBOUR_PRIOR) if total > 0 else 0.0
    negated = is_negated(answer)
    details = [_point(p, vector, negated, found, weights, voters, reasons) for p in rubric]
    rubric_marks = sum(p.point.marks for p, d in zip(rubric, details, strict=True) if d.suggested)
    marks = (1 - alpha) * rubric_marks
    if total > 0:
        marks += alpha * float(weights @ np.array([d.marks for d in voters])) / total
    steps = math.floor(marks / step + 0.5 + 1e-9)
    snapped = min(max(round(steps * step, 9), 0.0), question_marks)
    return Suggestion(
        points=tuple(d.id for d in details if d.suggested),
        marks=snapped,
        confidence=min((d.confidence for d in details), default=1.0),
        reasons=tuple(reasons),
        details=tuple(details),
    )


def _point(
    p: PointEmbeddings,
    vector: np.ndarray,
    negated: bool,
    found: Collection[str] | None,
    weights: np.ndarray,
    voters: list[Decision],
    reasons: list[str],
) -> PointSuggestion:
    """One point's rubric score, vote, blend and confidence; adds its reason."""
    similarities = [float(vector @ p.description), *(float(s) for s in p.examples @ vector)]
    best = int(np.argmax(similarities))
    positive = similarities[best]
    texts = [p.point.description, *p.point.examples]
    flipped = negated and not is_negated(texts[best])
    negative = float(max(p.counter_examples @ vector, default=-1.0))
    rubric = _ramp(positive)
    why = f"point {p.point.id}: similarity {positive:.2f} to its description or an example"
    if negative > positive:
        gap = (negative - positive) / (SIMILARITY_HIGH - SIMILARITY_LOW)
        rubric = max(0.0, min(rubric, AWARD_THRESHOLD - _COUNTER_CAP) - gap)
        why += f", closer ({negative:.2f}) to a counter-example"
    if found is not None and p.point.keywords:
        hit = p.point.id in found
        rubric = (rubric + float(hit)) / 2
        why += f", keywords {'found' if hit else 'not found'}"
    ticked = [(w, d) for w, d in zip(weights, voters, strict=True) if d.points is not None]
    weight = sum(w for w, _ in ticked)
    vote = sum(w for w, d in ticked if p.point.id in (d.points or ())) / weight if weight else None
    share = weight / (weight + NEIGHBOUR_PRIOR) if weight else 0.0
    score = rubric if vote is None else (1 - share) * rubric + share * vote
    suggested = score >= AWARD_THRESHOLD
    room = 1 - AWARD_THRESHOLD if suggested else AWARD_THRESHOLD
    agreement = 1.0 if vote is None else 1 - share * abs(rubric - vote)
    confidence = min(1.0, abs(score - AWARD_THRESHOLD) / room) * agreement
    if flipped and rubric > 0:  # close, but "is X" and "is not X" embed alike: unsure
        confidence = min(confidence, POLARITY_CAP + share * (1 - POLARITY_CAP))
        why += " (the answer negates what that text says)"
    why += f"; rubric score {rubric:.2f}"
    if vote is not None:
        why += f", graded neighbours' vote {vote:.2f} (weight {share:.2f})"
    reasons.append(f"{why}: {'suggested' if suggested else 'not suggested'}")
    return PointSuggestion(p.point.id, rubric, vote, score, suggested, confidence)


@dataclass(frozen=True)
class DecisionSet:
    """The TA's decisions stacked once, for suggesting many groups against them: without it
    each suggestion would stack every decision again (G groups x D decisions)."""

    decisions: tuple[Decision, ...]
    vectors: np.ndarray
    """Shape (D, d): unit rows of the decisions' embeddings."""
    negated: np.ndarray
    """Shape (D,): each decision's polarity (``is_negated`` of its text)."""
    owners: np.ndarray
    """Shape (D,): an id per decision (a group's number); ``suggest(exclude=...)`` leaves a
    group's own decisions out of its neighbours."""

    @classmethod
    def of(cls, decisions: Sequence[Decision], owners: Sequence[int] = ()) -> DecisionSet:
        items = tuple(decisions)
        if owners and len(owners) != len(items):
            raise ValueError(f"{len(owners)} owners for {len(items)} decisions; give one each")
        vectors = (
            unit_rows(np.array([d.embedding for d in items], dtype=np.float64), len(items))
            if items
            else np.zeros((0, 0))
        )
        return cls(
            items,
            vectors,
            np.array([is_negated(d.text) for d in items], dtype=bool),
            np.array(owners or [-1] * len(items), dtype=np.int64),
        )


def _neighbours(
    answer: str,
    vector: np.ndarray,
    decisions: DecisionSet,
    exclude: int | None,
    reasons: list[str],
) -> tuple[np.ndarray, list[Decision]]:
    """The voting decisions (the ``K_NEIGHBOURS`` most similar of the same polarity, above
    ``NEIGHBOUR_FLOOR``, ties by order given) and their weights; adds a reason for those
    left out."""
    others = (
        decisions.owners != exclude
        if exclude is not None
        else np.ones(len(decisions.decisions), dtype=bool)
    )
    same = others & (decisions.negated == is_negated(answer))
    if int(same.sum()) < int(others.sum()):
        reasons.append(
            f"{int(others.sum()) - int(same.sum())} graded answer(s) of the other polarity "
            "(negated or not) do not vote"
        )
    index = np.flatnonzero(same)
    if index.size == 0:
        return np.zeros(0), []
    sims = decisions.vectors[index] @ vector
    order = np.argsort(-sims, kind="stable")[:K_NEIGHBOURS]
    kept = [int(i) for i in order if sims[i] > NEIGHBOUR_FLOOR]
    weights = np.array([((sims[i] - NEIGHBOUR_FLOOR) / (1 - NEIGHBOUR_FLOOR)) ** 2 for i in kept])
    if kept:
        reasons.append(
            f"{len(kept)} graded neighbour(s) vote (nearest similarity {sims[kept[0]]:.2f}, "
            f"total weight {weights.sum():.2f} against the rubric's {NEIGHBOUR_PRIOR})"
        )
    return weights, [decisions.decisions[int(index[i])] for i in kept]


def _ramp(similarity: float) -> float:
    """``similarity`` on the ramp from ``SIMILARITY_LOW`` (0) to ``SIMILARITY_HIGH`` (1)."""
    return min(1.0, max(0.0, (similarity - SIMILARITY_LOW) / (SIMILARITY_HIGH - SIMILARITY_LOW)))


def _answer_vector(embedding: np.ndarray) -> np.ndarray:
    """The unit vector standing for the answer: the row itself, or the members' mean."""
    array = np.asarray(embedding, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"the answer's embedding has shape {array.shape}; give shape (d,) or (M, d)"
        )
    mean = unit_rows(array, array.shape[0]).mean(axis=0, keepdims=True)
    unit: np.ndarray = unit_rows(mean, 1)[0]
    return unit
