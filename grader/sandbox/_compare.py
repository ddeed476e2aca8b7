"""Comparing a student's value with the expected one, in the grader, with student-facing reasons.

Rules: ``exact``, ``allclose`` (rtol/atol per dtype and device), ``tokens`` (sequence
equality), ``set`` (order-free equality), or a custom checker ``(expected, actual) ->
Comparison | bool | (bool, str)``. The expected value never leaves the grader process.
Nothing broadcasts, types must match exactly (a subclass or a custom ``__eq__`` cannot pass
because values arrive rebuilt from bytes, and ``type(x) is`` is checked again here), and
NaN never equals anything, not even an expected NaN.

Messages follow PrairieLearn: ``does not have correct shape--got: (3,), expected: (3, 1)``,
for visible cases (``show_values=True``). For hidden cases keep ``show_values=False``: the
student's code has seen the hidden inputs and chooses what it returns, so anything a
message says about the returned value (a shape, a length, dict keys, a type name, a count,
an index, the path of the element that differs) could carry a hidden input out. A hidden
message is then a fixed phrase (which check failed) plus facts about the *expected* value
that do not depend on the hidden inputs: its type, rank, dtype and device, and the
tolerance; ``does not have correct shape (expected a 2-D tensor)``. A custom checker's
message may quote anything, so for hidden cases it becomes ``is not correct``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import torch

from grader.sandbox._types import Comparison
from grader.tolerances import DEFAULT_TOLERANCES, Tolerance

Rule = Literal["exact", "allclose", "tokens", "set"]
Checker = Callable[[Any, Any], Any]


def tolerance_for(
    dtype: str, device: str = "cpu", tolerances: Mapping[str, Tolerance] | None = None
) -> Tolerance:
    """The tolerance for values of ``dtype`` computed on ``device``; a question's own
    ``tolerances`` override the defaults key by key."""
    table = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    key = "tf32" if dtype == "float32" and device.startswith("cuda") else dtype
    if key not in table:
        return Tolerance(rtol=0.0, atol=0.0)  # integers and bools: exact
    return table[key]


def compare(
    expected: Any,
    actual: Any,
    rule: Rule | Checker = "allclose",
    tolerances: Mapping[str, Tolerance] | None = None,
    device: str | None = None,
    *,
    show_values: bool = False,
) -> Comparison:
    """Check ``actual`` (the student's decoded value) against ``expected`` (the reference's).

    ``device``: where the case ran ("cpu"/"cuda"), for the tolerance and the device check;
    default: the expected tensor's device. ``show_values``: say what the student's value is
    (visible cases); without it, messages are fixed phrases plus facts about the expected
    value (hidden cases), and a custom checker's message becomes ``is not correct``.
    """
    if callable(rule):
        return _custom(rule, expected, actual, show_values)
    try:
        if rule == "tokens":
            return _result(_tokens(expected, actual, show_values))
        if rule == "set":
            return _result(_set(expected, actual, show_values))
        if rule not in ("exact", "allclose"):
            raise ValueError(
                f"unknown comparison rule {rule!r}; use exact, allclose, tokens, set or a function"
            )
        return _result(_value(expected, actual, rule, tolerances, device, show_values, ""))
    except _Mismatch as exc:
        return Comparison(passed=False, message=str(exc))


class _Mismatch(Exception):
    pass


def _result(message: str | None) -> Comparison:
    return Comparison(passed=message is None, message=message or "")


def _at(path: str) -> str:
    return f"{path} " if path else ""


def _type_name(value: Any) -> str:
    t = type(value)
    return (
        t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"
    )


def _a(name: str) -> str:
    """``a torch.Tensor``, ``an int``, ``None``."""
    if name == "NoneType":
        return "None"
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _say(phrase: str, *, show: bool, path: str, got: str = "", fact: str = "") -> str:
    """One failure, in the words a student sees.

    ``phrase`` says which check failed (``does not have correct shape``). A visible case
    (``show``) gets the path of the element and ``got``, the detail quoting the student's
    value (``--got: (3,), expected: (3, 1)``). A hidden case gets the phrase and ``fact``,
    about the expected value only (``expected a 2-D tensor``), and no path: which element
    fails is the student's choice. A nested element's fact is left out too, since which
    element's fact is shown would again be the student's choice.
    """
    if show:
        return f"{_at(path)}{phrase}{got}"
    if path:
        return f"has an element that {phrase}"
    return f"{phrase} ({fact})" if fact else phrase


def _wrong_type(expected_name: str, actual: Any, show: bool, path: str) -> str:
    return _say(
        "has the wrong type",
        show=show,
        path=path,
        got=f"--got: {_type_name(actual)}, expected: {expected_name}",
        fact=f"expected {_a(expected_name)}",
    )


def _value(
    expected: Any,
    actual: Any,
    rule: str,
    tolerances: Mapping[str, Tolerance] | None,
    device: str | None,
    show: bool,
    path: str,
) -> str | None:
    if type(expected) is torch.Tensor or type(expected) is np.ndarray:
        return _array(expected, actual, rule, tolerances, device, show, path)
    if type(expected) in (list, tuple):
        if type(actual) not in (list, tuple):
            return _wrong_type(_type_name(expected), actual, show, path)
        if len(actual) != len(expected):
            return _say(
                "does not have correct length",
                show=show,
                path=path,
                got=f"--got: {len(actual)}, expected: {len(expected)}",
            )
        for k, (e, a) in enumerate(zip(expected, actual, strict=True)):
            message = _value(e, a, rule, tolerances, device, show, f"{path}[{k}]")
            if message:
                return message
        return None
    if type(expected) is dict:
        if type(actual) is not dict:
            return _wrong_type("dict", actual, show, path)
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            return _say(
                "does not have correct keys",
                show=show,
                path=path,
                got=f"--missing: {missing}, unexpected: {extra}",
            )
        for key in expected:
            message = _value(
                expected[key], actual[key], rule, tolerances, device, show, f"{path}[{key!r}]"
            )
            if message:
                return message
        return None
    if type(expected) is float or (
        type(expected) is int and rule == "allclose" and type(actual) is float
    ):
        if type(actual) not in (float, int):
            return _wrong_type("float", actual, show, path)
        return _scalar(float(expected), float(actual), rule, tolerances, device, show, path)
    if type(actual) is not type(expected):
        return _wrong_type(_type_name(expected), actual, show, path)
    if actual != expected:
        return _say(
            "is not correct", show=show, path=path, got=f"--got: {actual!r}, expected: {expected!r}"
        )
    return None


def _scalar(
    expected: float,
    actual: float,
    rule: str,
    tolerances: Mapping[str, Tolerance] | None,
    device: str | None,
    show: bool,
    path: str,
) -> str | None:
    if math.isnan(actual):
        return _say("is NaN", show=show, path=path)
    if math.isinf(actual) and actual != expected:
        return f"{_at(path)}is {actual} (Inf)" if show else _say("is Inf", show=show, path=path)
    if rule == "exact":
        ok = actual == expected
    else:
        tol = tolerance_for("float64", device or "cpu", tolerances)
        ok = actual == expected or abs(actual - expected) <= tol.atol + tol.rtol * abs(expected)
    if ok:
        return None
    return _say(
        "is not correct", show=show, path=path, got=f"--got: {actual!r}, expected: {expected!r}"
    )


def _dtype_name(value: Any) -> str:
    if type(value) is torch.Tensor:
        return str(value.dtype).removeprefix("torch.")
    return str(value.dtype)


def _array(
    expected: Any,
    actual: Any,
    rule: str,
    tolerances: Mapping[str, Tolerance] | None,
    device: str | None,
    show: bool,
    path: str,
) -> str | None:
    if type(actual) is not type(expected):
        return _wrong_type(_type_name(expected), actual, show, path)
    run_device = device or (expected.device.type if type(expected) is torch.Tensor else "cpu")
    if type(expected) is torch.Tensor and actual.device.type != expected.device.type:
        e_device = expected.device.type
        return _say(
            "is on the wrong device",
            show=show,
            path=path,
            got=f"--got: {actual.device.type}, expected: {e_device}",
            fact=f"expected {e_device}",
        )
    e_dtype, a_dtype = _dtype_name(expected), _dtype_name(actual)
    if a_dtype != e_dtype:
        return _say(
            "does not have correct dtype",
            show=show,
            path=path,
            got=f"--got: {a_dtype}, expected: {e_dtype}",
            fact=f"expected {e_dtype}",
        )
    if tuple(actual.shape) != tuple(expected.shape):
        kind = "tensor" if type(expected) is torch.Tensor else "array"
        return _say(
            "does not have correct shape",
            show=show,
            path=path,
            got=f"--got: {tuple(actual.shape)}, expected: {tuple(expected.shape)}",
            fact=f"expected a {expected.ndim}-D {kind}",
        )
    e = _as_numpy(expected)
    a = _as_numpy(actual)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if nan.any():
            return _say(
                "contains NaN",
                show=show,
                path=path,
                got=f" at {int(nan.sum())} of {a.size} positions (first at index {_index(nan)})",
            )
        bad_inf = np.isinf(a) & (a != e)
        if bad_inf.any():
            return _say(
                "contains Inf",
                show=show,
                path=path,
                got=f" at {int(bad_inf.sum())} of {a.size} positions"
                f" (first at index {_index(bad_inf)})",
            )
    if rule == "exact" or a.dtype.kind != "f":
        wrong = a != e
        if not wrong.any():
            return None
        first = _index(wrong)
        return _say(
            "does not have correct values",
            show=show,
            path=path,
            got=f"--{int(wrong.sum())} of {a.size} elements differ"
            f" (first at index {first}: got {a[first]!r}, expected {e[first]!r})",
        )
    tol = tolerance_for(e_dtype, run_device, tolerances)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
        wrong = ~((diff <= tol.atol + tol.rtol * np.abs(e)) | (a == e))
    if not wrong.any():
        return None
    within = f"rtol={tol.rtol:g}, atol={tol.atol:g}"
    got = ""
    if show:
        worst = np.unravel_index(int(np.nanargmax(np.where(wrong, diff, -np.inf))), a.shape)
        got = (
            f"--{int(wrong.sum())} of {a.size} elements differ by more than {within}"
            f" (largest difference {float(diff[worst]):.3g}"
            f" at index {tuple(int(i) for i in worst)})"
        )
    return _say(
        "does not have correct values",
        show=show,
        path=path,
        got=got,
        fact=f"some elements differ by more than {within}",
    )


def _as_numpy(value: Any) -> np.ndarray[Any, Any]:
    if type(value) is torch.Tensor:
        t = value.detach().cpu()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.to(torch.float64)
        return t.numpy()
    arr: np.ndarray[Any, Any] = value
    return arr.astype(np.float64) if arr.dtype == np.float16 else arr


def _index(mask: np.ndarray[Any, Any]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _as_sequence(value: Any, what: str, show: bool) -> list[Any]:
    if type(value) in (torch.Tensor, np.ndarray):
        if value.ndim != 1:
            raise _Mismatch(
                _say(
                    "does not have correct shape",
                    show=show,
                    path="",
                    got=f"--got: {tuple(value.shape)}, expected: a 1-D {what}",
                    fact=f"expected a 1-D {what}",
                )
            )
        if (
            value.dtype.is_floating_point
            if type(value) is torch.Tensor
            else value.dtype.kind == "f"
        ):
            raise _Mismatch(
                _say(
                    "does not have correct dtype",
                    show=show,
                    path="",
                    got=f"--got: {_dtype_name(value)}, expected: integer token ids",
                    fact="expected integer token ids",
                )
            )
        return [int(x) for x in value.tolist()]
    if type(value) in (list, tuple):
        if not all(type(x) in (int, str) for x in value):
            raise _Mismatch(
                _say(
                    "has the wrong type",
                    show=show,
                    path="",
                    got=f"--expected: a {what} of integers or strings",
                    fact=f"expected a {what} of integers or strings",
                )
            )
        return list(value)
    raise _Mismatch(
        _say(
            "has the wrong type",
            show=show,
            path="",
            got=f"--got: {_type_name(value)}, expected: a {what}",
            fact=f"expected a {what}",
        )
    )


def _tokens(expected: Any, actual: Any, show: bool) -> str | None:
    e = _as_sequence(expected, "sequence", show)
    a = _as_sequence(actual, "sequence", show)
    for k, (x, y) in enumerate(zip(e, a, strict=False)):
        if x != y or type(x) is not type(y):
            if show:
                return (
                    f"differs from the expected sequence at position {k}"
                    f"--got: {y!r}, expected: {x!r}"
                )
            return "differs from the expected sequence"
    if len(a) != len(e):
        return _say(
            "does not have correct length",
            show=show,
            path="",
            got=f"--got: {len(a)}, expected: {len(e)}",
        )
    return None


def _hashable(value: Any, show: bool) -> Any:
    if type(value) in (torch.Tensor, np.ndarray):
        return ("array", tuple(value.shape), tuple(np.asarray(_as_numpy(value)).ravel().tolist()))
    if type(value) in (list, tuple):
        return tuple(_hashable(v, show) for v in value)
    if type(value) is float and math.isnan(value):
        raise _Mismatch("contains NaN")
    if type(value) not in (int, str, bool, float, type(None)):
        raise _Mismatch(
            f"has an element of type {_type_name(value)}, which cannot be compared"
            if show
            else "has an element that cannot be compared"
        )
    return value


def _set(expected: Any, actual: Any, show: bool) -> str | None:
    if type(actual) not in (list, tuple, set, frozenset):
        return _say(
            "has the wrong type",
            show=show,
            path="",
            got=f"--got: {_type_name(actual)}, expected: a list or set",
            fact="expected a list or set",
        )
    e = {_hashable(v, show) for v in expected}
    a_list = [_hashable(v, show) for v in actual]
    a = set(a_list)
    if len(a_list) != len(a) and len(expected) == len(e):
        return "contains duplicate elements"
    missing, extra = e - a, a - e
    if not missing and not extra:
        return None
    if not show:
        return "does not have correct elements"
    return (
        f"is missing {len(missing)} expected element{'s' * (len(missing) != 1)} and has "
        f"{len(extra)} unexpected element{'s' * (len(extra) != 1)}"
        f"--unexpected: {sorted(map(repr, extra))[:10]}"
    )


def _custom(checker: Checker, expected: Any, actual: Any, show: bool) -> Comparison:
    """A custom checker's verdict; for a hidden case its message (which may quote anything
    about the student's value) is replaced by ``is not correct``."""
    result = checker(expected, actual)
    if isinstance(result, Comparison):
        passed, message = result.passed, result.message
    elif isinstance(result, bool):
        passed, message = result, "is not correct"
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        passed, message = result[0], str(result[1])
    else:
        raise TypeError(f"a checker must return Comparison, bool or (bool, str), got {result!r}")
    if passed:
        return Comparison(passed=True, message=message if show else "")
    return Comparison(
        passed=False, message=(message or "is not correct") if show else "is not correct"
    )
