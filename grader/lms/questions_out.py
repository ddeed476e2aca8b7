"""Questions out: an exam's questions, with their keys, ready for an LMS question bank.

What every target shares lives here: which questions go out (a multipart question's parts
each go out as their own question, named ``ID/part``), which variants of each go out, and
the one rule that turns our MCQ scoring policy into per-option shares of the marks. The
targets (``grader.lms.moodle_xml``, ``grader.lms.qti``) only write their format.

Variants: without ``variants`` every question goes out as the printed paper (variant 0).
With ``variants=N`` a randomized question (one with parameters, or shuffled options) goes
out as N pre-rendered variants, ``1..N``, each resolved by ``grader.keys.resolve_in``
(with the course's reference folders), so every key is the one our reference
implementations compute; a target writes them as a random question group (the LMS picks
one per attempt). A question that is not randomized goes out once whatever ``variants``
is.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from grader.errors import GraderError
from grader.keys import ResolvedQuestion, resolve_in
from grader.loading import LoadedExam
from grader.reports.markdown import markdown_to_html, sanitize_html
from grader.schema import (
    CodeQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    Question,
)
from grader.variants import PAPER_VARIANT

__all__ = [
    "GRADED_HERE",
    "ExportedQuestion",
    "exported_questions",
    "is_randomized",
    "mcq_shares",
    "scalar_key",
    "prompt_html",
    "prompt_markdown",
]

GRADED_HERE = (
    "Graded by the course's grader, not by the LMS: export the answers and run "
    "`grader import` and `grader grade`."
)
"""The note on every question the LMS cannot grade itself (code, expression, ...)."""


@dataclass(frozen=True)
class ExportedQuestion:
    """One question (or one part of a multipart question) in the variants that go out."""

    name: str
    """``ID``, or ``ID/part`` for a part."""
    variants: tuple[tuple[int, ResolvedQuestion], ...]
    """(variant number, the question resolved in it); one entry unless randomized."""
    randomized: bool
    """Whether the variants go out as a random group."""


def is_randomized(question: Question) -> bool:
    """Whether variants of ``question`` differ: parameters (its own or a part's) or shuffled
    options."""
    if question.params or (isinstance(question, McqQuestion) and question.shuffle):
        return True
    return isinstance(question, MultipartQuestion) and any(is_randomized(p) for p in question.parts)


def exported_questions(exam: LoadedExam, variants: int | None = None) -> Iterator[ExportedQuestion]:
    """The exam's questions in paper order, parts split out, each in the variants that go out."""
    for section in exam.exam.sections:
        for qid in section.questions:
            question = exam.questions[qid]
            randomized = bool(variants) and is_randomized(question)
            numbers = range(1, (variants or 0) + 1) if randomized else [PAPER_VARIANT]
            resolved = [(v, resolve_in(exam, qid, v)) for v in numbers]
            if isinstance(question, MultipartQuestion):
                for part in question.parts:
                    yield ExportedQuestion(
                        f"{qid}/{part.id}",
                        tuple((v, rq.parts[part.id]) for v, rq in resolved),
                        randomized,
                    )
            else:
                yield ExportedQuestion(qid, tuple(resolved), randomized)


def mcq_shares(rq: ResolvedQuestion) -> dict[str, float]:
    """Each option's share of the marks when ticked, by label, under the question's policy.

    A correct option earns ``1 / len(correct)``. A wrong tick costs, by policy:
    ``partial``: ``1 / len(correct)`` (our ``(right - wrong) / len(correct)``); ``negative``:
    ``penalty``; ``all_or_nothing``: the whole question (``-1``), so that any wrong tick
    scores 0. LMSs add the shares and clip at 0, which is our rule for ``partial`` and
    ``negative`` (with the default floor of 0); for ``all_or_nothing`` an LMS still gives
    credit for a strict subset of the correct options, which our grader does not.
    """
    correct = [o.label for o in rq.options if o.correct]
    if not correct:
        raise GraderError(
            f"question {rq.question.id!r}: no option is correct in this variant, and an LMS "
            "needs one; fix the options' `correct` reference calls (or add a constraint)"
        )
    scoring = rq.question.scoring
    wrong = {
        "partial": -1 / len(correct),
        "negative": -scoring.penalty,
        "all_or_nothing": -1.0,
    }[scoring.policy]
    return {o.label: (1 / len(correct) if o.correct else max(wrong, -1.0)) for o in rq.options}


def scalar_key(rq: ResolvedQuestion) -> tuple[float, float] | None:
    """A numeric question's key and absolute tolerance (``abs + rel * |key|``, our rule), or
    ``None`` when the key is a vector or matrix, which no LMS numeric question holds."""
    q = rq.question
    if not isinstance(q, NumericQuestion) or isinstance(rq.key, list):
        return None
    key = float(rq.key)
    return key, q.tolerance.abs + q.tolerance.rel * abs(key)


def prompt_markdown(rq: ResolvedQuestion) -> str:
    """The prompt as a student sees it in the LMS: with the unit a number is asked in, and
    for code the file to write and who grades it."""
    q = rq.question
    text = rq.prompt
    if isinstance(q, NumericQuestion) and q.unit:
        text += f"\n\nAnswer in {q.unit}."
    if isinstance(q, CodeQuestion):
        text += f"\n\nWrite your answer in `{q.file}`. {GRADED_HERE}"
    return text


def _tex_renderer() -> MarkdownIt:
    def rule(left: str, right: str) -> Any:
        return lambda self, tokens, idx, options, env: html.escape(
            left + tokens[idx].content + right, quote=False
        )

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", rule("\\(", "\\)"))
    for name in ("math_inline_double", "math_block", "math_block_label"):
        md.add_render_rule(name, rule("\\[", "\\]"))
    return md


_TEX_MD = _tex_renderer()


def prompt_html(markdown: str, math: str) -> str:
    """Markdown as a sanitized HTML fragment, its math as ``math``: ``"tex"`` keeps TeX
    between ``\\(...\\)`` / ``\\[...\\]`` (for an LMS's MathJax filter), ``"mathml"`` renders
    MathML (``grader.reports.markdown``)."""
    if math == "mathml":
        return markdown_to_html(markdown)
    return sanitize_html(str(_TEX_MD.render(markdown)))
