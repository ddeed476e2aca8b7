"""Symbolic equivalence with sympy, in a child process that is killed at the time limit.

The parsed AST is turned into sympy objects by calling constructors (``sympy.Add``,
``sympy.Symbol(name, positive=True)``, ...): no string ever reaches ``sympify``. sympy's
``simplify`` has no time bound of its own, so it runs in a forked child process; the
parent waits ``time_limit_s`` and kills the child if it has not answered. Where ``fork``
is not available the symbolic step is skipped (the numeric check still decides).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal

from grader.checks._mathparse import BigO, Call, Neg, Node, Num, SumOf, Sym

__all__ = ["SymbolicVerdict", "symbolic_equivalent"]

SymbolicVerdict = Literal["equivalent", "not_shown", "timeout", "skipped"]
Mode = Literal["exact", "additive_constant", "multiplicative_constant", "asymptotic"]

_SYMPY_ASSUMPTIONS = frozenset(
    {"positive", "negative", "nonnegative", "nonpositive", "integer", "real", "nonzero", "finite"}
)


MAX_SYMBOLIC_EXPONENT = 1000
"""Larger constant exponents are not handed to sympy (9**9**9 would never finish)."""


class _TooLarge(Exception):
    pass


def _sympy() -> Any:
    """sympy, imported by the first symbolic check (about 0.7 s: a command that checks no
    formula never pays it). ``symbolic_equivalent`` calls it in the grader before forking,
    so the child that runs ``simplify`` inherits the module instead of importing it."""
    import sympy

    return sympy


def _to_sympy(node: Node, symbols: Mapping[str, Any]) -> Any:
    sympy = _sympy()

    def build(n: Node, bound: Mapping[str, Any]) -> Any:
        if isinstance(n, Num):
            exact = Fraction(n.text)
            return sympy.Rational(exact.numerator, exact.denominator)
        if isinstance(n, Sym):
            if n.name in bound:
                return bound[n.name]
            if n.name in symbols:
                return symbols[n.name]
            return sympy.pi if n.name == "pi" else sympy.E
        if isinstance(n, Neg):
            return -build(n.arg, bound)
        if isinstance(n, BigO):
            return build(n.arg, bound)
        if isinstance(n, SumOf):
            index = sympy.Symbol(n.var, integer=True)
            inner = {**bound, n.var: index}
            return sympy.Sum(build(n.body, inner), (index, build(n.lo, bound), build(n.hi, bound)))
        if isinstance(n, Call):
            args = [build(arg, bound) for arg in n.args]
            x = args[0]
            if n.func == "log":
                return sympy.log(x, args[1]) if len(args) == 2 else sympy.log(x)
            functions = {
                "log2": lambda v: sympy.log(v, 2),
                "log10": lambda v: sympy.log(v, 10),
                "exp": sympy.exp,
                "sqrt": sympy.sqrt,
                "sigma": lambda v: 1 / (1 + sympy.exp(-v)),
                "softplus": lambda v: sympy.log(1 + sympy.exp(v)),
                "abs": sympy.Abs,
                "sin": sympy.sin,
                "cos": sympy.cos,
                "tan": sympy.tan,
                "tanh": sympy.tanh,
            }
            return functions[n.func](x)
        left, right = build(n.left, bound), build(n.right, bound)
        if n.op == "+":
            return left + right
        if n.op == "-":
            return left - right
        if n.op == "*":
            return left * right
        if n.op == "/":
            return left / right
        if right.is_number and abs(complex(right.evalf(15))) > MAX_SYMBOLIC_EXPONENT:
            raise _TooLarge("an exponent too large for symbolic work")
        return sympy.Pow(left, right)

    return build(node, {})


def _decide(
    answer: Node, expected: Node, variables: Mapping[str, Mapping[str, object]], mode: Mode
) -> SymbolicVerdict:
    sympy = _sympy()
    symbols = {
        name: sympy.Symbol(name, **{k: bool(v) for k, v in spec.items() if k in _SYMPY_ASSUMPTIONS})
        for name, spec in variables.items()
    }
    a = _to_sympy(answer, symbols)
    b = _to_sympy(expected, symbols)
    if mode == "exact":
        return "equivalent" if sympy.simplify(a - b) == 0 else "not_shown"
    if mode == "additive_constant":
        difference = sympy.simplify(a - b)
        varying = [symbols[name] for name, spec in variables.items() if not spec.get("constant")]
        return (
            "equivalent"
            if all(sympy.simplify(difference.diff(v)) == 0 for v in varying)
            else "not_shown"
        )
    if mode == "multiplicative_constant":
        ratio = sympy.simplify(a / b)
        moving = {symbols[name] for name, spec in variables.items() if not spec.get("constant")}
        return "equivalent" if ratio != 0 and not (ratio.free_symbols & moving) else "not_shown"
    return "not_shown"


def _child(
    connection: multiprocessing.connection.Connection,
    answer: Node,
    expected: Node,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode,
) -> None:
    try:
        verdict: SymbolicVerdict = _decide(answer, expected, variables, mode)
    except Exception:  # any sympy failure in the child only means "not shown"
        verdict = "not_shown"
    connection.send(verdict)
    connection.close()


def symbolic_equivalent(
    answer: Node,
    expected: Node,
    *,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode,
    time_limit_s: float,
) -> SymbolicVerdict:
    """Whether sympy shows ``answer`` equivalent to ``expected`` within ``time_limit_s``."""
    if time_limit_s <= 0.05:
        return "timeout"
    _sympy()  # here, not in the child: a check does not pay for the import
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return "skipped"
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(sender, answer, expected, variables, mode), daemon=True
    )
    try:
        process.start()
    except OSError:
        return "skipped"
    sender.close()
    try:
        if receiver.poll(time_limit_s):
            verdict: SymbolicVerdict = receiver.recv()
            return verdict
        return "timeout"
    except (EOFError, OSError):
        return "not_shown"
    finally:
        if process.is_alive():
            process.kill()
        process.join(1.0)
        receiver.close()
