"""Numeric answers: a number, arithmetic, a fraction, or a (nested) list of them.

What a student may write (in YAML, as a number or a string):

* numbers ``-0.145``, ``-1.45e-1``, fractions ``-29/200``, arithmetic ``3.855 - 4``,
  powers ``2^2`` / ``2**2``, ``sqrt``, ``exp``, ``log`` (natural), ``pi``, ``e``;
* thousands separators in groups of three (``124,356,864``, ``124_356_864``,
  ``124 356 864``) when the key is a single number;
* a trailing percent sign means hundredths: ``-14.5%`` is ``-0.145``;
* a leading ``=`` or ``≈`` is ignored;
* vectors and matrices as YAML lists (``[0.8, 0.5, 0]``), as strings (``"[0.8, 0.5, 0]"``)
  or, for a vector, as a comma list (``"0.8, 0.5, 0"``).

A number is right when ``|answer - key| <= atol + rtol * |key|`` (numpy's ``isclose``).
For lists, ``fraction`` is the share of entries within tolerance.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from grader.checks._common import (
    ConfigProblem,
    blank,
    correct,
    describe_value,
    invalid,
    is_blank,
    raise_config_problems,
    unchecked,
)
from grader.checks._evaluate import Budget, EvalError, TooLarge, evaluate
from grader.checks._mathparse import (
    MAX_CHARS,
    LimitError,
    NameTable,
    NumericValue,
    ParseError,
    parse_numeric_value,
)
from grader.results import CheckResult

__all__ = ["check_numeric", "numeric_config_problems"]

Nested = float | list["Nested"]

_NUMBER_NAMES = NameTable(functions=frozenset({"sqrt", "exp", "log", "log2", "log10"}))
_THOUSANDS = re.compile(r"^\s*([-+−]?)(\d{1,3}(?:([,_ ])\d{3})(?:\3\d{3})*)(\.\d+)?\s*$")


class _Unreadable(Exception):
    """The answer is not a number or list of numbers (message for the student)."""


class _TooBig(Exception):
    """The answer cannot be evaluated within the limits (message for the student)."""


def _validate_key(expected: object) -> None:
    if isinstance(expected, bool) or not isinstance(expected, int | float | list | tuple):
        raise ValueError(
            f"numeric key must be a number or a (nested) list of numbers, got {expected!r}"
        )
    if isinstance(expected, list | tuple):
        if not expected:
            raise ValueError("numeric key must not be an empty list")
        for item in expected:
            _validate_key(item)
    elif not math.isfinite(expected):
        raise ValueError(f"numeric key must be finite, got {expected!r}")


def numeric_config_problems(
    *, expected: object, atol: float = 0.0, rtol: float = 1e-6
) -> list[ConfigProblem]:
    """Every problem with ``check_numeric``'s configuration: the check it runs before
    reading an answer (``grader validate`` calls it too)."""
    problems = []
    try:
        _validate_key(expected)
    except ValueError as error:
        problems.append(ConfigProblem(("expected",), str(error)))
    for name, value in (("atol", atol), ("rtol", rtol)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value >= 0)
        ):
            problems.append(
                ConfigProblem(
                    (name,), f"tolerances must be finite and non-negative, got {name}={value!r}"
                )
            )
    return problems


def _key_to_nested(expected: object) -> Nested:
    if isinstance(expected, list | tuple):
        return [_key_to_nested(item) for item in expected]
    assert isinstance(expected, int | float)
    return float(expected)


def _shape(value: Nested) -> tuple[int, ...] | None:
    """(n,) for a vector, (r, c) for a matrix; None for ragged lists."""
    if not isinstance(value, list):
        return ()
    inner = [_shape(item) for item in value]
    if any(s is None for s in inner) or len(set(inner)) > 1:
        return None
    first = inner[0] if inner else ()
    assert first is not None
    return (len(value), *first)


def _describe_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "lists of different lengths"
    if shape == ():
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} number{'s' if shape[0] != 1 else ''}"
    if len(shape) == 2:
        return f"a {shape[0]}×{shape[1]} matrix"
    return f"a nested list of shape {shape}"


def _from_string(text: str, scalar_key: bool) -> Nested:
    text = text.strip().lstrip("=≈~").strip()
    if len(text) > MAX_CHARS:
        raise _TooBig(f"the answer is longer than {MAX_CHARS} characters")
    thousands = _THOUSANDS.match(text)
    if scalar_key and thousands is not None:
        sign, digits, separator, decimals = thousands.groups()
        text = sign + digits.replace(separator, "") + (decimals or "")
    try:
        parsed = parse_numeric_value(text, _NUMBER_NAMES)
    except LimitError as error:
        raise _TooBig(str(error)) from None
    except ParseError as error:
        message = str(error)
        if "unknown symbol" in message:
            message = message.split(";")[0] + "; write a number (only pi and e may appear as names)"
        raise _Unreadable(message) from None
    return _evaluate_nested(parsed, Budget(max_steps=100_000))


def _evaluate_nested(value: NumericValue, budget: Budget) -> Nested:
    if isinstance(value, list):
        return [_evaluate_nested(item, budget) for item in value]
    try:
        result = evaluate(value, {}, budget, real=True)
    except LimitError as error:
        raise _TooBig(str(error)) from None
    except TooLarge:
        raise _TooBig("the number is too large to evaluate") from None
    except EvalError as error:
        raise _Unreadable(str(error)) from None
    return float(result.real)


def _from_answer(answer: object, scalar_key: bool, depth: int = 0) -> Nested:
    if depth > 8:
        raise _Unreadable("the lists are nested too deeply")
    if isinstance(answer, bool):
        raise _Unreadable(f"expected a number, got {describe_value(answer)}")
    if isinstance(answer, int):
        if abs(answer) > 10**300:
            raise _TooBig("the number is too large to evaluate")
        return float(answer)
    if isinstance(answer, float):
        if not math.isfinite(answer):
            raise _Unreadable(f"{answer!r} is not a finite number")
        return answer
    if isinstance(answer, str):
        return _from_string(answer, scalar_key and depth == 0)
    if isinstance(answer, list | tuple):
        if not answer:
            raise _Unreadable("an empty list")
        if len(answer) > 10_000:
            raise _TooBig("the list is too long")
        return [_from_answer(item, False, depth + 1) for item in answer]
    raise _Unreadable(f"expected a number or a list of numbers, got {describe_value(answer)}")


def _flatten(value: Nested) -> list[float]:
    if isinstance(value, list):
        return [x for item in value for x in _flatten(item)]
    return [value]


def _style(answer: object) -> str:
    """How the student wrote numbers, to show the key the same way."""
    text = answer if isinstance(answer, str) else ""
    if "%" in text:
        return "percent"
    if re.search(r"\d\s*/\s*\d", text):
        return "fraction"
    if re.search(r"\d[eE][-+]?\d", text):
        return "scientific"
    if _THOUSANDS.match(text.strip()):
        return "thousands"
    return "plain"


def format_number(value: float, style: str = "plain") -> str:
    """A number the way the student wrote theirs (fraction, percent, 1.2e-3, 1,000)."""
    if style == "percent":
        return f"{value * 100:.10g}%"
    if style == "fraction":
        exact = Fraction(value).limit_denominator(10_000)
        if exact.denominator != 1 and abs(float(exact) - value) <= 1e-12 * max(1.0, abs(value)):
            return f"{exact.numerator}/{exact.denominator}"
    if style == "scientific":
        mantissa, _, exponent = f"{value:.10e}".partition("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    if style == "thousands" and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.12g}"


def _format_nested(value: Nested, style: str) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format_nested(item, style) for item in value) + "]"
    return format_number(value, style)


def _tolerance_text(atol: float, rtol: float) -> str:
    parts = []
    if rtol:
        parts.append(f"relative {rtol:g}")
    if atol:
        parts.append(f"absolute {atol:g}")
    return " or ".join(parts) if parts else "exact"


def check_numeric(
    answer: object,
    *,
    expected: float | int | list[object],
    atol: float = 0.0,
    rtol: float = 1e-6,
    reveal_key: bool = False,
) -> CheckResult:
    """Check a number, vector or matrix against ``expected`` within ``atol`` + ``rtol``.

    Raises ``ConfigError`` (a ValueError) for a bad key or tolerance (an authoring error;
    see ``numeric_config_problems``); never for an answer.
    """
    raise_config_problems(numeric_config_problems(expected=expected, atol=atol, rtol=rtol))
    if is_blank(answer):
        return blank()
    key = _key_to_nested(expected)
    key_shape = _shape(key)
    try:
        value = _from_answer(answer, scalar_key=key_shape == ())
    except _TooBig as error:
        return unchecked(str(error))
    except _Unreadable as error:
        return invalid(str(error))
    style = _style(answer)
    shown_key = _format_nested(key, style)
    got_shape = _shape(value)
    if got_shape != key_shape:
        hint = ""
        if (
            key_shape == ()
            and got_shape == (2,)
            and isinstance(answer, str)
            and re.fullmatch(r"\s*-?\d+,\d+\s*", answer)
        ):
            hint = " (for a decimal number, use a point: 1.5, not 1,5)"
        return CheckResult(
            status="incorrect",
            fraction=0.0,
            feedback=(
                f"Expected {_describe_shape(key_shape)}, got {_describe_shape(got_shape)}{hint}."
            ),
            expected=shown_key if reveal_key else None,
        )
    got, want = _flatten(value), _flatten(key)
    ok = [abs(g - w) <= atol + rtol * abs(w) for g, w in zip(got, want, strict=True)]
    tolerance = _tolerance_text(atol, rtol)
    if all(ok):
        return correct(expected=shown_key if reveal_key else None)
    if key_shape == ():
        feedback = (
            f"Your answer {format_number(got[0], style)} is not within the tolerance "
            f"({tolerance}) of the expected value."
        )
        if reveal_key:
            feedback += f" The expected value is {shown_key}."
        return CheckResult(
            status="incorrect",
            fraction=0.0,
            feedback=feedback,
            expected=shown_key if reveal_key else None,
        )
    n_right = sum(ok)
    feedback = (
        f"{len(ok) - n_right} of {len(ok)} entries are not within the tolerance ({tolerance})."
    )
    if reveal_key:
        wrong = [str(k + 1) for k, good in enumerate(ok) if not good]
        feedback += (
            f" Wrong entries (in reading order): {', '.join(wrong)}. "
            f"The expected value is {shown_key}."
        )
    return CheckResult(
        status="partially_correct" if n_right else "incorrect",
        fraction=n_right / len(ok),
        feedback=feedback,
        expected=shown_key if reveal_key else None,
    )
