"""A small class for the review page: a two-question exam (T1 text, P1 a multipart with a
text part) and 16 students whose answers repeat, paraphrase, negate, leave blank or attack
the page; a deterministic fake encoder. ``conftest`` grades it once per session.

T1's groups with ``FakeEncoder`` (largest first): 1 the permutation answers (7: s01-s07),
2 blank (s11, s12: no review needed), 3 "transformers are cool" (s14, s15), 4 raw integers
(s08, s09), 5 the hostile answer (s13), 6 the negation (s10), 7 "bigger" (s16).
"""

from __future__ import annotations

import sqlite3
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from grader.loading import LoadedExam
from grader.text_model import EMBEDDING_DIM

EXAM_ID = "review-page-demo"
TOKEN = "test-token-0123456789abcdefghijklmnopqrstuv"
PORT = 8765
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> order matters'
"""A student's answer that would run script in the page if it were not escaped."""

BANK = """\
bank: review-page-bank
title: Text questions for the review page
questions:
  - id: T1
    type: text
    marks: 2
    topic: positional-encoding
    prompt: Why is positional encoding needed? <b>Explain</b> in one sentence.
    rubric:
      - id: perm
        marks: 1
        description: Self-attention is permutation invariant.
        keywords: [[permutation], [order]]
      - id: raw
        marks: 1
        description: Raw integer positions grow without bound.
        keywords: [[large], [unbounded]]
  - id: P1
    type: multipart
    marks: 3
    topic: attention
    prompt: Scaled dot-product attention.
    parts:
      - id: variance
        type: expression
        marks: 2
        prompt: Var(S)?
        answer: d_k
        variables: {d_k: {positive: true}}
      - id: why
        type: text
        marks: 1
        prompt: Why scale?
        rubric:
          - {id: sat, marks: 1, description: softmax saturates, keywords: [[saturat]]}
"""
EXAM = f"""\
exam: {EXAM_ID}
title: Review page demo
duration_minutes: 20
total_marks: 5
banks: [bank.yaml]
sections:
  - title: Section A
    marks: 5
    questions: [T1, P1]
"""
PERM = "Self-attention is permutation invariant, so the order of tokens is lost."
T1_ANSWERS = {
    "s01": PERM,
    "s02": PERM,
    "s03": PERM,
    "s04": "self-attention is   permutation invariant, so the order of tokens is lost",
    "s05": PERM,
    "s06": "Attention is permutation invariant: it ignores token order.",
    "s07": "Attention is permutation invariant and ignores where tokens are.",
    "s08": "Raw integer positions grow large and unbounded.",
    "s09": "Raw integer positions grow large and unbounded.",
    "s10": "Attention is not permutation invariant.",
    "s11": "",
    "s12": "",
    "s13": HOSTILE,
    "s14": "Because transformers are cool.",
    "s15": "Because transformers are cool.",
    "s16": "To make the model bigger.",
}
WHY_ANSWERS = {s: "softmax saturates" for s in T1_ANSWERS} | {
    "s03": "the softmax saturates and gradients vanish",
    "s09": "",
    "s14": "to make it faster",
}
TOPICS = {"permutation": 0, "integer": 1, "saturat": 2, "transformers": 3, "faster": 4, "bigger": 5}


class FakeEncoder:
    """A deterministic stand-in for the text model: a text lies near the axis of the first
    topic word it holds (``TOPICS``), with a small jitter of its own, so paraphrases group
    and other answers do not."""

    model_id = "fake-topics@test"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            axis = next((a for w, a in TOPICS.items() if w in text.lower()), EMBEDDING_DIM - 1)
            row = np.zeros(EMBEDDING_DIM)
            row[axis] = 1.0
            row += 0.005 * np.random.default_rng(list(text.encode()) or [0]).standard_normal(
                EMBEDDING_DIM
            )
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_class(root: Path) -> tuple[Path, Path]:
    """The exam files and the students' folders under ``root``: (exam file, submissions)."""
    questions = root / "questions"
    questions.mkdir(parents=True)
    (questions / "bank.yaml").write_text(BANK)
    (questions / "exam.yaml").write_text(EXAM)
    submissions = root / "submissions"
    for student, text in T1_ANSWERS.items():
        folder = submissions / student
        folder.mkdir(parents=True)
        (folder / "answers.yaml").write_text(
            textwrap.dedent(
                f"""\
                student: {student}
                exam: {EXAM_ID}
                answers:
                  T1: {_quoted(text)}
                  P1: {{variance: d_k, why: {_quoted(WHY_ANSWERS[student])}}}
                """
            )
        )
    return questions / "exam.yaml", submissions


@dataclass(frozen=True)
class Course:
    """A graded class: the exam, its grading output folder and gradebook."""

    exam: LoadedExam
    exam_file: Path
    out: Path

    @property
    def gradebook(self) -> Path:
        return self.out / "gradebook.sqlite"


AppFor = Callable[..., TestClient]
"""The ``app_for`` fixture: ``app_for(reviewer=..., headers=...)`` -> a test client."""


class _FormReader(HTMLParser):
    """The fields the decision form of a page would post, as a browser sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "decision" in a.get("class", "").split():
            self._in_form = True
        elif self._in_form and tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif self._in_form and tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_of(page: str) -> dict[str, str | list[str]]:
    """The decision form's fields in ``page`` (``points``: the ticked ones, a list)."""
    reader = _FormReader()
    reader.feed(page)
    assert reader.fields, "the page has no decision form"
    return {k: v if k == "points" else v[0] for k, v in reader.fields.items()}


def overrides_rows(gradebook: Path, question: str) -> int:
    """How many decision rows the gradebook file holds for ``question`` (read directly)."""
    with sqlite3.connect(gradebook) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM overrides WHERE exam=? AND question_id=?", (EXAM_ID, question)
        ).fetchone()
    return int(count)
