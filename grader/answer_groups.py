"""Answer groups: the students' answers to one text question, grouped so a TA decides each
group once.

``group_answers(answers, embeddings_of)`` makes, in this order:

1. **the blank group**: answers that are ``None``, empty, whitespace or trailing punctuation
   only;
2. **identical groups**: answers equal after normalisation (``answer_key``: ``normalise_text``,
   case-folded, trailing punctuation and whitespace stripped), with no model needed;
3. **similar groups**: the distinct normalised answers clustered on their embeddings, when
   ``embeddings_of`` is given. Clustering is average linkage on cosine similarity of
   L2-normalised vectors, stopped at ``SIMILARITY_THRESHOLD``; it runs on the distinct
   texts (weighted by how many students wrote each), never on the students.

A group never mixes an answer with its negation: each answer has a polarity
(``is_negated``: does it hold a negation cue such as *not*, *no*, *never*, *n't*, *cannot*,
*neither*/*nor*, *without*?) and answers of different polarity are clustered apart, however
close their embeddings.

Clustering, deterministic and in bounded memory (O(N·d) plus one block of similarities):

- a *leader pass* takes the distinct texts largest first (ties by text) and adds each to the
  existing cluster of highest average similarity when that is at least the threshold, else
  starts a new cluster; similarities to the clusters are computed a block of texts at a time;
- an *agglomerative pass* then merges, best pair first, any two clusters whose average
  similarity is at least the threshold, until none is left. The average similarity of two
  clusters of unit vectors is the dot product of their sums over the product of their sizes,
  so no pairwise matrix is kept; and a merged cluster can only be close to a cluster that was
  close to one of its parts, so only the pairs found above the threshold are ever revisited.

Each group's representative (its medoid: the member with the highest mean similarity to the
others; for an identical group, its most common written form) comes first. Groups are
ordered largest first, ties by the representative's normalised text, and numbered from 1:
the same answers always give the same groups and ids. Run ``python -m grader.answer_groups``
for the clustering time on 1,000 and 10,000 random answers.
"""

from __future__ import annotations

import functools
import heapq
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from grader.text_embeddings import normalise_text

__all__ = [
    "SIMILARITY_THRESHOLD",
    "AnswerGroup",
    "AnswerGrouping",
    "EmbeddingsOf",
    "GroupMember",
    "answer_key",
    "benchmark",
    "cluster",
    "group_answers",
    "is_negated",
    "unit_rows",
]

SIMILARITY_THRESHOLD = 0.75
"""The least average cosine similarity at which two clusters of answers merge. Chosen to
keep groups safe to mark at once: with all-MiniLM-L6-v2, close rewordings of one answer
score 0.8-0.95, looser paraphrases 0.55-0.65 and a wrong answer on the same topic 0.3-0.5;
a group split in two costs the TA one more decision, a mixed group a wrong mark."""
BLOCK = 256
"""Texts whose similarities to the clusters are computed at once (bounds memory)."""

_TRAILING = ".!?;:,…·-–— \t"
_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")
_NEGATION_WORDS = frozenset(
    "not no never none nothing nobody nowhere neither nor cannot without".split()
    + "dont doesnt didnt isnt arent wasnt werent cant couldnt wont wouldnt shouldnt".split()
    + "hasnt havent hadnt aint mustnt neednt".split()
)

EmbeddingsOf = Callable[[list[str]], np.ndarray]
"""Embeds texts: a list of N strings gives an array of shape (N, d), one row each."""


def answer_key(text: str | None) -> str:
    """The text by which answers count as identical: ``normalise_text``, case-folded, with
    trailing punctuation and whitespace stripped; ``""`` for a blank answer."""
    if text is None:
        return ""
    return normalise_text(text).casefold().rstrip(_TRAILING)


@functools.lru_cache(maxsize=1 << 16)
def is_negated(text: str) -> bool:
    """Whether ``text`` holds a negation cue (*not*, *no*, *never*, *n't*, *cannot*,
    *neither*, *nor*, *without*, a *non-* word, ...): its polarity signature. Remembered:
    the suggestions ask it of every decided answer for every group."""
    words = _WORD.findall(normalise_text(text).casefold().replace("’", "'"))
    return any(w in _NEGATION_WORDS or w.endswith("n't") or w.startswith("non-") for w in words)


@dataclass(frozen=True)
class GroupMember:
    """One student's answer in a group."""

    student: str
    text: str
    """The answer as written (``""`` for ``None``)."""


@dataclass(frozen=True)
class AnswerGroup:
    """Answers a TA decides at once; ``members[0]`` is the representative."""

    group: int
    """The group's id: 1 for the largest, stable for the same answers."""
    kind: Literal["blank", "identical", "similar"]
    """``blank``: no answer; ``identical``: one normalised text; ``similar``: clustered."""
    negated: bool
    """The members' polarity (``is_negated``); False for the blank group."""
    members: tuple[GroupMember, ...]
    """Representative first, then by student."""

    @property
    def representative(self) -> GroupMember:
        return self.members[0]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class AnswerGrouping:
    """The groups of one question's answers, largest first, and how they were made."""

    groups: tuple[AnswerGroup, ...]
    clustered: bool
    """True when similar answers were clustered on embeddings; False without the model."""
    note: str
    """Says how the answers were grouped (for people: the review file and reports)."""


def group_answers(
    answers: Mapping[str, str | None],
    embeddings_of: EmbeddingsOf | None,
    threshold: float = SIMILARITY_THRESHOLD,
) -> AnswerGrouping:
    """Group ``answers`` (student -> answer text or None).

    ``embeddings_of`` embeds the distinct answers (one call, a list of M normalised texts,
    giving shape (M, d)); ``None`` (no model) makes only the blank and identical groups.
    """
    by_key: dict[str, list[str]] = {}
    for student in sorted(answers):
        by_key.setdefault(answer_key(answers[student]), []).append(student)
    blank = by_key.pop("", [])
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    shown = {k: _common_form(answers, by_key[k]) for k in keys}
    if embeddings_of is None or len(keys) < 2:
        clusters = [[k] for k in keys]
        medoids = dict(zip(keys, keys, strict=True))
    else:
        vectors = unit_rows(embeddings_of([normalise_text(shown[k]) for k in keys]), len(keys))
        weights = np.array([len(by_key[k]) for k in keys], dtype=np.float64)
        clusters, medoids = [], {}
        polarity = [is_negated(k) for k in keys]
        for negated in (False, True):
            part = [i for i in range(len(keys)) if polarity[i] == negated]
            for found in cluster(vectors[part], weights[part], threshold):
                members = [part[i] for i in found]
                clusters.append([keys[i] for i in members])
                names = [keys[i] for i in members]
                medoids[names[0]] = names[_medoid(vectors[members], weights[members], names)]
    groups = [_group(answers, by_key, c, medoids[c[0]], shown) for c in clusters]
    if blank:
        groups.append(
            AnswerGroup(0, "blank", False, tuple(GroupMember(s, answers[s] or "") for s in blank))
        )
    groups.sort(key=lambda g: (-g.size, answer_key(g.representative.text), g.kind))
    numbered = tuple(
        AnswerGroup(i, g.kind, g.negated, g.members) for i, g in enumerate(groups, start=1)
    )
    if embeddings_of is None:
        note = (
            "grouped by identical text only (no text model): similar answers are not "
            "clustered; install the `text` extra to cluster them"
        )
    else:
        note = f"identical texts grouped, similar ones clustered (average similarity ≥ {threshold})"
    return AnswerGrouping(numbered, embeddings_of is not None, note)


def _common_form(answers: Mapping[str, str | None], students: list[str]) -> str:
    """The most common written form among ``students``' answers (ties: the one written by
    the first student)."""
    counts = Counter(normalise_text(answers[s] or "") for s in students)
    return max(counts, key=lambda t: counts[t])  # max keeps the first of equal counts


def _group(
    answers: Mapping[str, str | None],
    by_key: dict[str, list[str]],
    keys: list[str],
    medoid: str,
    shown: dict[str, str],
) -> AnswerGroup:
    students = sorted(s for k in keys for s in by_key[k])
    first = min(s for s in by_key[medoid] if normalise_text(answers[s] or "") == shown[medoid])
    order = [first] + [s for s in students if s != first]
    kind: Literal["identical", "similar"] = "identical" if len(keys) == 1 else "similar"
    members = tuple(GroupMember(s, answers[s] or "") for s in order)
    return AnswerGroup(0, kind, is_negated(medoid), members)


def unit_rows(vectors: np.ndarray, rows: int) -> np.ndarray:
    """``vectors`` as float64 rows of length 1 (zero rows stay zero); checks the shape."""
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ValueError(
            f"embeddings_of returned shape {array.shape} for {rows} texts; it must return one "
            f"row per text, shape ({rows}, d)"
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: np.ndarray = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


def _medoid(vectors: np.ndarray, weights: np.ndarray, keys: Sequence[str]) -> int:
    """Index of the member with the highest mean similarity to the others (each row counts
    ``weights`` times; ties: the smallest key). Uses the weighted sum: O(M·d)."""
    scores = np.round(vectors @ (weights @ vectors), 9)
    return min(range(len(keys)), key=lambda i: (-scores[i], keys[i]))


def cluster(vectors: np.ndarray, weights: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters of unit ``vectors`` (shape (M, d)), row i counting
    ``weights[i]`` times (shape (M,)), merged while the average similarity is at least
    ``threshold``. Rows are taken in the order given; returns lists of row indices, each
    ascending, the lists ordered by their first index."""
    sums, counts, members = _leader_pass(vectors, weights, threshold)
    _merge_pass(sums, counts, members, threshold)
    return sorted(sorted(m) for m in members if m)


def _leader_pass(
    vectors: np.ndarray, weights: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Each row joins the cluster of highest average similarity (at least ``threshold``) or
    starts one. Clusters are kept as weighted sums of their rows; similarities to the
    clusters existing before a block are one matrix product, those to clusters changed within
    the block are recomputed row by row."""
    n, dim = vectors.shape
    sums = np.zeros((n, dim), dtype=np.float64)
    counts = np.zeros(n, dtype=np.float64)
    members: list[list[int]] = []
    for start in range(0, n, BLOCK):
        block = vectors[start : start + BLOCK]
        before = len(members)
        base = block @ sums[:before].T / np.maximum(counts[:before], 1e-300)
        changed: list[int] = []
        for j, x in enumerate(block):
            best, best_score = -1, -np.inf
            scores = base[j].copy()
            if changed:
                touched = np.array(changed)
                scores[touched[touched < before]] = -np.inf
            if before:
                best = int(np.argmax(scores))
                best_score = float(scores[best])
            if changed:
                fresh = sums[touched] @ x / counts[touched]
                k = int(np.argmax(fresh))
                candidate = int(touched[k])
                if fresh[k] > best_score or (fresh[k] == best_score and candidate < best):
                    best, best_score = candidate, float(fresh[k])
            if best < 0 or best_score < threshold:
                best = len(members)
                members.append([])
            sums[best] += weights[j + start] * x
            counts[best] += weights[j + start]
            members[best].append(start + j)
            if best not in changed:
                changed.append(best)
    return sums[: len(members)], counts[: len(members)], members


def _merge_pass(
    sums: np.ndarray, counts: np.ndarray, members: list[list[int]], threshold: float
) -> None:
    """Merge clusters, best pair first (ties: smallest ids), while their average similarity
    is at least ``threshold``; in place (a merged-away cluster's members become empty)."""
    n = len(members)
    close: list[dict[int, float]] = [{} for _ in range(n)]
    heap: list[tuple[float, int, int]] = []
    means = sums / counts[:, None]
    for start in range(0, n, BLOCK):
        block = means[start : start + BLOCK] @ means.T
        for j, i in enumerate(range(start, min(start + BLOCK, n))):
            for found in np.flatnonzero(block[j, i + 1 :] >= threshold) + i + 1:
                other, score = int(found), float(block[j, found])
                close[i][other] = close[other][i] = score
                heapq.heappush(heap, (-score, i, other))
    while heap:
        negative, a, b = heapq.heappop(heap)
        if close[a].get(b) != -negative:
            continue  # stale: a or b was merged since
        sums[a] += sums[b]
        counts[a] += counts[b]
        members[a].extend(members[b])
        members[b] = []
        near = (set(close[a]) | set(close[b])) - {a, b}
        for c in (a, b):
            for other in close[c]:
                close[other].pop(c, None)
            close[c] = {}
        for c in sorted(near):
            score = float(sums[a] @ sums[c] / (counts[a] * counts[c]))
            if score >= threshold:
                close[a][c] = close[c][a] = score
                heapq.heappush(heap, (-score, min(a, c), max(a, c)))


def _rows_of(vectors: np.ndarray) -> EmbeddingsOf:
    """Embeds the i-th text as ``vectors[i]`` (for the benchmark)."""

    def embeddings_of(texts: list[str]) -> np.ndarray:
        return vectors[: len(texts)]

    return embeddings_of


def benchmark(sizes: Sequence[int] = (1_000, 10_000), dim: int = 384) -> dict[int, float]:
    """Seconds ``group_answers`` takes for each size of distinct random answers (random unit
    vectors as embeddings, seeded)."""
    timings = {}
    for size in sizes:
        rng = np.random.default_rng(size)
        vectors = rng.standard_normal((size, dim)).astype(np.float32)
        answers: dict[str, str | None] = {f"s{i:05d}": f"answer {i}" for i in range(size)}
        began = time.perf_counter()
        group_answers(answers, _rows_of(vectors))
        timings[size] = time.perf_counter() - began
    return timings


if __name__ == "__main__":
    for size, seconds in benchmark().items():
        print(f"{size:>6} answers grouped in {seconds:.2f} s")
