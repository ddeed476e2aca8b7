"""Result builders and value descriptions shared by the checkers.

Student-facing wording lives here so every checker says "could not read" and "could not
check" the same way (PrairieLearn style: what was wrong, what to do).
"""

from __future__ import annotations

import math

from grader.results import CheckResult

__all__ = ["blank", "correct", "describe_value", "invalid", "is_blank", "unchecked"]

UNCHECKED_PREFIX = "Could not check this answer"
INVALID_PREFIX = "Could not read your answer"


def correct(feedback: str = "Correct.", *, expected: str | None = None) -> CheckResult:
    """A fully correct answer."""
    return CheckResult(status="correct", fraction=1.0, feedback=feedback, expected=expected)


def invalid(reason: str, *, author_note: str | None = None) -> CheckResult:
    """The answer could not be read (syntax, unknown symbol, wrong kind of value)."""
    return CheckResult(
        status="invalid",
        fraction=0.0,
        feedback=f"{INVALID_PREFIX}: {reason}.",
        author_note=author_note,
    )


def unchecked(reason: str, *, author_note: str | None = None) -> CheckResult:
    """The grader could not decide within its limits; a TA will look at it."""
    return CheckResult(
        status="unchecked",
        fraction=0.0,
        feedback=f"{UNCHECKED_PREFIX}: {reason}. A TA will look at it.",
        author_note=author_note,
    )


def blank(message: str = "No answer given.") -> CheckResult:
    """The student left the answer empty."""
    return CheckResult(status="incorrect", fraction=0.0, feedback=message, answered=False)


def is_blank(answer: object) -> bool:
    """None, an empty or whitespace string, or an empty list."""
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, list | tuple):
        return len(answer) == 0
    return False


def describe_value(value: object) -> str:
    """How a YAML value looks to a student: 'a list', 'true/false', 'a mapping'."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r}"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    return f"a value of type {type(value).__name__}"
