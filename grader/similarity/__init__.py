"""Similarity evidence for a graded class: copied code and copied answers, on the TA's machine.

``grader similarity EXAM --out DIR`` reads the gradebook and the submission folders
(``collect``), compares code by winnowed fingerprints with the given code removed
(``tokens``, ``fingerprints``, ``code_pairs``) and answers by how improbable their agreement
is in this class (``answer_pairs``), and writes a ranked HTML page and a CSV (``report``).
What it finds is evidence for a person to judge, never an accusation, and never goes into
student feedback.
"""

from grader.similarity.analysis import DEFAULT_THRESHOLD, analyse
from grader.similarity.model import (
    AnswerMatch,
    CodeMatch,
    CodeRegion,
    PairEvidence,
    SimilarityReport,
    StudentWork,
)
from grader.similarity.report import write_report

__all__ = [
    "DEFAULT_THRESHOLD",
    "AnswerMatch",
    "CodeMatch",
    "CodeRegion",
    "PairEvidence",
    "SimilarityReport",
    "StudentWork",
    "analyse",
    "write_report",
]
