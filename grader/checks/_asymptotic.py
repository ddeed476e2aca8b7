"""Big-O comparison: the dominant terms of a polynomial-with-logs in positive variables.

``O(f)`` equals ``O(g)`` here when f and g have the same set of *maximal monomials*: expand
each into a sum of terms ``c * prod(v^a_v * log(v)^b_v)``, drop the coefficients, and keep
the terms no other term dominates, where one term is dominated by another when, for every
variable v, ``(a_v, b_v)`` is lexicographically no larger (a power of n beats any power of
log n). So ``O(3 n^2 d + 8 n d^2 + n d) == O(n^2 d + n d^2)`` (``n d`` is dominated and
constants are ignored) while ``O(L d T^3) != O(L d T^2)``.

Logarithms of a product or sum become sums of ``log(v)`` (``log(n^2 d) ~ log n + log d``,
``log(n + d) ~ log n + log d``); the log base is a constant. Anything else (``2^n``,
``exp``, a sum over an index, a non-integer power of a sum) raises ``Unsupported``. The
expansion is capped at ``MAX_TERMS`` terms.
"""

from __future__ import annotations

from fractions import Fraction

from grader.checks._evaluate import Budget, EvalError, evaluate
from grader.checks._mathparse import BigO, BinOp, Call, LimitError, Neg, Node, Num, SumOf, Sym

__all__ = ["Unsupported", "describe_terms", "dominant_terms", "dominated"]

MAX_TERMS = 2000
"""Most terms an expansion may hold."""
MAX_INTEGER_POWER = 30
"""Largest power of a sum that is expanded, ``(n + d)^30``."""

# One variable's share of a term: (power of v, power of log v).
Key = tuple[Fraction, int]
# A term without its coefficient: sorted ((variable, key), ...), only non-zero keys.
Signature = tuple[tuple[str, Key], ...]
Poly = dict[Signature, float]


_ZERO: Key = (Fraction(0), 0)


class Unsupported(Exception):
    """The expression is not a polynomial-with-logs this module can compare."""


def _merge(a: Signature, b: Signature) -> Signature:
    combined: dict[str, Key] = dict(a)
    for var, (power, logs) in b:
        old_power, old_logs = combined.get(var, (Fraction(0), 0))
        combined[var] = (old_power + power, old_logs + logs)
    return tuple(sorted((var, key) for var, key in combined.items() if key != _ZERO))


def _multiply(a: Poly, b: Poly) -> Poly:
    if len(a) * len(b) > MAX_TERMS * 4:
        raise LimitError("the expression has too many terms to compare")
    result: Poly = {}
    for sig_a, coef_a in a.items():
        for sig_b, coef_b in b.items():
            sig = _merge(sig_a, sig_b)
            result[sig] = result.get(sig, 0.0) + coef_a * coef_b
    if len(result) > MAX_TERMS:
        raise LimitError("the expression has too many terms to compare")
    return result


def _add(a: Poly, b: Poly, sign: float = 1.0) -> Poly:
    result = dict(a)
    for sig, coef in b.items():
        result[sig] = result.get(sig, 0.0) + sign * coef
    if len(result) > MAX_TERMS:
        raise LimitError("the expression has too many terms to compare")
    return result


def _constant(node: Node, budget: Budget) -> float:
    try:
        value = evaluate(node, {}, budget, real=True)
    except EvalError:
        raise Unsupported("an exponent or constant that is not a plain number") from None
    return float(value.real)


def _power_of_term(sig: Signature, coef: float, exponent: Fraction) -> Poly:
    powered = tuple((var, (power * exponent, logs)) for var, (power, logs) in sig)
    if any(logs and exponent.denominator != 1 for _, (_, logs) in powered):
        raise Unsupported("a fractional power of a logarithm")
    powered = tuple((var, (power, logs * int(exponent))) for var, (power, logs) in powered)
    magnitude = abs(coef) ** float(exponent) if coef else 0.0
    return {powered: magnitude}


def _expand(node: Node, budget: Budget) -> Poly:
    budget.spend()
    if isinstance(node, Num):
        return {(): node.value}
    if isinstance(node, Sym):
        if node.name in ("pi", "e"):
            return {(): _constant(node, budget)}
        return {((node.name, (Fraction(1), 0)),): 1.0}
    if isinstance(node, Neg):
        return {sig: -coef for sig, coef in _expand(node.arg, budget).items()}
    if isinstance(node, BigO):
        return _expand(node.arg, budget)
    if isinstance(node, SumOf):
        raise Unsupported("a sum over an index")
    if isinstance(node, Call):
        if node.func == "sqrt":
            return _expand(BinOp("^", node.args[0], Num(0.5, "0.5")), budget)
        if node.func in ("log", "log2", "log10"):
            return _log(_expand(node.args[0], budget))
        raise Unsupported(f"the function {node.func}")
    if node.op in ("+", "-"):
        return _add(
            _expand(node.left, budget), _expand(node.right, budget), 1.0 if node.op == "+" else -1.0
        )
    if node.op == "*":
        return _multiply(_expand(node.left, budget), _expand(node.right, budget))
    if node.op == "/":
        denominator = _nonzero(_expand(node.right, budget))
        if len(denominator) != 1:
            raise Unsupported("division by a sum")
        ((sig, coef),) = denominator.items()
        inverse = _power_of_term(sig, coef, Fraction(-1))
        return _multiply(
            _expand(node.left, budget), {s: (1.0 / coef if coef else 0.0) for s in inverse}
        )
    exponent = Fraction(_constant(node.right, budget)).limit_denominator(1000)
    base = _nonzero(_expand(node.left, budget))
    if len(base) == 1:
        ((sig, coef),) = base.items()
        return _power_of_term(sig, coef, exponent)
    if exponent.denominator == 1 and 0 <= exponent <= MAX_INTEGER_POWER:
        result: Poly = {(): 1.0}
        for _ in range(int(exponent)):
            result = _multiply(result, base)
        return result
    raise Unsupported("a non-integer power of a sum")


def _log(argument: Poly) -> Poly:
    """log of a polynomial, up to a constant factor: the sum of log(v) over its variables."""
    growing = {var for sig in _maximal(argument) for var, (power, _) in sig if power > 0}
    if any(logs for sig in argument for _, (_, logs) in sig):
        raise Unsupported("a logarithm of a logarithm")
    if not growing:
        return {(): 1.0}
    return {((var, (Fraction(0), 1)),): 1.0 for var in sorted(growing)}


def _nonzero(poly: Poly) -> Poly:
    scale = max((abs(coef) for coef in poly.values()), default=0.0)
    return {sig: coef for sig, coef in poly.items() if abs(coef) > 1e-9 * scale}


def dominated(a: Signature, b: Signature) -> bool:
    """True when term a grows no faster than term b in every variable."""
    keys_a, keys_b = dict(a), dict(b)
    zero: Key = (Fraction(0), 0)
    return all(keys_a.get(var, zero) <= keys_b.get(var, zero) for var in set(keys_a) | set(keys_b))


def _maximal(poly: Poly) -> frozenset[Signature]:
    terms = list(_nonzero(poly))
    return frozenset(a for a in terms if not any(b != a and dominated(a, b) for b in terms))


def dominant_terms(node: Node, budget: Budget) -> frozenset[Signature]:
    """The maximal monomials of ``node``; raises Unsupported or LimitError."""
    terms = _maximal(_expand(node, budget))
    if len(terms) == 0:
        return frozenset({()})
    return terms


def describe_terms(terms: frozenset[Signature]) -> str:
    """The dominant terms as ``O(...)`` in plain syntax, for notes and feedback."""
    parts = []
    for sig in sorted(terms):
        factors = []
        for var, (power, logs) in sig:
            if power:
                factors.append(var if power == 1 else f"{var}^{power}")
            if logs:
                factors.append(f"log({var})" if logs == 1 else f"log({var})^{logs}")
        parts.append(" ".join(factors) or "1")
    return "O(" + " + ".join(parts) + ")"
