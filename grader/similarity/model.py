"""What the similarity report reads and what it finds, as frozen records.

A ``StudentWork`` is one student's hand-in as grading saw it: answers flattened to answer
slots (a question id, or ``id/part``), the code of each code slot, the variant and which
slots were graded correct. Everything found is *evidence* for a person to judge: a pair of
students, the slots where they match and how strongly, never a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AnswerKind",
    "StudentWork",
    "CodeRegion",
    "CodeMatch",
    "AnswerMatch",
    "PairEvidence",
    "SimilarityReport",
]

AnswerKind = Literal["numeric", "expression", "ordering", "mcq", "text", "code"]
"""How a slot is compared: code by fingerprints, text by wording, the rest by value."""


@dataclass(frozen=True)
class StudentWork:
    """One student's answers as grading read and judged them."""

    student: str
    variant: int
    answers: Mapping[str, str]
    """Slot -> the answer as text (non-code slots)."""
    code: Mapping[str, str]
    """Slot -> the source of the code file the slot names."""
    correct: frozenset[str] = frozenset()
    """Slots graded fully correct; a slot absent here and answered counts as wrong."""


@dataclass(frozen=True)
class CodeRegion:
    """Lines (1-based, inclusive) of one student's file that match lines of the other's."""

    a_first: int
    a_last: int
    b_first: int
    b_last: int


@dataclass(frozen=True)
class CodeMatch:
    """Two students' code for one slot that shares fingerprints beyond the given code."""

    slot: str
    share_a: float
    """Share of a's fingerprints (stub and support removed) also in b's."""
    share_b: float
    """Share of b's fingerprints also in a's."""
    regions: tuple[CodeRegion, ...]
    source_a: str
    source_b: str


@dataclass(frozen=True)
class AnswerMatch:
    """A non-code answer two students share, with why it is evidence and how strong.

    ``reason`` is one of: ``rare wrong answer`` (the same wrong value, rare in the class),
    ``other variant's key`` (right for the other student's variant, wrong for one's own),
    ``rare MCQ pattern`` (the same choices on every MCQ, improbable given the class),
    ``near-identical text`` (character 5-gram similarity)."""

    slot: str
    reason: str
    answer_a: str
    answer_b: str
    weight: float
    """Evidence in decimal digits of improbability (``log10(1/p)``), or the text similarity."""
    note: str = ""


@dataclass(frozen=True)
class PairEvidence:
    """Everything two students share that chance or the given code does not explain."""

    a: str
    b: str
    code: tuple[CodeMatch, ...] = ()
    answers: tuple[AnswerMatch, ...] = ()

    @property
    def score(self) -> float:
        """Rank of the pair: the largest code share of each matching slot, the text
        similarity of each near-identical answer, and a tenth of each digit of
        improbability of the shared answers (so one rare wrong answer counts ~0.2-0.3)."""
        code = sum(max(m.share_a, m.share_b) for m in self.code)
        text = sum(m.weight for m in self.answers if m.reason == "near-identical text")
        rare = sum(m.weight for m in self.answers if m.reason != "near-identical text")
        return round(code + text + rare / 10, 6)


@dataclass(frozen=True)
class SimilarityReport:
    """The pairs worth a look (ranked, strongest first) and the groups they form."""

    exam: str
    students: int
    threshold: float
    pairs: tuple[PairEvidence, ...]
    clusters: tuple[tuple[str, ...], ...] = field(default=())
    """Groups of more than two students joined by flagged pairs (each sorted)."""
