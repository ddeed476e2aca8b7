"""Ordering answers: put steps in order, given as labels.

Accepted forms: a YAML list (``[A, C, B]``) or a string with separators (``"A, C, B"``,
``"A > C > B"``, ``"A -> C -> B"``, ``"A→C→B"``, ``"A C B"``) or, when every label is one
character, run together (``"ACB"``). Labels match case-insensitively.

A label that is not a step, or one given twice, makes the answer unreadable (``invalid``).
Steps left out are graded as missing. With ``partial=True`` the fraction is
``LCS(answer, key) / len(key)``: the longest run of steps the student put in the right
relative order (a longest common subsequence), so one step out of place costs one step.
Without it, only the exact order earns credit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grader.checks._common import (
    ConfigProblem,
    blank,
    correct,
    describe_value,
    invalid,
    is_blank,
    raise_config_problems,
)
from grader.results import CheckResult

__all__ = ["check_ordering", "ordering_config_problems"]

_SEPARATORS = re.compile(r"\s*(?:->|=>|→|>|,|;|\|)\s*|\s+")
_MAX_ANSWER_CHARS = 2000


class _Unreadable(Exception):
    pass


def _labels(answer: object, lookup: dict[str, str]) -> list[str]:
    single_chars = all(len(label) == 1 for label in lookup)
    if isinstance(answer, str):
        if len(answer) > _MAX_ANSWER_CHARS:
            raise _Unreadable(f"the answer is longer than {_MAX_ANSWER_CHARS} characters")
        text = answer.strip().strip("[](){}")
        tokens = [t for t in _SEPARATORS.split(text) if t]
        if (
            single_chars
            and len(tokens) == 1
            and len(tokens[0]) > 1
            and tokens[0].upper() not in lookup
        ):
            tokens = list(tokens[0])
    elif isinstance(answer, list | tuple):
        if len(answer) > 200:
            raise _Unreadable("the list is longer than the number of steps")
        tokens = []
        for item in answer:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise _Unreadable(f"expected step labels, got {describe_value(item)} in the list")
            tokens.append(str(item).strip())
    else:
        raise _Unreadable(
            f"expected a list of step labels such as [A, C, B], got {describe_value(answer)}"
        )
    result: list[str] = []
    for token in tokens:
        label = lookup.get(token.strip("()[].'\"").upper())
        if label is None:
            raise _Unreadable(
                f"{token[:30]!r} is not a step; the steps are {', '.join(lookup.values())}"
            )
        if label in result:
            raise _Unreadable(f"step {label} appears more than once")
        result.append(label)
    return result


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def ordering_config_problems(
    *, expected: Sequence[str], partial: bool = False
) -> list[ConfigProblem]:
    """Every problem with ``check_ordering``'s configuration: the check it runs before
    reading an answer (``grader validate`` calls it too)."""
    labels = {str(label).strip().upper() for label in expected}
    if len(labels) != len(expected) or not labels or any(not label for label in labels):
        return [
            ConfigProblem(
                ("expected",), f"ordering key must list distinct labels, got {list(expected)!r}"
            )
        ]
    return []


def check_ordering(
    answer: object,
    *,
    expected: Sequence[str],
    partial: bool = False,
    reveal_key: bool = False,
) -> CheckResult:
    """Check an order of step labels against ``expected``.

    Raises ``ConfigError`` (a ValueError) when the key repeats a label (an authoring error;
    see ``ordering_config_problems``); never for an answer.
    """
    raise_config_problems(ordering_config_problems(expected=expected, partial=partial))
    lookup = {str(label).strip().upper(): str(label).strip() for label in expected}
    key = [str(label).strip() for label in expected]
    key_text = " > ".join(key)
    shown = key_text if reveal_key else None
    if is_blank(answer):
        return blank()
    try:
        given = _labels(answer, lookup)
    except _Unreadable as error:
        return invalid(str(error))
    if given == key:
        return correct(expected=shown)
    missing = [label for label in key if label not in given]
    in_order = _lcs_length(given, key)
    fraction = in_order / len(key) if partial else 0.0
    parts = []
    if missing:
        parts.append(f"Your order leaves out {', '.join(missing)}.")
    parts.append(
        f"The order is not right: {in_order} of {len(key)} steps are in the right relative order."
    )
    if reveal_key:
        parts.append(f"The right order is {key_text}.")
    return CheckResult(
        status="partially_correct" if fraction > 0 else "incorrect",
        fraction=fraction,
        feedback=" ".join(parts),
        expected=shown,
    )
