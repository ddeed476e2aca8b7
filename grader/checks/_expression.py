"""Symbolic answers: expressions, checked by random evaluation, sympy and big-O rules.

How an answer is decided (``mode``):

* ``exact``: answer − key is 0;
* ``additive_constant``: answer − key is the same at every point (``beta log(pi*/pi_ref)``
  matches ``beta log(pi*/pi_ref) + c``);
* ``multiplicative_constant``: answer / key is the same non-zero number everywhere
  (``L H (m+T) d_k b`` matches ``2 L H (m+T) d_k b``);
* ``asymptotic``: the same maximal monomials (see ``_asymptotic``).

For the first three the answer and key are evaluated (complex arithmetic) at random points
that respect each variable's assumptions: ``positive`` draws from (0.5, 3), ``integer``
from small integers, ``nonnegative`` from [0, 3), ``negative`` from (-3, -0.5), otherwise
±(0.5, 3); a variable marked ``constant: true`` keeps one value at every point (it is the
arbitrary constant of ``additive_constant``). Points where either side has no value are
skipped. Agreement at every point means equivalent; disagreement at many points means not.
When the evidence is thin or mixed, sympy decides (``simplify``, in a child process killed
at the time limit), and if it cannot, the answer is "unchecked" for a TA.

Points are drawn from a generator seeded by the key, so a check always gives the same result.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import time
from collections.abc import Collection, Mapping
from typing import Literal

from grader.checks._asymptotic import (
    Signature,
    Unsupported,
    describe_terms,
    dominant_terms,
    dominated,
)
from grader.checks._common import (
    ConfigProblem,
    blank,
    correct,
    describe_value,
    invalid,
    raise_config_problems,
    unchecked,
)
from grader.checks._evaluate import Budget, EvalError, TooLarge, evaluate
from grader.checks._mathparse import (
    KNOWN_FUNCTIONS,
    LimitError,
    NameTable,
    Node,
    ParseError,
    alias_key,
    name_key,
    parse_math,
    to_text,
)
from grader.checks._symbolic import symbolic_equivalent
from grader.results import CheckResult

__all__ = ["DEFAULT_FUNCTIONS", "Mode", "check_expression", "expression_config_problems"]

Mode = Literal["exact", "additive_constant", "multiplicative_constant", "asymptotic"]
MODES: tuple[Mode, ...] = ("exact", "additive_constant", "multiplicative_constant", "asymptotic")
DEFAULT_FUNCTIONS: tuple[str, ...] = ("log", "exp", "sqrt", "sigma")
"""Functions an answer may use unless the question says otherwise."""

_ASSUMPTION_KEYS = frozenset(
    {
        "positive",
        "negative",
        "nonnegative",
        "nonpositive",
        "integer",
        "real",
        "nonzero",
        "finite",
        "constant",
    }
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$")
N_POINTS = 10
"""Points at which both sides must agree."""
MAX_TRIES = 40
"""Points tried before the numeric evidence counts as too thin."""
MIN_POINTS = 5
"""Fewest valid points for a numeric verdict."""
RELATIVE_TOLERANCE = 1e-8

_MODE_WORDS = {
    "exact": "",
    "additive_constant": " up to an additive constant",
    "multiplicative_constant": " up to a constant factor",
    "asymptotic": "",
}


# ---------------------------------------------------------------------------- configuration


def _name_table(
    variables: Mapping[str, Mapping[str, object]],
    functions: Collection[str],
    mode: Mode,
    allow_sum: bool,
) -> tuple[NameTable, list[ConfigProblem]]:
    """The names an answer may use, and every problem with the declarations."""
    problems: list[ConfigProblem] = []
    table: dict[str, str] = {}
    for name, spec in variables.items():
        where: tuple[str | int, ...] = ("variables", name)
        if not _NAME.match(name):
            problems.append(
                ConfigProblem(
                    where, f"variable name {name!r} must be letters and digits with '_' subscripts"
                )
            )
            continue
        if not isinstance(spec, Mapping):
            problems.append(
                ConfigProblem(
                    where, f"variable {name!r}: assumptions must be a mapping, got {spec!r}"
                )
            )
            continue
        unknown = set(spec) - _ASSUMPTION_KEYS - {"aliases", "description"}
        if unknown:
            problems.append(
                ConfigProblem(where, f"variable {name!r}: unknown assumptions {sorted(unknown)!r}")
            )
        keys = [name_key(name)]
        aliases = spec.get("aliases", [])
        if not isinstance(aliases, list | tuple) or not all(isinstance(a, str) for a in aliases):
            problems.append(
                ConfigProblem(
                    (*where, "aliases"), f"variable {name!r}: 'aliases' must be a list of strings"
                )
            )
            aliases = []
        for i, alias in enumerate(aliases):
            try:
                keys.append(alias_key(alias))
            except (ParseError, LimitError) as error:
                problems.append(
                    ConfigProblem(
                        (*where, "aliases", i),
                        f"variable {name!r}: alias {alias!r} is not a name ({error})",
                    )
                )
        for key in keys:
            if table.get(key, name) != name:
                problems.append(
                    ConfigProblem(where, f"variable {name!r}: {key!r} also names {table[key]!r}")
                )
                continue
            table[key] = name
    canonical = {"ln": "log", "sigmoid": "sigma"}
    allowed = frozenset(canonical.get(f, f) for f in functions)
    unknown_functions = allowed - KNOWN_FUNCTIONS
    if unknown_functions:
        problems.append(
            ConfigProblem(
                ("functions",),
                f"unknown functions {sorted(unknown_functions)!r}; "
                f"known: {sorted(KNOWN_FUNCTIONS)!r}",
            )
        )
    names = NameTable(
        variables=table,
        functions=allowed & KNOWN_FUNCTIONS,
        big_o=mode == "asymptotic",
        allow_sum=allow_sum,
    )
    return names, problems


def _configure(
    expected: str,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode,
    functions: Collection[str],
    allow_sum: bool,
    time_limit_s: float,
) -> tuple[NameTable, Node | None, list[ConfigProblem]]:
    """The name table and parsed key of a configuration, and every problem with it."""
    problems: list[ConfigProblem] = []
    if mode not in MODES:
        problems.append(ConfigProblem(("mode",), f"mode must be one of {MODES!r}, got {mode!r}"))
    if not (isinstance(time_limit_s, int | float) and 0 < time_limit_s < 600):
        problems.append(
            ConfigProblem(
                ("time_limit_s",),
                f"time_limit_s must be between 0 and 600 seconds, got {time_limit_s!r}",
            )
        )
    names, name_problems = _name_table(variables, functions, mode, allow_sum)
    problems += name_problems
    key: Node | None = None
    if not name_problems:  # a key is read with the declared names; it cannot be judged without them
        try:
            key = parse_math(expected, names)
        except (ParseError, LimitError) as error:
            problems.append(
                ConfigProblem(
                    ("expected",), f"the expected expression {expected!r} cannot be parsed: {error}"
                )
            )
    return names, key, problems


def expression_config_problems(
    *,
    expected: str,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode = "exact",
    functions: Collection[str] = DEFAULT_FUNCTIONS,
    allow_sum: bool = False,
    time_limit_s: float = 2.0,
) -> list[ConfigProblem]:
    """Every problem with ``check_expression``'s configuration: the check it runs before
    reading an answer (``grader validate`` calls it too)."""
    return _configure(expected, variables, mode, functions, allow_sum, time_limit_s)[2]


# ---------------------------------------------------------------------------- numeric evidence


def _draw(spec: Mapping[str, object], rng: random.Random) -> float:
    if spec.get("integer"):
        if spec.get("positive"):
            return float(rng.randint(1, 9))
        if spec.get("nonnegative"):
            return float(rng.randint(0, 9))
        if spec.get("negative"):
            return float(rng.randint(-9, -1))
        return float(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]))
    if spec.get("positive"):
        return rng.uniform(0.5, 3.0)
    if spec.get("nonnegative"):
        return rng.uniform(0.0, 3.0)
    if spec.get("negative"):
        return rng.uniform(-3.0, -0.5)
    if spec.get("nonpositive"):
        return rng.uniform(-3.0, 0.0)
    return rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 3.0)


def _close(x: complex, y: complex, scale: float) -> bool:
    return abs(x - y) <= RELATIVE_TOLERANCE * scale + 1e-12


Verdict = Literal["equal", "different", "mixed", "undecided"]


def _numeric_verdict(
    answer: Node,
    key: Node,
    variables: Mapping[str, Mapping[str, object]],
    seed: bytes,
    deadline: float,
) -> tuple[dict[Mode, Verdict], str]:
    """Verdicts for the three numeric modes, and a sample point for notes."""
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    constants = {name: _draw(spec, rng) for name, spec in variables.items() if spec.get("constant")}
    samples: list[tuple[complex, complex, float]] = []
    budget = Budget(max_steps=400_000, deadline=deadline)
    too_large = 0
    for _ in range(MAX_TRIES):
        if len(samples) >= N_POINTS:
            break
        env: dict[str, complex] = {
            name: constants[name] if spec.get("constant") else _draw(spec, rng)
            for name, spec in variables.items()
        }
        try:
            b = evaluate(key, env, budget)
        except EvalError:
            continue
        try:
            a = evaluate(answer, env, budget)
        except TooLarge:
            too_large += 1
            continue
        except EvalError:
            continue
        samples.append((a, b, max(1.0, abs(a), abs(b))))
    if not samples and too_large:
        raise LimitError("the numbers in this answer are too large to evaluate")
    if len(samples) < MIN_POINTS:
        return dict.fromkeys(
            ("exact", "additive_constant", "multiplicative_constant"), "undecided"
        ), ""

    def verdict(agree: list[bool]) -> Verdict:
        disagree = agree.count(False)
        if disagree == 0:
            return "equal"
        if disagree >= max(2, len(agree) // 2):
            return "different"
        return "mixed"

    exact = [_close(a, b, scale) for a, b, scale in samples]
    a0, b0, scale0 = samples[0]
    additive = [_close(a - b, a0 - b0, max(scale, scale0)) for a, b, scale in samples]
    ratios = [a / b if b != 0 else None for a, b, _ in samples]
    r0 = ratios[0]
    if r0 is None or abs(r0) < 1e-12:
        multiplicative = [False] * len(samples)
    else:
        multiplicative = [r is not None and _close(r, r0, max(1.0, abs(r0))) for r in ratios]
    verdicts: dict[Mode, Verdict] = {
        "exact": verdict(exact),
        "additive_constant": verdict(additive),
        "multiplicative_constant": verdict(multiplicative),
    }
    return verdicts, f"{len(samples)} points"


# ---------------------------------------------------------------------------- the checker


def _answer_text(answer: object) -> str | None:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool):
        return None
    if (
        isinstance(answer, int)
        and abs(answer) < 10**50
        or isinstance(answer, float)
        and math.isfinite(answer)
    ):
        return repr(answer)
    return None


def _show_key(expected: str, key: Node, answer: str) -> str:
    return to_text(key, latex=True) if "\\" in answer else expected


def check_expression(
    answer: object,
    *,
    expected: str,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode = "exact",
    functions: Collection[str] = DEFAULT_FUNCTIONS,
    allow_sum: bool = False,
    time_limit_s: float = 2.0,
    reveal_key: bool = False,
) -> CheckResult:
    """Check a symbolic answer (plain math or LaTeX) against the key ``expected``.

    ``variables`` maps each name to sympy-style assumptions (``positive``, ``integer``, ...),
    optionally ``constant: true`` and ``aliases``. Raises ``ConfigError`` (a ValueError) for
    an authoring error (unknown mode, unparsable key, clashing aliases; see
    ``expression_config_problems``); never for an answer.
    """
    start = time.monotonic()
    names, key, problems = _configure(expected, variables, mode, functions, allow_sum, time_limit_s)
    raise_config_problems(problems)
    assert key is not None
    if answer is None or isinstance(answer, str) and not answer.strip():
        return blank()
    text = _answer_text(answer)
    if text is None:
        return invalid(f"expected an expression, got {describe_value(answer)}")
    try:
        parsed = parse_math(text, names)
    except LimitError as error:
        return unchecked(str(error))
    except ParseError as error:
        return invalid(str(error))
    shown = _show_key(expected, key, text) if reveal_key else None
    deadline = start + time_limit_s
    if mode == "asymptotic":
        return _check_asymptotic(parsed, key, shown, deadline)
    return _check_equivalence(parsed, key, variables, mode, shown, expected, start, time_limit_s)


def _check_asymptotic(answer: Node, key: Node, shown: str | None, deadline: float) -> CheckResult:
    budget = Budget(max_steps=200_000, deadline=deadline)
    try:
        want = dominant_terms(key, budget)
    except (Unsupported, LimitError) as error:
        return unchecked(
            "the expected bound cannot be compared automatically", author_note=f"key: {error}"
        )
    try:
        got = dominant_terms(answer, budget)
    except Unsupported as error:
        return unchecked(f"this bound cannot be compared automatically ({error})")
    except LimitError as error:
        return unchecked(str(error))
    if got == want:
        return correct(expected=shown)
    feedback = (
        f"Your answer is {describe_terms(got)} after dropping constants and lower-order terms; "
    )
    feedback += _compare_bounds(got, want)
    if shown is not None:
        feedback += f" The expected answer is {shown}."
    return CheckResult(status="incorrect", fraction=0.0, feedback=feedback, expected=shown)


def _compare_bounds(got: frozenset[Signature], want: frozenset[Signature]) -> str:
    covers = all(any(dominated(w, g) for g in got) for w in want)
    covered = all(any(dominated(g, w) for w in want) for g in got)
    if covers and not covered:
        return "that grows faster than the expected bound (it is not tight)."
    if covered and not covers:
        return "that grows more slowly than the expected bound (it misses some of the cost)."
    return "that is not the expected order of growth."


def _check_equivalence(
    answer: Node,
    key: Node,
    variables: Mapping[str, Mapping[str, object]],
    mode: Mode,
    shown: str | None,
    expected: str,
    start: float,
    time_limit_s: float,
) -> CheckResult:
    seed = hashlib.sha256(f"{mode}\0{expected}".encode()).digest()
    deadline = start + time_limit_s
    try:
        verdicts, note = _numeric_verdict(answer, key, variables, seed, deadline)
    except LimitError as error:
        return unchecked(str(error))
    verdict = verdicts[mode]
    if verdict == "equal":
        return correct(expected=shown)
    if verdict == "different":
        return _incorrect(verdicts, mode, shown)
    remaining = deadline - time.monotonic()
    symbolic = symbolic_equivalent(
        answer, key, variables=variables, mode=mode, time_limit_s=remaining
    )
    if symbolic == "equivalent":
        return correct(expected=shown)
    if verdict == "mixed" and symbolic == "not_shown":
        return _incorrect(verdicts, mode, shown)
    reason = (
        "the time limit was reached"
        if symbolic == "timeout"
        else "the expression could not be evaluated"
    )
    return unchecked(reason, author_note=f"numeric verdict {verdict} ({note}); symbolic {symbolic}")


def _incorrect(verdicts: Mapping[Mode, Verdict], mode: Mode, shown: str | None) -> CheckResult:
    feedback = f"Your expression is not equivalent to the expected one{_MODE_WORDS[mode]}."
    if mode == "exact" and verdicts["multiplicative_constant"] == "equal":
        feedback += " It differs from the expected expression by a constant factor."
    elif mode == "exact" and verdicts["additive_constant"] == "equal":
        feedback += " It differs from the expected expression by an added constant."
    if shown is not None:
        feedback += f" The expected answer is {shown}."
    return CheckResult(status="incorrect", fraction=0.0, feedback=feedback, expected=shown)
