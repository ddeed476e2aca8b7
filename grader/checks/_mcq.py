"""Multiple-choice (multiple-correct) answers: which option letters were ticked.

Accepted forms: a YAML list (``[A, D]``, ``[a, d]``) or a string (``"A, D"``, ``"AD"``,
``"a,d"``, ``"A and D"``, ``"{A, D}"``); order, case and repeats do not matter. Letters run
together (``"AD"``) are split only when every option label is one character.

``fraction`` is 1.0 iff the selection is exactly the correct set, otherwise
``(right picks - wrong picks) / len(correct)`` clipped to [0, 1]; the question's scoring
policy (``grader.scoring``) decides what that is worth, using ``mcq``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from grader.checks._common import ConfigProblem, describe_value, invalid, raise_config_problems
from grader.results import CheckResult, McqSelection

__all__ = ["check_mcq", "mcq_config_problems"]

_SEPARATORS = re.compile(r"(?:\s*[,;/&+|]\s*|\s+and\s+|\s+)", re.IGNORECASE)
_MAX_ANSWER_CHARS = 1000


class _Unreadable(Exception):
    pass


def _labels_from_string(text: str, labels: dict[str, str], single_chars: bool) -> list[str]:
    if len(text) > _MAX_ANSWER_CHARS:
        raise _Unreadable(f"the answer is longer than {_MAX_ANSWER_CHARS} characters")
    cleaned = text.strip().strip("[](){}").strip()
    picks: list[str] = []
    for token in _SEPARATORS.split(cleaned):
        token = token.strip().strip("()[]{}.:'\"").strip()
        if not token:
            continue
        if token.upper() in labels:
            picks.append(labels[token.upper()])
        elif single_chars and token.isalpha() and all(char.upper() in labels for char in token):
            picks.extend(labels[char.upper()] for char in token)
        else:
            raise _Unreadable(
                f"{token[:30]!r} is not an option; the options are {', '.join(labels.values())}"
            )
    return picks


def _selection(answer: object, labels: dict[str, str]) -> list[str]:
    single_chars = all(len(label) == 1 for label in labels)
    if isinstance(answer, str):
        return _labels_from_string(answer, labels, single_chars)
    if isinstance(answer, list | tuple):
        if len(answer) > 100:
            raise _Unreadable("the list has more items than there are options")
        picks: list[str] = []
        for item in answer:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise _Unreadable(
                    f"expected option letters, got {describe_value(item)} in the list"
                )
            picks.extend(_labels_from_string(str(item), labels, single_chars))
        return picks
    raise _Unreadable(f"expected option letters such as [A, D], got {describe_value(answer)}")


def mcq_config_problems(*, options: Sequence[str], correct: Collection[str]) -> list[ConfigProblem]:
    """Every problem with ``check_mcq``'s configuration: the check it runs before reading an
    answer (``grader validate`` calls it too)."""
    labels = {str(option).strip().upper() for option in options}
    if len(labels) != len(options) or not labels or any(not label for label in labels):
        return [
            ConfigProblem(
                ("options",), f"options must be distinct non-empty labels, got {list(options)!r}"
            )
        ]
    unknown = [c for c in correct if str(c).strip().upper() not in labels]
    if unknown:
        return [
            ConfigProblem(
                ("correct",),
                f"correct options {unknown!r} are not among the options {list(options)!r}",
            )
        ]
    return []


def check_mcq(
    answer: object,
    *,
    options: Sequence[str],
    correct: Collection[str],
    reveal_key: bool = False,
) -> CheckResult:
    """Check the option letters a student ticked against the correct set.

    Raises ``ConfigError`` (a ValueError) when the key is inconsistent (an authoring error;
    see ``mcq_config_problems``); never for an answer.
    """
    raise_config_problems(mcq_config_problems(options=options, correct=correct))
    labels = {str(option).strip().upper(): str(option).strip() for option in options}
    right = tuple(sorted({labels[str(c).strip().upper()] for c in correct}))
    try:
        picks = [] if answer is None else _selection(answer, labels)
    except _Unreadable as error:
        return invalid(str(error))
    selected = tuple(sorted(set(picks)))
    mcq = McqSelection(selected=selected, correct=right, n_options=len(labels))
    key_text = ", ".join(right) if right else "none"
    shown = key_text if reveal_key else None
    if not selected:
        if not right:
            return CheckResult(
                status="correct", fraction=1.0, feedback="Correct.", mcq=mcq, expected=shown
            )
        return CheckResult(
            status="incorrect",
            fraction=0.0,
            feedback="No option selected.",
            mcq=mcq,
            expected=shown,
            answered=False,
        )
    if selected == right:
        return CheckResult(
            status="correct", fraction=1.0, feedback="Correct.", mcq=mcq, expected=shown
        )
    fraction = (
        0.0 if not right else min(1.0, max(0.0, (mcq.right_picks - mcq.wrong_picks) / len(right)))
    )
    if reveal_key:
        wrong = sorted(set(selected) - set(right))
        missed = sorted(set(right) - set(selected))
        parts = []
        if wrong:
            parts.append(f"{_join(wrong)} {'is' if len(wrong) == 1 else 'are'} not correct")
        if missed:
            parts.append(f"{_join(missed)} {'is' if len(missed) == 1 else 'are'} also correct")
        feedback = "; ".join(parts) + f". The correct options are {key_text}."
    else:
        feedback = (
            "Not all options correct: some selected options are wrong or some correct ones "
            "are missing."
        )
    return CheckResult(
        status="partially_correct" if fraction > 0 else "incorrect",
        fraction=fraction,
        feedback=feedback,
        mcq=mcq,
        expected=shown,
    )


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
