"""Checking answers that are not code: MCQ, numbers, expressions, big-O, orderings, text.

Every checker takes the student's answer as it came out of ``answers.yaml`` (any YAML
value: None, bool, number, string, list, mapping) plus keyword-only configuration in plain
Python types, and returns a frozen ``CheckResult``. A checker never raises for an answer:
an unreadable one is ``invalid`` ("Could not read your answer: ..."), one the grader could
not decide within its limits is ``unchecked`` ("Could not check this answer: ... A TA will
look at it."). A malformed *configuration* (a key that does not parse, an unknown option)
raises ``ValueError``: that is an authoring error for the question bank's loader to report.

No student text is ever passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``; see
``_mathparse`` for the parser and its limits, ``_expression`` for how equivalence is decided.

Custom checkers are registered by name with ``register_checker``; a checker is any
callable ``(answer, **config) -> CheckResult`` that follows the same never-raise rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from grader.checks._expression import DEFAULT_FUNCTIONS, check_expression
from grader.checks._mcq import check_mcq
from grader.checks._numeric import check_numeric
from grader.checks._ordering import check_ordering
from grader.checks._text import check_text
from grader.results import CheckResult

__all__ = [
    "CHECKERS",
    "DEFAULT_FUNCTIONS",
    "Checker",
    "check_expression",
    "check_mcq",
    "check_numeric",
    "check_ordering",
    "check_text",
    "register_checker",
]

Checker = Callable[..., CheckResult]
"""A checker: ``(answer, **config) -> CheckResult``, never raising for an answer."""

_REGISTRY: dict[str, Checker] = {
    "mcq": check_mcq,
    "numeric": check_numeric,
    "expression": check_expression,
    "ordering": check_ordering,
    "text": check_text,
}

CHECKERS: Mapping[str, Checker] = MappingProxyType(_REGISTRY)
"""The checkers by name (read-only view; add with ``register_checker``)."""


def register_checker(name: str, checker: Checker, *, replace: bool = False) -> None:
    """Register ``checker`` under ``name``.

    Raises ValueError for an empty or non-identifier name, or a name already taken
    (unless ``replace``); TypeError when ``checker`` is not callable.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"checker name must be an identifier, got {name!r}")
    if not callable(checker):
        raise TypeError(f"checker {name!r} must be callable, got {checker!r}")
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"a checker named {name!r} is already registered; pass replace=True to replace it"
        )
    _REGISTRY[name] = checker
