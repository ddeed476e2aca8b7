"""The labelled answers the benchmark reads: typed, checked against each question's rubric.

A labelled file (YAML, see ``README.md`` and the top of ``data/midsem-2025.yaml``) holds
text questions and, for each, students' answers labelled by hand with the rubric points
they earn and their marks. A question is either a text question (or a text part, written
``QUESTION/PART``) of the bank of ``exam:``, or an ``inline:`` question in the bank format
(``id``, ``marks``, ``prompt``, ``rubric`` of points with ``id``, ``marks``, ``description``
and optional ``examples``/``counter_examples``), for data from outside our banks.

``load_labelled(paths)`` returns one ``LabelledQuestion`` per question, its text question
resolved, every label checked: point ids exist in the rubric, marks lie in [0, question
marks] and are a multiple of ``LABEL_STEP`` or the labelled points' sum. Any mistake raises
``LabelError`` naming the file, question and answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.errors import AuthoringError
from grader.loading import LoadedExam, load_exam
from grader.schema import MultipartQuestion, TextQuestion

__all__ = [
    "DATA_DIR",
    "LABEL_STEP",
    "Kind",
    "LabelError",
    "LabelledAnswer",
    "LabelledQuestion",
    "load_labelled",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
"""The labelled files read by default."""
LABEL_STEP = 0.5
"""Labelled marks are multiples of this, or the sum of the labelled points' marks."""

Kind = Literal[
    "textbook",
    "paraphrase",
    "partial",
    "wrong",
    "negation",
    "off_topic",
    "short",
    "long",
    "typo",
    "duplicate",
    "near_duplicate",
    "blank",
]
"""What an answer is like, for the per-kind figures: ``textbook`` (close to the key's
wording), ``paraphrase`` (correct in the student's words), ``partial`` (some points),
``wrong`` (on topic, wrong), ``negation`` (a correct statement negated), ``off_topic``,
``short`` (3-6 words), ``long`` (80-150 words, rambling), ``typo`` (misspelt),
``duplicate`` (the same text as another answer), ``near_duplicate`` (nearly the same),
``blank``."""


class LabelError(ValueError):
    """A labelled file that cannot be read or whose labels do not fit the rubric."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelledAnswer(_Strict):
    """One student's answer and a TA's label for it."""

    text: str = Field(description="The answer as the student wrote it (may be empty).")
    points: tuple[str, ...] = Field(
        default=(), description="Ids of the rubric points the answer earns in full."
    )
    marks: float = Field(ge=0, description="The marks a strict TA gives it.")
    kind: Kind = Field(description="What the answer is like (see `Kind`).")


class _FileQuestion(_Strict):
    question: str | None = Field(
        default=None,
        description="A text question or part of the exam's banks: `B2a-i`, `B2b/add-norm`.",
    )
    inline: TextQuestion | None = Field(
        default=None, description="A text question in the bank format, for data from elsewhere."
    )
    answers: list[LabelledAnswer] = Field(min_length=1, description="The labelled answers.")

    @model_validator(mode="after")
    def _one_source(self) -> _FileQuestion:
        if (self.question is None) == (self.inline is None):
            raise ValueError("give either `question:` (a bank question id) or `inline:`")
        return self


class _LabelledFile(_Strict):
    exam: str | None = Field(
        default=None, description="Exam id or exam file whose banks hold the `question:` ids."
    )
    questions: list[_FileQuestion] = Field(min_length=1, description="The questions.")


@dataclass(frozen=True)
class LabelledQuestion:
    """A text question and its labelled answers."""

    key: str
    """Names it in the figures: ``exam question`` (``midsem-2025 B2c/why-scale``) or the
    inline question's id."""
    question: TextQuestion
    answers: tuple[LabelledAnswer, ...]


def _text_question(loaded: LoadedExam, qid: str, where: str) -> TextQuestion:
    """The text question or part ``qid`` (``QUESTION`` or ``QUESTION/PART``) of ``loaded``."""
    name, _, part = qid.partition("/")
    found: object = loaded.questions.get(name)
    if part and isinstance(found, MultipartQuestion):
        found = next((p for p in found.parts if p.id == part), None)
    elif part:
        found = None
    if isinstance(found, TextQuestion):
        return found
    known = [
        f"{q.id}/{p.id}" if p is not q else q.id
        for q in loaded.questions.values()
        for p in (q.parts if isinstance(q, MultipartQuestion) else [q])
        if isinstance(p, TextQuestion)
    ]
    raise LabelError(
        f"{where}: {qid!r} is not a text question or text part of exam {loaded.exam.exam!r}; "
        "its text "
        f"questions are: {', '.join(known)}"
    )


def _check_label(question: TextQuestion, answer: LabelledAnswer, where: str) -> None:
    rubric = {p.id: p.marks for p in question.rubric}
    unknown = [p for p in answer.points if p not in rubric]
    if unknown:
        raise LabelError(
            f"{where}: points {unknown} are not in the rubric (its points: {', '.join(rubric)})"
        )
    if answer.marks > question.marks + 1e-9:
        raise LabelError(
            f"{where}: marks {answer.marks:g} exceed the question's {question.marks:g}"
        )
    earned = sum(rubric[p] for p in answer.points)
    steps = answer.marks / LABEL_STEP
    if not math.isclose(steps, round(steps), abs_tol=1e-9) and not math.isclose(
        answer.marks, earned, abs_tol=1e-9
    ):
        raise LabelError(
            f"{where}: marks {answer.marks:g} are neither a multiple of {LABEL_STEP:g} nor the "
            f"labelled points' sum {earned:g}"
        )


def _load_file(path: Path) -> list[LabelledQuestion]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = _LabelledFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise LabelError(f"{path}: cannot read the labelled answers: {exc}") from exc
    try:
        exam = load_exam(data.exam) if data.exam is not None else None
    except AuthoringError as exc:
        raise LabelError(f"{path}: cannot load exam {data.exam!r}: {exc}") from exc
    out = []
    for i, entry in enumerate(data.questions):
        where = f"{path} question {i + 1}"
        if entry.inline is not None:
            key, question = entry.inline.id, entry.inline
        elif exam is None:
            raise LabelError(f"{where}: a bank question id needs `exam:` at the top of the file")
        else:
            assert entry.question is not None
            key = f"{data.exam} {entry.question}"
            question = _text_question(exam, entry.question, where)
        for j, answer in enumerate(entry.answers):
            _check_label(question, answer, f"{where} ({key}) answer {j + 1}")
        out.append(LabelledQuestion(key, question, tuple(entry.answers)))
    return out


def load_labelled(paths: Iterable[Path] | None = None) -> list[LabelledQuestion]:
    """The labelled questions of ``paths`` (default: every ``*.yaml`` in ``DATA_DIR``), in
    file order; a question key appearing twice is an error."""
    files = sorted(DATA_DIR.glob("*.yaml")) if paths is None else list(paths)
    if not files:
        raise LabelError(f"no labelled files given (none in {DATA_DIR})")
    questions: list[LabelledQuestion] = []
    for path in files:
        questions += _load_file(path)
    keys = [q.key for q in questions]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise LabelError(f"questions labelled twice: {', '.join(repeated)}; merge their answers")
    return questions
