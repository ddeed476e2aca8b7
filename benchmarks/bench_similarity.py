"""Benchmark: the similarity report on a synthetic class with known copies.

Not a test. Builds a class from the example submissions of the mid-semester exam
(submissions/midsem-2025: paper, typical, weak, cheating), independent correct solutions
written differently by hand (``INDEPENDENT``, which must NOT be flagged), and randomly
generated programs standing in for the rest of an independent class; then copies some of
them the way students disguise copied code:

* identifiers renamed, top-level functions reordered, comments and blank lines changed
  (``ast.unparse`` drops the originals, new ones are added);
* expressions split (``return e`` -> ``result = e; return result``) or wrapped in
  parentheses, append-loops turned into list comprehensions;
* copies of a copy.

It prints recall (true copy pairs flagged) and the false-pair rate (flagged pairs that are
not copies, and negatives flagged) at the default threshold, and the run time of the whole
analysis at 50, 200 and 800 submissions.

Usage: python benchmarks/bench_similarity.py [--sizes 50,200,800] [--seed 0]
"""

from __future__ import annotations

import argparse
import ast
import builtins
import random
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.loading import load_exam  # noqa: E402
from grader.similarity import DEFAULT_THRESHOLD, StudentWork, analyse  # noqa: E402
from grader.similarity.collect import given_code, slot_kinds, student_work  # noqa: E402
from grader.submissions import read_submission  # noqa: E402

EXAMPLES = ROOT / "submissions" / "midsem-2025"

INDEPENDENT: dict[str, list[str]] = {
    "B1a": [
        """import torch


def rnn_grad_A(A, B, b, C, x, y_hat):
    steps = x.shape[0]
    states = [torch.zeros(A.shape[0], dtype=A.dtype)]
    for k in range(steps):
        states.append(torch.mv(A, states[k]) + torch.mv(B, x[k]) + b)
    grad = torch.zeros_like(A)
    carry = torch.zeros_like(states[0])
    k = steps
    while k > 0:
        err = torch.mv(C, states[k]) - y_hat[k - 1]
        carry = torch.mv(C.t(), err) + torch.mv(A.t(), carry)
        grad = grad + carry[:, None] * states[k - 1][None, :]
        k -= 1
    return grad
""",
        '''import torch


def rnn_grad_A(A, B, b, C, x, y_hat):
    """Backpropagation through time, written as one reversed pass."""
    n = A.size(0)
    hs = torch.zeros(x.size(0) + 1, n, dtype=A.dtype)
    for t, x_t in enumerate(x, start=1):
        hs[t] = A.matmul(hs[t - 1]) + B.matmul(x_t) + b
    delta = torch.zeros(n, dtype=A.dtype)
    out = torch.zeros(n, n, dtype=A.dtype)
    for t in reversed(range(1, len(hs))):
        delta = C.T.matmul(C.matmul(hs[t]) - y_hat[t - 1]) + A.T.matmul(delta)
        out += torch.einsum("i,j->ij", delta, hs[t - 1])
    return out
''',
    ],
    "B4a/code": [
        """import torch


def ranking_log_likelihood(rewards):
    pairs = [(0, 1), (0, 2), (1, 2)]
    terms = [torch.log(torch.sigmoid(rewards[:, i] - rewards[:, j])) for i, j in pairs]
    return torch.stack(terms).sum()
""",
        """import torch.nn.functional as F


def ranking_log_likelihood(rewards):
    diffs = rewards.unsqueeze(2) - rewards.unsqueeze(1)
    upper = torch_triu_mask(rewards.shape[1])
    return F.logsigmoid(diffs[:, upper]).sum()


def torch_triu_mask(n):
    import torch

    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
""",
    ],
    "B4d-ii": [
        """import torch


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    chosen = beta * (logp_pos - ref_logp_pos)
    rejected = beta * (logp_neg - ref_logp_neg)
    losses = torch.nn.functional.softplus(rejected - chosen)
    return losses.mean()
""",
        """import torch


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    log_ratio_pos = logp_pos - ref_logp_pos
    log_ratio_neg = logp_neg - ref_logp_neg
    z = beta * (log_ratio_pos - log_ratio_neg)
    total = 0.0
    for value in z:
        total = total - torch.log(1 / (1 + torch.exp(-value)))
    return total / len(z)
""",
    ],
}
"""Correct solutions written independently of each other and of the examples."""


# --------------------------------------------------------------------------- disguises


class _Rename(ast.NodeTransformer):
    """Every local name, argument and function of the module to a fresh name."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.names = rng, {}
        self.keep = set(dir(builtins)) | {"torch", "F", "math", "np", "self"}

    def _new(self, old: str) -> str:
        if old in self.keep:
            return old
        if old not in self.names:
            self.names[old] = (
                f"{self.rng.choice(['val', 'tmp', 'my', 'z', 'acc'])}_{len(self.names)}"
            )
        return self.names[old]

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._new(node.arg)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        if node.name.startswith("_"):  # helpers only: the graded function keeps its name
            node.name = self._new(node.name)
        self.generic_visit(node)
        return node


class _SplitReturns(ast.NodeTransformer):
    """``return e`` -> ``result = e`` / ``return result`` (an expression split in two)."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        body: list[ast.stmt] = []
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Return)
                and stmt.value is not None
                and not isinstance(stmt.value, ast.Name)
            ):
                body.append(ast.Assign([ast.Name("result", ast.Store())], stmt.value, lineno=0))
                body.append(ast.Return(ast.Name("result", ast.Load())))
            else:
                body.append(stmt)
        node.body = body
        return node


class _LoopsToComprehensions(ast.NodeTransformer):
    """``x = []`` + ``for v in it: x.append(e)`` -> ``x = [e for v in it]``."""

    def _rewrite(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            prev = out[-1] if out else None
            if (
                isinstance(stmt, ast.For)
                and len(stmt.body) == 1
                and not stmt.orelse
                and isinstance(prev, ast.Assign)
                and isinstance(prev.value, ast.List)
                and not prev.value.elts
                and isinstance(stmt.body[0], ast.Expr)
                and isinstance(call := stmt.body[0].value, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "append"
                and isinstance(call.func.value, ast.Name)
                and isinstance(prev.targets[0], ast.Name)
                and call.func.value.id == prev.targets[0].id
            ):
                gen = ast.comprehension(stmt.target, stmt.iter, [], 0)
                prev.value = ast.ListComp(call.args[0], [gen])
                continue
            out.append(stmt)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if hasattr(node, "body") and isinstance(node.body, list):
            node.body = self._rewrite(node.body)
        return node


class _SwapIndependent(ast.NodeTransformer):
    """Neighbouring assignments that do not read each other's targets, swapped."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @staticmethod
    def _names(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for i in range(len(body) - 1):
                a, b = body[i], body[i + 1]
                if (
                    isinstance(a, ast.Assign)
                    and isinstance(b, ast.Assign)
                    and not (self._names(a) & self._names(b)) - {"torch", "F", "math"}
                    and self.rng.random() < 0.7
                ):
                    body[i], body[i + 1] = b, a
        return node


def _reorder_functions(tree: ast.Module, rng: random.Random) -> None:
    """Top-level functions shuffled among themselves (imports stay first)."""
    funcs = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    rng.shuffle(funcs)
    it = iter(funcs)
    tree.body = [next(it) if isinstance(s, ast.FunctionDef) else s for s in tree.body]


def _recomment(source: str, rng: random.Random) -> str:
    """New comments, blank lines, and some expressions wrapped in parentheses."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("return ") and rng.random() < 0.5:
            line = f"{indent}return ({stripped[7:]})"
        if rng.random() < 0.2 and stripped:
            lines.append(f"{indent}# {rng.choice(['step', 'compute this', 'see lecture', 'TODO'])}")
        lines.append(line + ("  # ok" if rng.random() < 0.1 else ""))
        if rng.random() < 0.15:
            lines.append("")
    return "\n".join(lines) + "\n"


def disguise(source: str, rng: random.Random) -> str:
    """``source`` changed the way a student disguises copied code (when it parses)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    if rng.random() < 0.8:
        tree = _Rename(rng).visit(tree)
    if rng.random() < 0.5:
        _reorder_functions(tree, rng)
    tree = _SwapIndependent(rng).visit(tree)
    if rng.random() < 0.5:
        tree = _SplitReturns().visit(tree)
    tree = _LoopsToComprehensions().visit(tree)
    ast.fix_missing_locations(tree)
    return _recomment(ast.unparse(tree), rng)


# --------------------------------------------------------------------------- random code


def random_program(rng: random.Random, statements: int = 22) -> str:
    """A random but plausible function: independent code for the rest of the class."""
    names = [f"v{i}" for i in range(6)]
    calls = ["torch.sum", "torch.exp", "len", "max", "min", "abs", "torch.cat", "x.view", "sorted"]

    def expr(depth: int = 0) -> str:
        r = rng.random()
        if depth > 2 or r < 0.3:
            return rng.choice(names + [str(rng.randint(0, 9)), "x", "y"])
        if r < 0.55:
            op = rng.choice(["+", "-", "*", "/", "@", "**", "//", "%"])
            return f"{expr(depth + 1)} {op} {expr(depth + 1)}"
        if r < 0.75:
            args = ", ".join(expr(depth + 1) for _ in range(rng.randint(1, 3)))
            return f"{rng.choice(calls)}({args})"
        if r < 0.88:
            return f"{rng.choice(names)}[{expr(depth + 1)}]"
        return f"[{expr(depth + 1)} for i in range({rng.randint(1, 9)})]"

    lines = [f"def f_{rng.randint(0, 10**6)}(x, y):"]
    indent = "    "
    for _ in range(statements):
        kind = rng.random()
        if kind < 0.55 or len(indent) > 12:
            lines.append(f"{indent}{rng.choice(names)} = {expr()}")
        elif kind < 0.7:
            lines.append(f"{indent}for {rng.choice(names)} in range({expr()}):")
            indent += "    "
            lines.append(f"{indent}{rng.choice(names)} += {expr()}")
        elif kind < 0.85:
            lines.append(f"{indent}if {expr()} {rng.choice(['<', '>', '==', '!='])} {expr()}:")
            indent += "    "
            lines.append(f"{indent}{rng.choice(names)} = {expr()}")
        elif len(indent) > 4:
            indent = indent[:-4]
            lines.append(f"{indent}{rng.choice(names)} = {expr()}")
        else:
            lines.append(f"{indent}x = {expr()}")
    lines.append(f"{indent}return {expr()}")
    return "import torch\n\n\n" + "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the class


_WORDS = [
    f"{a}{b}"
    for a in ("gra", "lay", "tok", "vec", "mod", "att", "los", "opt", "emb", "pos")
    for b in ("dient", "er", "en", "tor", "el", "ention", "s", "imizer", "ed", "ition")
]


def random_answers(rng: random.Random, kinds: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """Independent non-code answers: the key often, else one of 20 wrong values (common
    mistakes exist), MCQ choices at random, text as 15 random words; and the correct slots."""
    answers, correct = {}, set()
    for slot, kind in kinds.items():
        if kind == "text":
            answers[slot] = " ".join(rng.choice(_WORDS) for _ in range(15))
        elif kind == "mcq":
            answers[slot] = ", ".join(sorted(rng.sample("ABCDE", rng.randint(1, 2))))
            if answers[slot] == "A":
                correct.add(slot)
        elif kind != "code":
            right = rng.random() < 0.6
            answers[slot] = "key" if right else f"wrong{rng.randint(0, 19)}"
            if right:
                correct.add(slot)
    return answers, correct


def build_class(
    size: int, seed: int = 0, copy_share: float = 0.3
) -> tuple[list[StudentWork], set[tuple[str, str]], set[tuple[str, str]]]:
    """A class of ``size``, the true copy pairs (a < b) and the pairs left unjudged.

    Authors: the examples, ``INDEPENDENT``, then random programs, each with random
    non-code answers (``random_answers``); about ``copy_share`` of the class are copies of
    code and answers (of an author, or of an earlier copy). The example ``weak`` was written
    as an edit of ``paper`` (its B1a shares half of paper's): a pair between the two
    families is neither a true pair nor a false one, and is left out of both counts."""
    rng = random.Random(seed)
    exam = load_exam(ROOT / "questions" / "midsem-2025" / "exam.yaml")
    slots = sorted(given_code(exam))
    kinds = dict(slot_kinds(exam))
    authors: list[tuple[str, dict[str, str]]] = []
    for name in ("paper", "weak", "cheating"):  # typical shares paper's code: left out
        sub = read_submission(EXAMPLES / name, exam_id="midsem-2025")
        authors.append((name, dict(student_work(exam, sub, 0, frozenset()).code)))
    for i in range(max(len(v) for v in INDEPENDENT.values())):
        code = {slot: versions[i] for slot, versions in INDEPENDENT.items() if i < len(versions)}
        authors.append((f"indep{i}", code))
    works: list[StudentWork] = []
    family: dict[str, str] = {}
    n_copies = int(size * copy_share)
    originals = size - n_copies
    for i in range(originals):
        if i < len(authors):
            name, code = authors[i]
        else:
            name = f"rand{i}"
            code = {s: random_program(rng) for s in slots if rng.random() < 0.8}
        answers, correct = random_answers(rng, kinds)
        works.append(StudentWork(name, i, answers, code, frozenset(correct)))
        family[name] = name
    for i in range(n_copies):
        pool = works[: min(len(works), 12)] if rng.random() < 0.3 else works
        source = rng.choice(pool)  # sometimes a copy: a copy of a copy
        code = {s: disguise(src, rng) for s, src in source.code.items()}
        name = f"copy{i}"
        works.append(StudentWork(name, originals + i, source.answers, code, source.correct))
        family[name] = family[source.student]
    truth, unjudged = set(), set()
    for a, b in combinations(works, 2):
        pair = (a.student, b.student) if a.student < b.student else (b.student, a.student)
        if family[a.student] == family[b.student]:
            truth.add(pair)
        elif {family[a.student], family[b.student]} == {"paper", "weak"}:
            unjudged.add(pair)
    return works, truth, unjudged


def measure(size: int, seed: int) -> dict[str, float]:
    exam = load_exam(ROOT / "questions" / "midsem-2025" / "exam.yaml")
    works, truth, unjudged = build_class(size, seed)
    kinds = slot_kinds(exam)
    started = time.perf_counter()
    report = analyse("midsem-2025", works, kinds, given_code(exam), DEFAULT_THRESHOLD)
    seconds = time.perf_counter() - started
    flagged = {(p.a, p.b) for p in report.pairs} - unjudged
    negatives = size * (size - 1) // 2 - len(truth) - len(unjudged)
    false = flagged - truth
    return {
        "size": size,
        "seconds": seconds,
        "recall": len(flagged & truth) / max(1, len(truth)),
        "true_pairs": len(truth),
        "flagged": len(flagged),
        "false_share_of_flagged": len(false) / max(1, len(flagged)),
        "false_positive_rate": len(false) / max(1, negatives),
        "unjudged_flagged": len({(p.a, p.b) for p in report.pairs} & unjudged),
        "missed": sorted(truth - flagged)[:5],
        "false": sorted(false)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,800")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"threshold {DEFAULT_THRESHOLD}; targets: recall >= 95%, false pairs <= 5%, 800 < 60 s")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.seed)
        print(
            f"{r['size']:>4} submissions: {r['seconds']:6.2f} s  recall {r['recall']:.1%} "
            f"({r['true_pairs']} true pairs)  flagged {r['flagged']}  false pairs "
            f"{r['false_share_of_flagged']:.1%} of flagged, {r['false_positive_rate']:.3%} of "
            f"negatives  missed {r['missed']}  false {r['false']}  (paper~weak edits: "
            f"{r['unjudged_flagged']} flagged, not counted)"
        )


if __name__ == "__main__":
    main()
