"""Result builders and value descriptions shared by the checkers.

Student-facing wording lives here so every checker says "could not read" and "could not
check" the same way (PrairieLearn style: what was wrong, what to do).

Author-facing problems with a checker's *configuration* are ``ConfigProblem``s: each names
the configuration field it is about, so ``grader validate`` can point at the line of the
question that holds it. A checker runs its configuration check before it looks at the
answer and raises ``ConfigError`` (a ``ValueError``) with every problem found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from grader.results import CheckResult

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "blank",
    "correct",
    "describe_value",
    "invalid",
    "is_blank",
    "raise_config_problems",
    "unchecked",
]

ConfigField = tuple[str | int, ...]
"""A path inside a checker's keyword configuration: ``("rubric", 1, "keywords")``."""


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in a checker's configuration (an authoring error)."""

    field: ConfigField
    """Where: the keyword argument, then keys and indices inside it."""
    message: str
    """What is wrong and how to fix it, for the question's author."""


class ConfigError(ValueError):
    """Raised by a checker whose configuration is wrong; carries every problem found.

    An authoring error: ``grader validate`` reports the same problems, located, before an
    exam goes out (see ``grader.checks.config_problems``).
    """

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def raise_config_problems(problems: Sequence[ConfigProblem]) -> None:
    """Raise ``ConfigError`` when there is any problem."""
    if problems:
        raise ConfigError(problems)


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
