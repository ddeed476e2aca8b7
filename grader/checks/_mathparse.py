"""A small math parser for student answers: plain syntax and LaTeX to a tiny AST.

Nothing here calls ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The text is cut into
tokens by regular expressions and read by a recursive-descent parser whose only output is
the frozen node classes below; names are resolved against a whitelist given by the
question (its variables, its functions, ``pi`` and ``e``), so an answer can only ever
*describe* arithmetic, never run anything.

The work is bounded before it starts: at most ``MAX_CHARS`` characters, ``MAX_TOKENS``
tokens and ``MAX_DEPTH`` levels of nesting; a longer or deeper answer raises ``LimitError``
(reported as "could not check this answer"), a malformed one ``ParseError`` (reported as
"could not read your answer").

Grammar (``^`` is right-associative, implicit multiplication binds like ``*``)::

    answer  := [anything '='] expr            # "Var(S) = d_k" is read as "d_k"
    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/' | <juxtaposition>) unary)*
    unary   := ('-' | '+') unary | power
    power   := postfix ('^' unary)?
    postfix := primary ('%')?
    primary := number | name | call | '(' expr ')' | '{' expr '}' | '[' expr ']'
             | \\frac{expr}{expr} | \\sqrt[n]{expr} | O(expr) | sum

Names are built from a letter run plus subscripts (``d_k``, ``pi_{ref}``,
``\\pi_{\\text{ref}}``), stars (``\\pi^*``, ``\\pi^\\star``, plain ``pi*`` before an operator)
and primes, then matched ignoring underscores (``dk``, ``d_k`` and ``d_{k}`` are one name).
A run of letters that is not a name is split into declared names when it can be
(``nr`` → ``n*r``, ``nd_k`` → ``n*d_k``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "BigO",
    "BinOp",
    "Call",
    "LimitError",
    "Neg",
    "Node",
    "Num",
    "ParseError",
    "SumOf",
    "Sym",
    "NameTable",
    "parse_math",
    "parse_numeric_value",
    "to_text",
    "alias_key",
    "name_key",
    "KNOWN_FUNCTIONS",
    "NumericValue",
]

MAX_CHARS = 2000
"""Longest answer string the parser reads; longer ones are "could not check"."""
MAX_TOKENS = 1000
"""Most tokens in one answer."""
MAX_DEPTH = 40
"""Deepest nesting of brackets, powers and unary signs."""
MAX_NUMBER_DIGITS = 60
"""Longest number literal (digits), so literals never become huge integers."""
MAX_LITERAL_EXPONENT = 308
"""Largest decimal exponent in ``1e308``; beyond it a literal is not a float."""

# ---------------------------------------------------------------------------- errors


class ParseError(Exception):
    """The answer is not readable math: a syntax error, an unknown symbol or function."""


class LimitError(Exception):
    """The answer is too long, too deep or too large to check within the grader's limits."""


# ---------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal; ``text`` is how the student wrote it."""

    value: float
    text: str


@dataclass(frozen=True, slots=True)
class Sym:
    """A declared variable (canonical name) or the constants ``pi`` and ``e``."""

    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    arg: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operation; ``op`` is one of ``+ - * / ^``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A whitelisted function applied to arguments (``log`` may take a base as 2nd arg)."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class BigO:
    """``O(arg)`` (also ``\\mathcal{O}``, ``Theta``) in asymptotic answers."""

    arg: Node


@dataclass(frozen=True, slots=True)
class SumOf:
    """``sum(body, var, lo, hi)`` or ``\\sum_{var=lo}^{hi} body``: a finite sum."""

    var: str
    lo: Node
    hi: Node
    body: Node


Node = Num | Sym | Neg | BinOp | Call | BigO | SumOf

# ---------------------------------------------------------------------------- names

GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "ϕ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
_GREEK_BY_CHAR = {char: name for name, char in GREEK.items() if not name.startswith("var")}
_GREEK_BY_CHAR["ϕ"] = "phi"

KNOWN_FUNCTIONS = frozenset(
    {
        "log",
        "ln",
        "log2",
        "log10",
        "exp",
        "sqrt",
        "sigma",
        "sigmoid",
        "abs",
        "sin",
        "cos",
        "tan",
        "tanh",
        "softplus",
    }
)
"""Functions the evaluators implement; a question allows a subset of them."""

_FUNCTION_COMMANDS = {
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
}
_FUNCTION_ALIASES = {"ln": "log", "sigmoid": "sigma"}
_BIG_O_NAMES = frozenset({"O", "Theta", "Omega"})
_SKIPPED_COMMANDS = frozenset(
    {
        "left",
        "right",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "big",
        "Big",
        "biggl",
        "biggr",
        "displaystyle",
        "limits",
    }
)
_TEXT_COMMANDS = frozenset(
    {"text", "mathrm", "operatorname", "textrm", "mathit", "rm", "mathcal", "mathbf"}
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def name_key(name: str) -> str:
    """The key names are matched by: underscores, braces and spaces do not matter."""
    return re.sub(r"[_{}\s]", "", name)


@dataclass(frozen=True)
class NameTable:
    """What names an answer may use: variables (with aliases), functions, constants.

    ``variables`` maps each name key (see ``name_key``) to the canonical variable name.
    """

    variables: Mapping[str, str] = field(default_factory=dict)
    functions: frozenset[str] = frozenset()
    big_o: bool = False
    allow_sum: bool = False

    def lookup(self, raw: str) -> str | None:
        """The canonical variable or constant for a raw name, or None."""
        found = self.variables.get(name_key(raw))
        if found is not None:
            return found
        if raw in ("pi", "e"):
            return raw
        return None

    def split(self, raw: str) -> list[str] | None:
        """Split a run like ``nd_k`` into declared variables (``n``, ``d_k``), or None."""
        key = name_key(raw)
        if not key or len(key) > 40:
            return None
        # best[i]: a split of key[:i] into variable keys, fewest parts first.
        best: list[list[str] | None] = [None] * (len(key) + 1)
        best[0] = []
        for i in range(len(key)):
            prefix = best[i]
            if prefix is None:
                continue
            for j in range(i + 1, len(key) + 1):
                var = self.variables.get(key[i:j])
                if var is None:
                    continue
                candidate = [*prefix, var]
                current = best[j]
                if current is None or len(candidate) < len(current):
                    best[j] = candidate
        result = best[len(key)]
        return result if result is not None and len(result) > 1 else None

    def describe(self) -> str:
        """The names a student may use, for "unknown symbol" messages."""
        names = sorted(set(self.variables.values()))
        return ", ".join(names) if names else "no variables (numbers only)"


# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # NUM NAME CMD OP END
    text: str
    pos: int
    space_before: bool = False


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z][A-Za-z0-9]*)
  | (?P<cmd>\\[A-Za-z]+)
  | (?P<spacing>\\[,;:!\ ]|~)
  | (?P<escbrace>\\[{}])
  | (?P<op>\*\*|[-+*/^()\[\]{},=_'%|])
    """,
    re.VERBOSE,
)

_CHAR_REPLACEMENTS = {
    "−": "-",
    "–": "-",
    "·": "*",
    "⋅": "*",
    "×": "*",
    "∙": "*",
    "÷": "/",
    "≈": "=",
    "⋆": "*",
    "√": "\\sqrt",
}


def tokenize(text: str) -> list[Token]:
    """Cut an answer into tokens; raises ParseError or LimitError."""
    if len(text) > MAX_CHARS:
        raise LimitError(f"the answer is longer than {MAX_CHARS} characters")
    tokens: list[Token] = []
    pos = 0
    space = False
    while pos < len(text):
        char = text[pos]
        if char in _GREEK_BY_CHAR:
            tokens.append(Token("NAME", _GREEK_BY_CHAR[char], pos, space))
            pos, space = pos + 1, False
            continue
        if char in _CHAR_REPLACEMENTS:
            replacement = _CHAR_REPLACEMENTS[char]
            kind = "CMD" if replacement.startswith("\\") else "OP"
            tokens.append(Token(kind, replacement, pos, space))
            pos, space = pos + 1, False
            continue
        if char in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
            end = pos
            while end < len(text) and text[end] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
                end += 1
            exponent = text[pos:end].translate(_SUPERSCRIPTS)
            tokens.extend(
                [
                    Token("OP", "^", pos, space),
                    Token("OP", "{", pos),
                    *_plain_tokens(exponent, pos),
                    Token("OP", "}", pos),
                ]
            )
            pos, space = end, False
            continue
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {char!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        value = match.group()
        pos = match.end()
        if kind in ("space", "spacing"):
            space = True
            continue
        if kind == "escbrace":
            tokens.append(Token("OP", value[1], match.start(), space))
        elif kind == "num":
            _check_number_literal(value)
            tokens.append(Token("NUM", value, match.start(), space))
        elif kind == "name":
            tokens.append(Token("NAME", value, match.start(), space))
        elif kind == "cmd":
            command = value[1:]
            if command in _SKIPPED_COMMANDS:
                space = True
                continue
            tokens.append(Token("CMD", value, match.start(), space))
        else:
            tokens.append(Token("OP", "^" if value == "**" else value, match.start(), space))
        space = False
        if len(tokens) > MAX_TOKENS:
            raise LimitError(f"the answer has more than {MAX_TOKENS} symbols")
    tokens.append(Token("END", "", len(text), space))
    return tokens


def _plain_tokens(text: str, pos: int) -> list[Token]:
    return [Token(t.kind, t.text, pos) for t in tokenize(text)[:-1]]


def _check_number_literal(text: str) -> None:
    mantissa, _, exponent = text.lower().partition("e")
    if sum(ch.isdigit() for ch in mantissa) > MAX_NUMBER_DIGITS:
        raise LimitError(f"the number {text[:20]}... has too many digits")
    if exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT:
        raise LimitError(f"the number {text!r} is too large or too small to check")


# ---------------------------------------------------------------------------- parser


def _starts_operand(token: Token) -> bool:
    if token.kind in ("NUM", "NAME"):
        return True
    if token.kind == "CMD":
        return token.text not in (
            "\\cdot",
            "\\times",
            "\\div",
            "\\ast",
            "\\star",
            "\\approx",
            "\\to",
        )
    return token.text in ("(", "{", "[")


_CLOSERS = {"(": ")", "{": "}", "[": "]"}


class _Parser:
    def __init__(self, tokens: list[Token], names: NameTable, *, allow_lists: bool = False) -> None:
        self.tokens = tokens
        self.i = 0
        self.names = names
        self.depth = 0
        self.allow_lists = allow_lists
        self.bound: list[str] = []  # summation indices in scope

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "END":
            self.i += 1
        return token

    def at(self, text: str) -> bool:
        return self.tok.kind in ("OP", "CMD") and self.tok.text == text

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise ParseError(f"expected {text!r} {self.where()}")
        self.advance()

    def where(self) -> str:
        token = self.tok
        if token.kind == "END":
            return "at the end of the answer"
        return f"before {token.text!r} at position {token.pos + 1}"

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(f"the answer is nested more than {MAX_DEPTH} levels deep")

    # -- grammar
    def parse_answer(self) -> Node:
        self.i = _after_last_equals(self.tokens)
        node = self.parse_additive()
        if self.tok.kind != "END":
            raise ParseError(f"unexpected {self.tok.text!r} at position {self.tok.pos + 1}")
        return node

    def parse_additive(self) -> Node:
        self.enter()
        node = self.parse_term()
        while self.at("+") or self.at("-"):
            op = self.advance().text
            node = BinOp(op, node, self.parse_term())
        self.depth -= 1
        return node

    def parse_term(self) -> Node:
        node = self.parse_unary()
        while True:
            if self.at("*") or self.at("\\cdot") or self.at("\\times") or self.at("\\ast"):
                self.advance()
                node = BinOp("*", node, self.parse_unary())
            elif self.at("/") or self.at("\\div"):
                self.advance()
                node = BinOp("/", node, self.parse_unary())
            elif _starts_operand(self.tok) and not (self.allow_lists and self.at("[")):
                if self.tok.kind == "NUM" and self.tokens[self.i - 1].kind == "NUM":
                    raise ParseError(
                        f"two numbers next to each other at position {self.tok.pos + 1}; "
                        "separate list entries with commas and write products with '*'"
                    )
                node = BinOp("*", node, self.parse_power())
            else:
                return node

    def parse_unary(self) -> Node:
        if self.at("-") or self.at("+"):
            self.enter()
            sign = self.advance().text
            arg = self.parse_unary()
            self.depth -= 1
            return Neg(arg) if sign == "-" else arg
        return self.parse_power()

    def parse_power(self) -> Node:
        factors = self.parse_postfix()
        if self.at("^"):
            self.enter()
            self.advance()
            exponent = self.parse_exponent()
            self.depth -= 1
            factors[-1] = BinOp("^", factors[-1], exponent)
        node = factors[0]
        for factor in factors[1:]:
            node = BinOp("*", node, factor)
        return node

    def parse_exponent(self) -> Node:
        if self.at("{"):
            return self.parse_group()
        return self.parse_unary()

    def parse_postfix(self) -> list[Node]:
        factors = self.parse_primary()
        if self.at("%"):
            self.advance()
            factors[-1] = BinOp("/", factors[-1], Num(100.0, "100"))
        return factors

    def parse_group(self) -> Node:
        opener = self.advance().text
        node = self.parse_additive()
        self.expect(_CLOSERS[opener])
        return node

    def parse_primary(self) -> list[Node]:
        token = self.tok
        if token.kind == "NUM":
            self.advance()
            return [Num(float(token.text), token.text)]
        if token.kind == "OP" and token.text in _CLOSERS:
            if token.text == "[" and self.allow_lists:
                raise ParseError(f"unexpected '[' at position {token.pos + 1}")
            return [self.parse_group()]
        if token.kind == "CMD":
            return self.parse_command()
        if token.kind == "NAME":
            return self.parse_name()
        if token.kind == "END":
            raise ParseError("the answer ends too early" if self.i else "the answer is empty")
        raise ParseError(f"unexpected {token.text!r} at position {token.pos + 1}")

    # -- LaTeX commands
    def parse_command(self) -> list[Node]:
        token = self.advance()
        command = token.text[1:]
        if command in ("frac", "dfrac", "tfrac"):
            numerator = self.parse_latex_argument()
            denominator = self.parse_latex_argument()
            return [BinOp("/", numerator, denominator)]
        if command == "sqrt":
            self.require_function("sqrt")
            if self.at("["):
                self.advance()
                root = self.parse_additive()
                self.expect("]")
                radicand = self.parse_latex_argument()
                return [BinOp("^", radicand, BinOp("/", Num(1.0, "1"), root))]
            return [Call("sqrt", (self.parse_latex_argument(),))]
        if command in _FUNCTION_COMMANDS:
            return [self.parse_function(_FUNCTION_COMMANDS[command], token)]
        if command in _TEXT_COMMANDS:
            text = self.read_braced_name()
            return self.parse_name(
                Token("NAME", text, token.pos, token.space_before), consumed=True
            )
        if command in GREEK:
            name = (
                "epsilon" if command == "varepsilon" else "phi" if command == "varphi" else command
            )
            return self.parse_name(
                Token("NAME", name, token.pos, token.space_before), consumed=True
            )
        if command == "sum":
            return [self.parse_latex_sum(token)]
        raise ParseError(f"the LaTeX command {token.text!r} is not supported here")

    def parse_latex_argument(self) -> Node:
        """A \\frac or \\sqrt argument: {expr}, or a single token (\\frac12)."""
        if self.at("{"):
            return self.parse_group()
        token = self.tok
        if token.kind == "NUM" and len(token.text) > 1 and token.text.isdigit():
            # \frac12: split off the first digit, leave the rest as the next token.
            self.tokens[self.i] = Token("NUM", token.text[1:], token.pos + 1)
            return Num(float(token.text[0]), token.text[0])
        self.enter()
        factors = self.parse_primary()
        self.depth -= 1
        if len(factors) != 1:
            raise ParseError(f"put braces around the argument {self.where()}")
        return factors[0]

    def read_braced_name(self) -> str:
        """The text of {name} after \\text, \\mathrm, _, ... (nested braces and \\text allowed)."""
        if self.tok.kind in ("NAME", "NUM"):
            return self.advance().text
        self.expect("{")
        depth = 1
        parts: list[str] = []
        while True:
            token = self.advance()
            if token.kind == "END":
                raise ParseError("a '{' is never closed")
            if token.text == "{" and token.kind == "OP":
                depth += 1
            elif token.text == "}" and token.kind == "OP":
                depth -= 1
                if depth == 0:
                    break
            elif token.kind in ("NAME", "NUM"):
                parts.append(token.text)
            elif token.kind == "OP" and token.text in ("_", "*"):
                parts.append("_" if token.text == "_" else "_star")
            elif token.kind == "CMD" and token.text[1:] in _TEXT_COMMANDS:
                continue
            elif token.kind == "CMD" and token.text[1:] in GREEK:
                parts.append(token.text[1:])
            else:
                raise ParseError(f"unexpected {token.text!r} inside a name")
        if not parts:
            raise ParseError("empty name")
        return "".join(parts)

    # -- names and functions
    def require_function(self, func: str) -> None:
        if func not in self.names.functions:
            allowed = ", ".join(sorted(self.names.functions)) or "none"
            raise ParseError(
                f"the function {func!r} is not allowed in this answer (allowed: {allowed})"
            )

    def parse_function(self, func: str, token: Token) -> Node:
        func = _FUNCTION_ALIASES.get(func, func)
        self.require_function(func)
        power: Node | None = None
        base: Node | None = None
        if self.at("^"):
            self.advance()
            power = self.parse_exponent()
        if func == "log" and self.at("_"):
            self.advance()
            base = self.parse_exponent() if self.at("{") else self.parse_atom_only()
        if self.at("("):
            self.enter()
            self.advance()
            args = [self.parse_additive()]
            while self.at(","):
                self.advance()
                args.append(self.parse_additive())
            self.expect(")")
            self.depth -= 1
        elif _starts_operand(self.tok):
            self.enter()
            args = [self.parse_power()]
            self.depth -= 1
        else:
            raise ParseError(f"the function {token.text!r} needs an argument {self.where()}")
        if base is not None:
            args.append(base)
        expected_args = (1, 2) if func == "log" else (1,)
        if len(args) not in expected_args:
            raise ParseError(f"{func} takes {expected_args[0]} argument, got {len(args)}")
        node: Node = Call(func, tuple(args))
        return BinOp("^", node, power) if power is not None else node

    def parse_atom_only(self) -> Node:
        token = self.advance()
        if token.kind == "NUM":
            return Num(float(token.text), token.text)
        raise ParseError(f"unexpected {token.text!r} as a logarithm base")

    def parse_name(self, token: Token | None = None, *, consumed: bool = False) -> list[Node]:
        if token is None:
            token = self.tok
        if not consumed:
            self.advance()
        raw = token.text
        names = self.names
        declared = name_key(raw) in names.variables
        if self.at("(") and not declared:
            if raw in _BIG_O_NAMES and names.big_o:
                self.enter()
                node: Node = BigO(self.parse_group())
                self.depth -= 1
                return [node]
            if raw == "sum" and names.allow_sum:
                return [self.parse_plain_sum(token)]
        if raw in KNOWN_FUNCTIONS:
            canonical = _FUNCTION_ALIASES.get(raw, raw)
            if canonical in names.functions and (
                self.at("(")
                or (not declared and (self.at("^") or _starts_operand(self.tok)))
                or (canonical == "log" and self.at("_"))
            ):
                return [self.parse_function(raw, token)]
            if not declared and self.at("("):
                self.require_function(canonical)
        raw = self.read_name_suffixes(raw)
        if raw in self.bound:
            return [Sym(raw)]
        if self.at("("):
            group = self.compact_group()
            if group is not None:
                text, end = group
                applied = names.variables.get(name_key(raw) + text)
                if applied is not None:
                    self.i = end
                    return [Sym(applied)]
        found = names.lookup(raw)
        if found is not None:
            self.skip_conditioning()
            return [Sym(found)]
        parts = names.split(raw)
        if parts is not None:
            return [Sym(part) for part in parts]
        if self.at("("):
            raise ParseError(f"unknown function {raw!r}; this answer may use: {names.describe()}")
        raise ParseError(f"unknown symbol {raw!r}; this answer may use: {names.describe()}")

    def read_name_suffixes(self, raw: str) -> str:
        """Subscripts, stars and primes that belong to a name (d_k, \\pi^*, pi*, r')."""
        while True:
            if self.at("_"):
                self.advance()
                if self.at("{"):
                    raw += "_" + self.read_braced_name()
                elif self.tok.kind in ("NAME", "NUM"):
                    raw += "_" + self.advance().text
                elif self.tok.kind == "CMD" and self.tok.text[1:] in _TEXT_COMMANDS:
                    self.advance()
                    raw += "_" + self.read_braced_name()
                elif self.tok.kind == "CMD" and self.tok.text[1:] in GREEK:
                    raw += "_" + self.advance().text[1:]
                else:
                    raise ParseError(f"expected a subscript {self.where()}")
            elif self.at("^") and self.is_star(self.peek()):
                self.advance()
                self.skip_star()
                raw += "_star"
            elif self.at("'"):
                self.advance()
                raw += "_prime"
            elif (
                self.at("*")
                and self.names.lookup(raw + "_star") is not None
                and not (_starts_operand(self.peek()) and self.peek().text not in ("+", "-"))
            ):
                self.advance()
                raw += "_star"
            else:
                return raw

    def compact_group(self) -> tuple[str, int] | None:
        """The '(...)' at the cursor as compact text ("(x,y1)") and the index after it.

        Used for aliases written as applications, such as ``r_\\theta(x, y_1)``.
        """
        depth = 0
        parts: list[str] = []
        for k in range(self.i, min(len(self.tokens), self.i + 100)):
            token = self.tokens[k]
            if token.kind == "END":
                return None
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
            parts.append(token.text.lstrip("\\"))
            if depth == 0:
                return name_key("".join(parts)), k + 1
        return None

    def skip_conditioning(self) -> None:
        """Skip a conditioning group after a name, as in pi_ref(y|x): it is notation only."""
        if not self.at("("):
            return
        depth = 0
        for k in range(self.i, len(self.tokens)):
            text = self.tokens[k].text
            if text == "(":
                depth += 1
            elif text == ")":
                depth -= 1
                if depth == 0:
                    return
            elif text == "|" and depth == 1:
                end = k
                while end < len(self.tokens) and not (self.tokens[end].text == ")"):
                    end += 1
                self.i = min(end + 1, len(self.tokens) - 1)
                return

    def is_star(self, token: Token) -> bool:
        if token.text in ("*", "\\star", "\\ast"):
            return True
        if token.text == "{":
            inner, closer = self.peek(2), self.peek(3)
            return inner.text in ("*", "\\star", "\\ast") and closer.text == "}"
        return False

    def skip_star(self) -> None:
        if self.at("{"):
            self.advance()
            self.advance()
            self.expect("}")
        else:
            self.advance()

    # -- sums
    def parse_plain_sum(self, token: Token) -> Node:
        """sum(body, i, lo, hi)."""
        self.enter()
        self.expect("(")
        start = self.i
        # The index must be known before the body is read: find it after the first comma.
        depth = 0
        index_at = -1
        for k in range(start, len(self.tokens)):
            text = self.tokens[k].text
            if text in ("(", "{", "["):
                depth += 1
            elif text in (")", "}", "]"):
                depth -= 1
            elif text == "," and depth == 0:
                index_at = k + 1
                break
        if index_at < 0 or self.tokens[index_at].kind != "NAME":
            raise ParseError("write a sum as sum(expression, i, first, last)")
        index = self.tokens[index_at].text
        self.bound.append(index)
        body = self.parse_additive()
        self.bound.pop()
        self.expect(",")
        self.advance()
        self.expect(",")
        lo = self.parse_additive()
        self.expect(",")
        hi = self.parse_additive()
        self.expect(")")
        self.depth -= 1
        return SumOf(index, lo, hi, body)

    def parse_latex_sum(self, token: Token) -> Node:
        """\\sum_{i=lo}^{hi} body (the body is the following product of factors)."""
        if not self.names.allow_sum:
            raise ParseError("sums are not allowed in this answer")
        self.enter()
        self.expect("_")
        self.expect("{")
        if self.tok.kind != "NAME":
            raise ParseError(f"expected the summation index {self.where()}")
        index = self.advance().text
        self.expect("=")
        lo = self.parse_additive()
        self.expect("}")
        self.expect("^")
        hi = self.parse_exponent()
        self.bound.append(index)
        body = self.parse_term()
        self.bound.pop()
        self.depth -= 1
        return SumOf(index, lo, hi, body)


def _after_last_equals(tokens: list[Token]) -> int:
    """Index after the last top-level '=' ("Var(S) = d_k" is read as "d_k"), else 0."""
    depth = 0
    start = 0
    for k, token in enumerate(tokens):
        if token.text in ("(", "{", "["):
            depth += 1
        elif token.text in (")", "}", "]"):
            depth -= 1
        elif token.text in ("=", "\\approx") and depth == 0:
            start = k + 1
    return start


def parse_math(text: str, names: NameTable) -> Node:
    """Parse one expression answer; raises ParseError or LimitError."""
    tokens = tokenize(text)
    return _Parser(tokens, names).parse_answer()


NumericValue = Node | list["NumericValue"]


def parse_numeric_value(text: str, names: NameTable) -> NumericValue:
    """Parse a number, or a bracketed (nested) list of them: ``[[1, 2], [3, 4]]``.

    A top-level comma list without brackets (``0.8, 0.5, 0``) is read as a vector.
    """
    tokens = tokenize(text)
    parser = _Parser(tokens, names, allow_lists=True)
    parser.i = _after_last_equals(tokens)

    def item() -> NumericValue:
        if parser.at("["):
            parser.enter()
            parser.advance()
            items = [item()]
            while parser.at(","):
                parser.advance()
                items.append(item())
            parser.expect("]")
            parser.depth -= 1
            return items
        return parser.parse_additive()

    first = item()
    if parser.at(","):
        values = [first]
        while parser.at(","):
            parser.advance()
            values.append(item())
        first = values
    if parser.tok.kind != "END":
        raise ParseError(f"unexpected {parser.tok.text!r} at position {parser.tok.pos + 1}")
    return first


# ---------------------------------------------------------------------------- printing

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}


def to_text(node: Node, *, latex: bool = False) -> str:
    """Write a node back as plain math (``2*n*r``) or LaTeX, for feedback."""
    return _write(node, latex, 0)


def _write(node: Node, latex: bool, outer: int) -> str:
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Sym):
        return _latex_name(node.name) if latex else node.name
    if isinstance(node, Neg):
        text = "-" + _write(node.arg, latex, 3)
        return f"({text})" if outer > 1 else text
    if isinstance(node, Call):
        args = ", ".join(_write(arg, latex, 0) for arg in node.args)
        if latex:
            if node.func == "sqrt":
                return f"\\sqrt{{{args}}}"
            name = (
                f"\\{node.func}"
                if node.func in ("log", "exp", "sin", "cos", "tan", "tanh", "sigma")
                else node.func
            )
            return f"{name}\\left({args}\\right)"
        return f"{node.func}({args})"
    if isinstance(node, BigO):
        inner = _write(node.arg, latex, 0)
        return f"O\\left({inner}\\right)" if latex else f"O({inner})"
    if isinstance(node, SumOf):
        lo, hi, body = (_write(part, latex, 0) for part in (node.lo, node.hi, node.body))
        if latex:
            return f"\\sum_{{{node.var}={lo}}}^{{{hi}}} {body}"
        return f"sum({body}, {node.var}, {lo}, {hi})"
    precedence = _PRECEDENCE[node.op]
    if latex and node.op == "/":
        return f"\\frac{{{_write(node.left, latex, 0)}}}{{{_write(node.right, latex, 0)}}}"
    if node.op == "^":
        left = _write(node.left, latex, precedence + 1)
        right = _write(node.right, latex, 0 if latex else precedence)
        text = f"{left}^{{{right}}}" if latex else f"{left}^{right}"
    else:
        right_outer = precedence + 1 if node.op in ("-", "/") else precedence
        left = _write(node.left, latex, precedence)
        right = _write(node.right, latex, right_outer)
        symbol = {"*": " \\cdot " if latex else "*"}.get(node.op, f" {node.op} ")
        text = f"{left}{symbol}{right}"
    return (
        f"\\left({text}\\right)"
        if latex and precedence < outer
        else f"({text})"
        if precedence < outer
        else text
    )


def _latex_name(name: str) -> str:
    head, _, tail = name.partition("_")
    head = f"\\{head}" if head in GREEK else head
    if tail == "star":
        return f"{head}^*"
    if tail:
        return f"{head}_{{{tail}}}" if len(tail) == 1 else f"{head}_{{\\text{{{tail}}}}}"
    return head


def alias_key(text: str) -> str:
    """The name key an alias like ``\\pi^*``, ``π_ref`` or ``Z`` stands for.

    Raises ParseError unless ``text`` is a single name with subscripts, stars or primes.
    """
    tokens = tokenize(text)
    parser = _Parser(tokens, NameTable())
    token = parser.advance()
    if token.kind == "CMD" and token.text[1:] in _TEXT_COMMANDS:
        raw = parser.read_braced_name()
    elif token.kind == "CMD" and token.text[1:] in GREEK:
        raw = token.text[1:]
    elif token.kind == "NAME":
        raw = token.text
    else:
        raise ParseError(f"{text!r} is not a name")
    if parser.at("*"):
        parser.advance()
        raw += "_star"
    raw = parser.read_name_suffixes(raw)
    if parser.at("*"):
        parser.advance()
        raw += "_star"
    if parser.at("("):
        group = parser.compact_group()
        if group is None:
            raise ParseError(f"{text!r} has an unclosed '('")
        suffix, parser.i = group
        return name_key(raw) + suffix
    if parser.tok.kind != "END":
        raise ParseError(f"{text!r} is not a single name")
    return name_key(raw)
