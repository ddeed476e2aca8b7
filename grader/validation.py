"""Checks of a question bank beyond its schema, before an exam goes out.

`grader validate` runs every checker's own configuration check on every question
(``checker_problems``): the check that checker runs at grading time, before it reads an
answer, on the configuration grading would give it (``grader.checks.checker_calls``), so a
question that would make every answer an ``error`` (a rubric point with neither keywords
nor a description, an expression key that does not parse, an MCQ key outside the options)
fails validation with the file, line and field to fix, instead. A rubric point without
keywords is matched only by the text model (the ``text`` extra) or a TA: when the model is
not active, ``matcher_warnings`` names each such point (a warning, not a failure).

`grader validate --deep/--variants N` goes further (``grader.deep_validation``).

Nothing here imports torch: the keys the checks need come through ``grader.keys``, which
takes a reference's computed key from its on-disk cache when its sources have not changed
(``grader.key_cache``), so validating the seed exams needs neither torch nor sympy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from grader import checks
from grader.checks._text import keywordless_points
from grader.errors import AuthoringError, Problem
from grader.keys import ResolvedQuestion, resolve
from grader.loading import LoadedBank, _yaml_files, exam_references_of_banks, load_bank, load_exam
from grader.schema import CodeQuestion, MultipartQuestion, NumericQuestion, Question
from grader.text_model import Matcher, active_matcher
from grader.tolerances import tolerance_problems
from grader.variants import PAPER_VARIANT

__all__ = [
    "checker_problems",
    "checker_problems_in",
    "code_parts",
    "is_bank_text",
    "loaded_banks",
    "matcher_warnings",
    "matcher_warnings_in",
    "question_checker_problems",
]


# ------------------------------------------------------------- checker configuration

QuestionPath = tuple[str | int, ...]


def code_parts(question: Question, at: QuestionPath) -> Iterator[tuple[CodeQuestion, QuestionPath]]:
    if isinstance(question, CodeQuestion):
        yield question, at
    elif isinstance(question, MultipartQuestion):
        for i, part in enumerate(question.parts):
            yield from code_parts(part, (*at, "parts", i))


def question_checker_problems(
    question: Question, rq: ResolvedQuestion, bank: LoadedBank, at: QuestionPath
) -> list[Problem]:
    """Every problem the checkers of ``question`` (at ``at`` in ``bank``) would raise at
    grading time in the variant ``rq``, each located at the question field that causes it."""
    problems: dict[str, Problem] = {}  # an expression's calls share their variables: keep each once
    for call in checks.checker_calls(question, rq, at=at):
        for found in checks.config_problems(call.checker, **call.config):
            p = bank.located.problem(
                call.where(found.field), f"question {call.question_id!r}: {found.message}"
            )
            problems.setdefault(str(p), p)
    if isinstance(question, NumericQuestion) and rq.key is not None and question.distractors:
        from grader.known_mistakes import matching_distractor  # imports torch: only when needed

        for i, d in enumerate(question.distractors):
            if matching_distractor(question, rq.key) is d:
                p = bank.located.problem(
                    (*at, "distractors", i, "value"),
                    f"question {question.id!r}: distractor {i + 1} is accepted as the right "
                    "answer (within the tolerance); give the wrong value the mistake gives",
                )
                problems.setdefault(str(p), p)
    for code, where in code_parts(question, at):
        for key, message in tolerance_problems(code.compare.tolerances).items():
            p = bank.located.problem(
                (*where, "compare", "tolerances", key), f"question {code.id!r}: {message}"
            )
            problems.setdefault(str(p), p)
        for i, mutant in enumerate(code.mutants):
            if not mutant.message.strip():
                p = bank.located.problem(
                    (*where, "mutants", i),
                    f"question {code.id!r}: mutant {mutant.fn!r} has no message; write it as "
                    f"{{fn: {mutant.fn!r}, message: ...}} with the mistake in words a student "
                    "reads when their code behaves like it",
                )
                problems.setdefault(str(p), p)
    return list(problems.values())


def checker_problems(bank: LoadedBank, variant: int = PAPER_VARIANT) -> list[Problem]:
    """Every question of ``bank`` checked by its checkers' own configuration checks, in
    ``variant`` (its keys computed); a key that cannot be computed is a problem too."""
    problems: list[Problem] = []
    for qi, q in enumerate(bank.bank.questions):
        at: QuestionPath = ("questions", qi)
        try:
            rq = resolve(q, variant, folders=bank.reference_folders)
        except Exception as exc:  # noqa: BLE001 - author code; grading would fail the same way
            problems.append(
                bank.located.problem(
                    at,
                    f"question {q.id!r}: computing the key of variant {variant} "
                    f"failed: {type(exc).__name__}: {exc}",
                )
            )
            continue
        problems += question_checker_problems(q, rq, bank, at)
    return problems


def matcher_warnings(
    bank: LoadedBank,
    matcher: Callable[[], Matcher] = active_matcher,
    variant: int = PAPER_VARIANT,
) -> list[Problem]:
    """A warning for every rubric point of ``bank`` without keywords when the text model
    is not active (then only a TA can find the point). ``matcher`` is asked only when such
    a point exists, so a bank that needs no model never loads it."""
    found: list[tuple[str, QuestionPath, str]] = []
    for qi, q in enumerate(bank.bank.questions):
        try:
            rq = resolve(q, variant, folders=bank.reference_folders)
        except Exception:  # noqa: BLE001 - checker_problems reports a key that fails
            continue
        for call in checks.checker_calls(q, rq, at=("questions", qi)):
            if call.checker == "text":
                found += [
                    (call.question_id, call.where(("rubric", k)), point_id)
                    for k, point_id in keywordless_points(call.config["rubric"])
                ]
    if not found:
        return []
    active = matcher()
    if active.kind == "model":
        return []
    return [
        bank.located.problem(
            where,
            f"question {qid!r}: rubric point {point_id!r} has no keywords, so only the text "
            f"model or a TA can find it, and the model is not active ({active.reason}); "
            "install the `text` extra (`make setup`) or add keywords",
        )
        for qid, where, point_id in found
    ]


def is_bank_text(text: str) -> bool:
    return text.lstrip().startswith("bank:") or "\nbank:" in text


def loaded_banks(paths: Iterable[str | Path]) -> Iterator[LoadedBank]:
    """The banks under ``paths`` and those the exams under ``paths`` use, each once; files
    that do not load are skipped (``validate_paths`` reports them)."""
    seen: set[Path] = set()
    files = _yaml_files(paths)
    exam_references = exam_references_of_banks(f for f in files if f.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            if is_bank_text(text):
                references = exam_references.get(path.resolve(), ())
                banks: tuple[LoadedBank, ...] = (load_bank(path, references),)
            elif text.lstrip().startswith("exam:") or "\nexam:" in text:
                banks = load_exam(path).banks
            else:
                continue
        except (OSError, UnicodeDecodeError, AuthoringError):
            continue
        for bank in banks:
            if bank.path.resolve() not in seen:
                seen.add(bank.path.resolve())
                yield bank


def matcher_warnings_in(
    paths: Iterable[str | Path], matcher: Callable[[], Matcher] = active_matcher
) -> list[Problem]:
    """``matcher_warnings`` of every bank found under ``paths``."""
    return [w for bank in loaded_banks(paths) for w in matcher_warnings(bank, matcher)]


def checker_problems_in(paths: Iterable[str | Path]) -> list[Problem]:
    """``checker_problems`` of every bank under ``paths`` (what `grader validate` adds)."""
    return [p for bank in loaded_banks(paths) for p in checker_problems(bank)]
