"""Which checker a question uses, with which configuration, and where in the question each
setting comes from.

The checkers take plain Python values; this is the one place that reads them off a
question of the bank (in one variant: MCQ labels and numeric keys depend on it). Grading
looks each call's checker up in ``CHECKERS`` and passes it the student's answer with the
call's ``config``, and scores the result by the call's ``policy`` when the question sets
none; ``grader validate`` runs the checker's configuration check on the same ``config`` and
reports a problem at the line of the question field named by ``fields``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.checks._common import ConfigField
from grader.schema import (
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    TextQuestion,
)
from grader.scoring import Policy

if TYPE_CHECKING:
    from grader.keys import ResolvedQuestion

__all__ = ["CheckerCall", "checker_calls"]

QuestionPath = tuple[str | int, ...]


@dataclass(frozen=True)
class CheckerCall:
    """One checker call a question makes at grading time, without the answer."""

    question_id: str
    """The question, or ``id/part`` for a part of a multipart question."""
    checker: str
    """The checker's name in ``CHECKERS``."""
    config: Mapping[str, Any]
    """The checker's keyword arguments, without the answer and ``reveal_key``."""
    fields: Mapping[str, QuestionPath] = field(default_factory=dict)
    """Configuration keyword -> path of the question field that sets it (from the question
    given to ``checker_calls``: a part's fields start with ``parts, i``)."""
    policy: Policy = "all_or_nothing"
    """How the question is scored when it sets no ``scoring``: ``partial`` where partial
    credit is the checker's design (a text rubric, an ordering with ``partial``), else all
    or nothing."""
    reveals_key: bool = True
    """Whether the checker takes ``reveal_key`` (shows the key in feedback once keys are
    released); a text rubric has no key to show."""

    def where(self, config_field: ConfigField) -> QuestionPath:
        """The question field of a configuration problem's ``field``."""
        if not config_field:
            return ()
        head, *rest = config_field
        return (*self.fields.get(str(head), ()), *rest)


def _rubric(question: TextQuestion) -> list[dict[str, Any]]:
    # One line per point in feedback: collapse the YAML block's line breaks.
    return [
        {**p.model_dump(), "description": " ".join(p.description.split()).rstrip(".")}
        for p in question.rubric
    ]


def checker_calls(
    question: Question, rq: ResolvedQuestion, *, qid: str | None = None, at: QuestionPath = ()
) -> list[CheckerCall]:
    """The checker calls grading makes for ``question`` in the variant ``rq`` (its parts'
    calls for a multipart question; none for a code question, which the sandbox checks).

    An expression question makes one call per accepted key (its ``answer``, then each of
    ``accepted_forms``); grading keeps the best result.
    """
    qid = qid or question.id
    if isinstance(question, MultipartQuestion):
        calls: list[CheckerCall] = []
        for i, part in enumerate(question.parts):
            calls += checker_calls(
                part, rq.parts[part.id], qid=f"{qid}/{part.id}", at=(*at, "parts", i)
            )
        return calls
    if isinstance(question, McqQuestion):
        return [
            CheckerCall(
                qid,
                "mcq",
                {"options": [o.label for o in rq.options], "correct": rq.key},
                {"options": (*at, "options"), "correct": (*at, "options")},
            )
        ]
    if isinstance(question, NumericQuestion):
        config = {
            "expected": rq.key,
            "atol": question.tolerance.abs,
            "rtol": question.tolerance.rel,
        }
        return [
            CheckerCall(
                qid,
                "numeric",
                config,
                {
                    "expected": (*at, "answer"),
                    "atol": (*at, "tolerance", "abs"),
                    "rtol": (*at, "tolerance", "rel"),
                },
            )
        ]
    if isinstance(question, ExpressionQuestion):
        variables = {
            name: v.model_dump(exclude={"description"}) for name, v in question.variables.items()
        }
        keys: list[tuple[str, QuestionPath]] = [(question.answer, (*at, "answer"))]
        keys += [
            (form, (*at, "accepted_forms", i)) for i, form in enumerate(question.accepted_forms)
        ]
        shared = {
            "variables": (*at, "variables"),
            "mode": (*at, "equivalence"),
            "functions": (*at, "functions"),
            "allow_sum": (*at, "allow_sum"),
        }
        return [
            CheckerCall(
                qid,
                "expression",
                {
                    "expected": key,
                    "variables": variables,
                    "mode": question.equivalence,
                    "functions": question.functions,
                    "allow_sum": question.allow_sum,
                },
                {**shared, "expected": where},
            )
            for key, where in keys
        ]
    if isinstance(question, OrderingQuestion):
        return [
            CheckerCall(
                qid,
                "ordering",
                {"expected": question.answer, "partial": question.partial},
                {"expected": (*at, "answer"), "partial": (*at, "partial")},
                policy="partial" if question.partial else "all_or_nothing",
            )
        ]
    if isinstance(question, TextQuestion):
        return [
            CheckerCall(
                qid,
                "text",
                {"rubric": _rubric(question)},
                {"rubric": (*at, "rubric")},
                policy="partial",
                reveals_key=False,
            )
        ]
    return []
