"""Answer keys of one variant, computed from the reference implementations.

A ``Variant`` of a question fixes its parameters; ``resolve`` turns the question into a
``ResolvedQuestion``: prompt and options with ``{{ params }}`` filled in, MCQ options in
the variant's order with the correct set tracked, and numeric keys computed by calling
the reference implementation named in the bank.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.key_cache import cached_call
from grader.loading import LoadedExam, resolve_ref
from grader.schema import McqQuestion, MultipartQuestion, NumericQuestion, Question
from grader.schema.params import RefCall
from grader.templating import fill
from grader.variants import PAPER_VARIANT, draw_params, question_rng

__all__ = [
    "ResolvedOption",
    "ResolvedQuestion",
    "constrained_params",
    "resolve",
    "resolve_in",
    "substitute",
    "evaluate",
    "to_plain",
]


def to_plain(value: Any) -> Any:
    """Tensors, arrays, numpy scalars and tuples -> Python numbers and nested lists."""
    torch = sys.modules.get("torch")  # a tensor can only exist once torch is imported
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return value.tolist()
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def substitute(value: Any, params: Mapping[str, Any]) -> Any:
    """Replace ``"$name"`` strings by parameter values, recursively."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in params:
        return params[value[1:]]
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, params) for k, v in value.items()}
    return value


def evaluate(value: Any, params: Mapping[str, Any], folders: Sequence[Path] = ()) -> Any:
    """A literal stays itself; a ``RefCall`` is computed with the parameters substituted
    (its reference looked up in the course's ``folders`` first, see ``resolve_ref``), or
    taken from ``grader.key_cache`` inside its ``caching`` block."""
    if not isinstance(value, RefCall):
        return substitute(value, params)
    ref, args, index = value.ref, substitute(value.args, params), value.index

    def compute() -> Any:
        result = resolve_ref(ref, folders)(**args)
        if index is not None:
            result = result[index] if isinstance(index, int) else getattr(result, index)
        return to_plain(result)

    return cached_call(ref, args, index, folders, compute)  # computed unless validate cached it


@dataclass(frozen=True)
class ResolvedOption:
    """An MCQ option as printed in one variant."""

    label: str
    text: str
    correct: bool
    explanation: str
    original_label: str


@dataclass(frozen=True)
class ResolvedQuestion:
    """A question (or part) as it stands in one variant: filled text and computed key."""

    question: Question
    params: Mapping[str, Any]
    prompt: str
    solution: str
    key: Any
    """mcq: sorted correct labels; numeric: number or nested list; expression: key string;
    ordering: label list; text: None; code: None (cases carry the keys); multipart: dict."""
    options: tuple[ResolvedOption, ...] = ()
    parts: Mapping[str, ResolvedQuestion] = field(default_factory=dict)


def _resolve_mcq(
    q: McqQuestion, params: Mapping[str, Any], variant: int, folders: Sequence[Path]
) -> tuple[tuple[ResolvedOption, ...], list[str]]:
    order = list(range(len(q.options)))
    if q.shuffle and variant != PAPER_VARIANT:
        order = [
            int(i) for i in question_rng(variant, q.id + "/options").permutation(len(q.options))
        ]
    labels = q.labels
    options = []
    for new_index, old_index in enumerate(order):
        opt = q.options[old_index]
        correct = (
            opt.correct
            if isinstance(opt.correct, bool)
            else bool(evaluate(opt.correct, params, folders))
        )
        new_label = (
            chr(ord("A") + new_index)
            if q.shuffle and variant != PAPER_VARIANT
            else labels[old_index]
        )
        options.append(
            ResolvedOption(
                new_label,
                fill(opt.text, params),
                correct,
                fill(opt.explanation, params),
                labels[old_index],
            )
        )
    return tuple(options), sorted(o.label for o in options if o.correct)


MAX_DRAWS = 100
"""Attempts at drawing parameters that satisfy a question's constraints."""


def constrained_params(
    question: Question, variant: int, qid: str | None = None, folders: Sequence[Path] = ()
) -> dict[str, Any]:
    """The variant's parameters, redrawn until every constraint of the question holds
    (``folders``: the course's reference folders, see ``resolve_ref``).

    Attempt k draws with its own stream (``qid#k``), so a variant stays deterministic.
    Variant 0 (the printed paper) is never redrawn: its defaults must satisfy the constraints.
    """
    qid = qid or question.id
    for attempt in range(MAX_DRAWS if variant != PAPER_VARIANT else 1):
        params = draw_params(question.params, variant, qid if attempt == 0 else f"{qid}#{attempt}")
        if all(bool(evaluate(c, params, folders)) for c in question.constraints):
            return params
    which = (
        "the printed paper's defaults break"
        if variant == PAPER_VARIANT
        else f"no draw in {MAX_DRAWS} satisfies"
    )
    raise ValueError(f"question {qid!r} variant {variant}: {which} its constraints")


def resolve(
    question: Question,
    variant: int = PAPER_VARIANT,
    params: Mapping[str, Any] | None = None,
    folders: Sequence[Path] = (),
) -> ResolvedQuestion:
    """The question in ``variant``: parameters drawn (or given), text filled, key computed
    (``folders``: the course's reference folders, ``LoadedBank.reference_folders``)."""
    if params is None:
        params = constrained_params(question, variant, folders=folders)
    prompt = fill(question.prompt, params)
    solution = fill(question.solution, params)
    if isinstance(question, MultipartQuestion):
        parts = {}
        for part in question.parts:
            drawn = constrained_params(part, variant, f"{question.id}/{part.id}", folders)
            parts[part.id] = resolve(part, variant, {**params, **drawn}, folders)
        return ResolvedQuestion(
            question, params, prompt, solution, {k: p.key for k, p in parts.items()}, parts=parts
        )
    if isinstance(question, McqQuestion):
        options, labels = _resolve_mcq(question, params, variant, folders)
        return ResolvedQuestion(question, params, prompt, solution, labels, options=options)
    if isinstance(question, NumericQuestion):
        return ResolvedQuestion(
            question, params, prompt, solution, evaluate(question.answer, params, folders)
        )
    key = getattr(question, "answer", None)
    return ResolvedQuestion(question, params, prompt, solution, key)


def resolve_in(exam: LoadedExam, qid: str, variant: int = PAPER_VARIANT) -> ResolvedQuestion:
    """Question ``qid`` of ``exam`` in ``variant`` (``resolve`` with its bank's reference
    folders)."""
    return resolve(exam.questions[qid], variant, folders=exam.question_bank[qid].reference_folders)
