"""What the question page shows, chosen from a ``ReviewQuestion``: which group is current,
which comes next, and what the decision form is filled with. Pure functions, no web."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from grader.gradebook import Override
from grader.text_review import ReviewAnswer, ReviewGroup, ReviewQuestion

__all__ = [
    "Prefill",
    "current_group",
    "group_after",
    "parse_seen",
    "prefill",
    "seen_field",
]


def current_group(question: ReviewQuestion, number: int | None) -> ReviewGroup | None:
    """Group ``number``; without one (or an unknown one), the first group with an answer
    still pending, so a restart resumes where the TA stopped; else the first group. None when
    the question has no answers."""
    if number is not None:
        found = [g for g in question.groups if g.group == number]
        if found:
            return found[0]
    pending = [g for g in question.groups if g.pending]
    if pending:
        return pending[0]
    return question.groups[0] if question.groups else None


def group_after(question: ReviewQuestion, number: int) -> ReviewGroup | None:
    """The group to show after deciding group ``number``: the next one in order with an
    answer pending, wrapping round to the start; when none is pending, group ``number``
    itself (the TA sees the decision recorded)."""
    groups = list(question.groups)
    at = next((i for i, g in enumerate(groups) if g.group == number), -1)
    for g in groups[at + 1 :] + groups[: at + 1]:
        if g.pending:
            return g
    return current_group(question, number)


@dataclass(frozen=True)
class Prefill:
    """What the decision form starts with: the decision that holds, else the suggestion."""

    points: tuple[str, ...]
    marks: float
    comment: str
    decision: Override | None
    """The decision it comes from (None: from the group's suggestion)."""


def _from_decision(decision: Override) -> Prefill:
    return Prefill(decision.points or (), decision.marks, decision.comment, decision)


def prefill(group: ReviewGroup, answer: ReviewAnswer | None = None) -> Prefill:
    """The form for ``group`` (or for ``answer`` split off it): the decision that holds,
    else the group's suggestion. A split answer without a decision of its own starts from
    the group's."""
    if answer is not None and answer.decision is not None and answer.decision.scope == "answer":
        return _from_decision(answer.decision)
    if group.decision is not None:
        return _from_decision(group.decision)
    s = group.suggested
    return Prefill(s.points, s.marks, "", None)


def seen_field(answers: tuple[ReviewAnswer, ...]) -> str:
    """The form's ``seen`` field: what the TA was shown of each answer's decision, as JSON
    ``[[student, decided_at or null], ...]`` (``parse_seen`` reads it back)."""
    return json.dumps([[a.student, a.decision.decided_at if a.decision else None] for a in answers])


def parse_seen(question_key: str, field: str) -> Mapping[tuple[str, str], float | None]:
    """``seen_field`` read back into ``decide``'s ``seen``; ValueError when malformed."""
    try:
        rows = json.loads(field)
        seen = {(str(s), question_key): None if at is None else float(at) for s, at in rows}
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the form's seen field is not what the page sent: {exc}") from None
    if not seen:
        raise ValueError("the form names no answer to decide")
    return seen
