"""Checking answers that are not code: MCQ, numbers, expressions, big-O, orderings, text.

Every checker takes the student's answer as it came out of ``answers.yaml`` (any YAML
value: None, bool, number, string, list, mapping) plus keyword-only configuration in plain
Python types, and returns a frozen ``CheckResult``. A checker never raises for an answer:
an unreadable one is ``invalid`` ("Could not read your answer: ..."), one the grader could
not decide within its limits is ``unchecked`` ("Could not check this answer: ... A TA will
look at it."). A malformed *configuration* (a key that does not parse, an unknown option,
a rubric point with neither keywords nor a description) raises ``ConfigError``, a
``ValueError`` listing every ``ConfigProblem`` with the configuration field it is about.
Each checker runs that check before it reads the answer, through a function
``config_problems`` also calls, so ``grader validate`` finds at authoring time exactly what
would fail at grading time.
``checker_calls`` says which checker a question uses, with which configuration; grading
looks that checker up by name in ``CHECKERS`` and calls it with the student's answer.

No student text is ever passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``; see
``_mathparse`` for the parser and its limits, ``_expression`` for how equivalence is decided.

Custom checkers are registered by name with ``register_checker``; a checker is any
callable ``(answer, **config) -> CheckResult`` that follows the same never-raise rule,
optionally with its configuration check ``(**config) -> list[ConfigProblem]``. One
registered under a built-in name (``replace=True``) is the one grading calls for that
question type, with the same keywords (``reveal_key`` too when ``CheckerCall.reveals_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from grader.checks._calls import CheckerCall, checker_calls
from grader.checks._common import ConfigError, ConfigProblem
from grader.checks._expression import (
    DEFAULT_FUNCTIONS,
    check_expression,
    expression_config_problems,
)
from grader.checks._mcq import check_mcq, mcq_config_problems
from grader.checks._numeric import check_numeric, numeric_config_problems
from grader.checks._ordering import check_ordering, ordering_config_problems
from grader.checks._text import check_text, text_config_problems
from grader.results import CheckResult

__all__ = [
    "CHECKERS",
    "DEFAULT_FUNCTIONS",
    "CheckerCall",
    "Checker",
    "ConfigCheck",
    "ConfigError",
    "ConfigProblem",
    "check_expression",
    "check_mcq",
    "check_numeric",
    "check_ordering",
    "check_text",
    "checker_calls",
    "config_problems",
    "register_checker",
]

Checker = Callable[..., CheckResult]
"""A checker: ``(answer, **config) -> CheckResult``, never raising for an answer."""

ConfigCheck = Callable[..., list[ConfigProblem]]
"""A checker's configuration check: ``(**config) -> problems``, the check the checker
itself runs before it reads an answer."""

_REGISTRY: dict[str, Checker] = {
    "mcq": check_mcq,
    "numeric": check_numeric,
    "expression": check_expression,
    "ordering": check_ordering,
    "text": check_text,
}

_CONFIG_CHECKS: dict[str, ConfigCheck] = {
    "mcq": mcq_config_problems,
    "numeric": numeric_config_problems,
    "expression": expression_config_problems,
    "ordering": ordering_config_problems,
    "text": text_config_problems,
}

CHECKERS: Mapping[str, Checker] = MappingProxyType(_REGISTRY)
"""The checkers by name, as grading looks them up (read-only view; add or replace one with
``register_checker``)."""


def config_problems(checker: str, **config: Any) -> list[ConfigProblem]:
    """Every problem with ``config`` (a checker's keyword arguments, without the answer) for
    the checker named ``checker``: the same check that checker runs at grading time.

    A registered checker without a configuration check has none. Raises KeyError for an
    unknown checker name.
    """
    if checker not in _REGISTRY:
        raise KeyError(f"no checker named {checker!r}; known: {', '.join(sorted(_REGISTRY))}")
    check = _CONFIG_CHECKS.get(checker)
    return [] if check is None else check(**config)


def register_checker(
    name: str, checker: Checker, *, config_check: ConfigCheck | None = None, replace: bool = False
) -> None:
    """Register ``checker`` under ``name``, with its configuration check if it has one.

    Raises ValueError for an empty or non-identifier name, or a name already taken
    (unless ``replace``); TypeError when ``checker`` or ``config_check`` is not callable.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"checker name must be an identifier, got {name!r}")
    if not callable(checker):
        raise TypeError(f"checker {name!r} must be callable, got {checker!r}")
    if config_check is not None and not callable(config_check):
        raise TypeError(
            f"the configuration check of {name!r} must be callable, got {config_check!r}"
        )
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"a checker named {name!r} is already registered; pass replace=True to replace it"
        )
    _REGISTRY[name] = checker
    _CONFIG_CHECKS.pop(name, None)
    if config_check is not None:
        _CONFIG_CHECKS[name] = config_check
