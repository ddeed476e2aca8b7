"""The baseline: the provisional mark grading gives a text answer today, from keywords.

It goes through the grader's own path (``checks.checker_calls`` names the checker and its
configuration, ``checks.CHECKERS`` runs it, ``scoring.score`` turns the result into marks),
so it is exactly what a student would see before a TA reviews the answer.
"""

from __future__ import annotations

from grader import checks
from grader.keys import resolve
from grader.schema import TextQuestion
from grader.scoring import score

__all__ = ["keyword_marks"]


def keyword_marks(question: TextQuestion, text: str) -> float:
    """The keyword rubric's provisional marks for ``text`` (0 for a blank answer)."""
    (call,) = checks.checker_calls(question, resolve(question))
    result = checks.CHECKERS[call.checker](text, **call.config)
    return score(result, marks=question.marks, policy=call.policy)
