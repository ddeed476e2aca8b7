"""A simulated TA working through one question's answer groups, as on the review page.

The answers are grouped with ``grader.answer_groups.group_answers``; the TA then takes the
groups largest first. For each non-blank group the page shows a suggestion
(``grader.suggestions.suggest`` on the representative, informed by every decision so far).
While the TA's budget lasts, the TA decides the group: the representative's hand label
(marks and points) becomes the mark of every member, and the decision joins the ones that
inform later suggestions. Once the budget is spent, each remaining group keeps its
suggestion. Blank answers earn 0 without a decision (grading already gives them 0).

Embeddings come from any ``EmbeddingsOf`` (list of N texts -> array (N, d)): the real
model's encoder, a lookup of texts encoded beforehand (``embedding_lookup``), or a fake
encoder in tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from grader.answer_groups import AnswerGroup, AnswerGrouping, EmbeddingsOf, group_answers
from grader.schema import TextQuestion
from grader.suggestions import Decision, embed_rubric, suggest
from grader.text_embeddings import normalise_text

__all__ = [
    "Label",
    "Walk",
    "embedding_lookup",
    "encode_once",
    "group",
    "mixed_groups",
    "review",
    "walk",
]


class Label(NamedTuple):
    """A TA's label of one answer."""

    marks: float
    points: tuple[str, ...]


@dataclass(frozen=True)
class Walk:
    """One question after the simulated TA's pass; per-answer tuples are in input order."""

    groups: int
    """Non-blank groups: the decisions a TA needs to decide every answer."""
    decisions: int
    """The decisions the TA made (at most the budget)."""
    accepted: int
    """Decisions whose suggestion, as shown, had the label's marks (confirmed unchanged)."""
    marks: tuple[float, ...]
    """Final marks: the decision of the answer's group, or its suggestion."""
    points: tuple[tuple[str, ...], ...]
    """Final rubric points, the same way."""
    decided: tuple[bool, ...]
    """Whether the answer's group was decided by the TA."""


def encode_once(texts: Sequence[str], embeddings_of: EmbeddingsOf) -> dict[str, np.ndarray]:
    """Normalised text -> embedding (shape (d,)) of every distinct text of ``texts``,
    encoded in one call."""
    distinct = sorted({normalise_text(t) for t in texts})
    vectors = embeddings_of(distinct)  # (M, d)
    return dict(zip(distinct, vectors, strict=True))


def embedding_lookup(vectors: Mapping[str, np.ndarray]) -> EmbeddingsOf:
    """An ``EmbeddingsOf`` reading ``vectors`` (normalised text -> shape (d,)): texts
    encoded once beforehand. A text not in it raises KeyError naming it."""

    def embeddings_of(texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if normalise_text(t) not in vectors]
        if missing:
            raise KeyError(f"{len(missing)} texts were not encoded beforehand, e.g. {missing[0]!r}")
        return np.array([vectors[normalise_text(t)] for t in texts])

    return embeddings_of


def group(texts: Sequence[str], embeddings_of: EmbeddingsOf) -> AnswerGrouping:
    """``texts`` grouped as the grader groups a question's answers; member ``student`` ids
    are the answers' indices (``"000012"`` for ``texts[12]``)."""
    return group_answers({f"{i:06d}": t for i, t in enumerate(texts)}, embeddings_of)


def mixed_groups(grouping: AnswerGrouping, labels: Sequence[Label]) -> list[AnswerGroup]:
    """The groups whose members are not all labelled alike: one decision for the group
    gives some member a mark the labels disagree with."""
    return [g for g in grouping.groups if len({labels[int(m.student)] for m in g.members}) > 1]


def walk(
    question: TextQuestion,
    grouping: AnswerGrouping,
    labels: Sequence[Label],
    embeddings_of: EmbeddingsOf,
    budget: int | None = None,
) -> Walk:
    """The TA's pass over ``grouping`` (from ``group``, of answers labelled ``labels``),
    deciding at most ``budget`` groups (``None``: every group; 0: suggestions only)."""
    rubric = embed_rubric(question.rubric, embeddings_of)
    groups = [g for g in grouping.groups if g.kind != "blank"]
    reps = embeddings_of([normalise_text(g.representative.text) for g in groups])  # (G, d)
    marks = [0.0] * len(labels)
    points: list[tuple[str, ...]] = [()] * len(labels)
    decided = [False] * len(labels)
    decisions: list[Decision] = []
    accepted = 0
    for g, vector in zip(groups, reps, strict=True):
        text = g.representative.text
        shown = suggest(text, vector, rubric, question.marks, decisions=decisions)
        deciding = budget is None or len(decisions) < budget
        if deciding:
            given = labels[int(g.representative.student)]
            accepted += abs(shown.marks - given.marks) < 1e-9
            decisions.append(Decision(text, vector, given.marks, given.points))
        else:
            given = Label(shown.marks, shown.points)
        for member in g.members:
            i = int(member.student)
            marks[i], points[i], decided[i] = given.marks, given.points, deciding
    return Walk(len(groups), len(decisions), accepted, tuple(marks), tuple(points), tuple(decided))


def review(
    question: TextQuestion,
    texts: Sequence[str],
    labels: Sequence[Label],
    embeddings_of: EmbeddingsOf,
    budget: int | None = None,
) -> Walk:
    """``texts`` grouped, then walked by the TA with at most ``budget`` decisions."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels; give one label each")
    return walk(question, group(texts, embeddings_of), labels, embeddings_of, budget)
