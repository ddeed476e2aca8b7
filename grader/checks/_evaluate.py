"""Evaluate parsed answers at numbers: the arithmetic behind numeric and expression checks.

Evaluation walks the frozen AST with Python floats (``real=True``) or complex numbers.
It never builds big integers (every literal is a float), so ``9**9**9**9`` overflows at
once instead of hanging, and it counts the nodes it visits: a sum that would loop too
long raises ``LimitError`` instead of running on.
"""

from __future__ import annotations

import cmath
import math
import time
from collections.abc import Callable, Mapping

from grader.checks._mathparse import BigO, Call, LimitError, Neg, Node, Num, SumOf, Sym

__all__ = ["Budget", "EvalError", "TooLarge", "evaluate"]

MAX_SUM_TERMS = 200
"""Most terms one finite sum may have."""


class EvalError(Exception):
    """The answer has no value at this point: division by zero, overflow, a domain error."""


class TooLarge(EvalError):
    """A value overflows a float: the answer's numbers are too large to evaluate."""


class Budget:
    """A cap on evaluation work: node visits and a wall-clock deadline."""

    def __init__(self, max_steps: int = 500_000, deadline: float | None = None) -> None:
        self.steps_left = max_steps
        self.deadline = deadline

    def spend(self) -> None:
        self.steps_left -= 1
        if self.steps_left <= 0:
            raise LimitError("the answer takes too long to evaluate")
        if (
            self.steps_left % 1024 == 0
            and self.deadline is not None
            and time.monotonic() > self.deadline
        ):
            raise LimitError("the answer takes too long to evaluate")


def _finite(value: complex, *, real: bool) -> complex:
    if real and isinstance(value, complex):
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            raise EvalError("the result is not a real number")
        value = value.real
    if cmath.isinf(value):
        raise TooLarge("a number in the answer is too large to evaluate")
    if cmath.isnan(value):
        raise EvalError("the result is undefined")
    return value


def _sigma(x: complex) -> complex:
    # sigma(x) = 1 / (1 + e^{-x}), computed without overflow for large |x|.
    if isinstance(x, float) or x.imag == 0:
        real_x = x.real
        if real_x >= 0:
            return 1.0 / (1.0 + math.exp(-real_x))
        z = math.exp(real_x)
        return z / (1.0 + z)
    return 1.0 / (1.0 + cmath.exp(-x))


def _softplus(x: complex) -> complex:
    # softplus(x) = log(1 + e^x)
    if isinstance(x, float) or x.imag == 0:
        real_x = x.real
        return max(real_x, 0.0) + math.log1p(math.exp(-abs(real_x)))
    return cmath.log(1.0 + cmath.exp(x))


def _call(func: str, args: list[complex], real: bool) -> complex:
    x = args[0]
    if real:
        x_real = x.real if isinstance(x, complex) else x
        if func == "log":
            if x_real <= 0 or (len(args) == 2 and (args[1].real <= 0 or args[1].real == 1)):
                raise EvalError("the logarithm of a number that is not positive")
            base = math.log(args[1].real) if len(args) == 2 else 1.0
            return math.log(x_real) / base
        if func in ("log2", "log10"):
            if x_real <= 0:
                raise EvalError("the logarithm of a number that is not positive")
            return math.log2(x_real) if func == "log2" else math.log10(x_real)
        if func == "sqrt":
            if x_real < 0:
                raise EvalError("the square root of a negative number")
            return math.sqrt(x_real)
        if func == "exp":
            return math.exp(x_real)
    if func == "log":
        if x == 0:
            raise EvalError("the logarithm of zero")
        if len(args) == 2:
            denominator = cmath.log(args[1])
            if denominator == 0:
                raise EvalError("a logarithm in base 1")
            return cmath.log(x) / denominator
        return cmath.log(x)
    if func in ("log2", "log10"):
        if x == 0:
            raise EvalError("the logarithm of zero")
        return cmath.log(x) / math.log(2.0 if func == "log2" else 10.0)
    table: dict[str, Callable[[complex], complex]] = {
        "sqrt": cmath.sqrt,
        "exp": cmath.exp,
        "sin": cmath.sin,
        "cos": cmath.cos,
        "tan": cmath.tan,
        "tanh": cmath.tanh,
        "sigma": _sigma,
        "softplus": _softplus,
        "abs": abs,
    }
    return table[func](x)


def evaluate(
    node: Node, env: Mapping[str, complex], budget: Budget, *, real: bool = False
) -> complex:
    """The value of ``node`` with variables from ``env``.

    Raises EvalError where the answer has no (finite, or with ``real`` real) value,
    LimitError when the budget runs out.
    """
    try:
        return _finite(_evaluate(node, dict(env), budget, real), real=real)
    except OverflowError:
        raise TooLarge("a number in the answer is too large to evaluate") from None
    except (ZeroDivisionError, ValueError) as error:
        raise EvalError(str(error) or "the answer has no value here") from None


def _evaluate(node: Node, env: dict[str, complex], budget: Budget, real: bool) -> complex:
    budget.spend()
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Sym):
        if node.name in env:
            return env[node.name]
        if node.name == "pi":
            return math.pi
        if node.name == "e":
            return math.e
        raise EvalError(f"no value for {node.name!r}")
    if isinstance(node, Neg):
        return -_evaluate(node.arg, env, budget, real)
    if isinstance(node, BigO):
        return _evaluate(node.arg, env, budget, real)
    if isinstance(node, Call):
        args = [_evaluate(arg, env, budget, real) for arg in node.args]
        return _finite(_call(node.func, args, real), real=real)
    if isinstance(node, SumOf):
        lo = _as_integer(_evaluate(node.lo, env, budget, real))
        hi = _as_integer(_evaluate(node.hi, env, budget, real))
        if hi - lo + 1 > MAX_SUM_TERMS:
            raise LimitError(f"a sum has more than {MAX_SUM_TERMS} terms")
        total: complex = 0.0
        inner = dict(env)
        for index in range(lo, hi + 1):
            inner[node.var] = float(index)
            total += _evaluate(node.body, inner, budget, real)
        return _finite(total, real=real)
    left = _evaluate(node.left, env, budget, real)
    right = _evaluate(node.right, env, budget, real)
    if node.op == "+":
        value = left + right
    elif node.op == "-":
        value = left - right
    elif node.op == "*":
        value = left * right
    elif node.op == "/":
        if right == 0:
            raise EvalError("division by zero")
        value = left / right
    else:
        value = _power(left, right, real)
    return _finite(value, real=real)


def _power(base: complex, exponent: complex, real: bool) -> complex:
    if base == 0 and (exponent.real < 0 or (isinstance(exponent, complex) and exponent.imag != 0)):
        raise EvalError("zero to a negative power")
    if real:
        b, x = base.real, exponent.real
        if b < 0 and not float(x).is_integer():
            # Odd roots of negative numbers are real: (-8)^(1/3) = -2.
            reciprocal = 1.0 / x if x != 0 else 0.0
            if (
                reciprocal
                and abs(reciprocal - round(reciprocal)) < 1e-9
                and round(reciprocal) % 2 == 1
            ):
                return -float((-b) ** x)
            raise EvalError("a negative number to a fractional power")
        return float(b**x)
    return complex(base) ** complex(exponent)


def _as_integer(value: complex) -> int:
    real_value = value.real
    if (
        abs(value.imag) > 1e-9
        or abs(real_value - round(real_value)) > 1e-9
        or abs(real_value) > 1e6
    ):
        raise EvalError("a sum bound that is not a (small) integer")
    return int(round(real_value))
