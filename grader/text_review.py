"""Free-text review at class scale: each text question's answers in groups, each group with a
suggested mark, and the TA's decisions on them.

``build_review(exam, gradebook, model)`` reads the graded class (``reports.table``) and the
students' answers (their folders, as graded), and for every text question and every text
part of a multipart question (in exam order) makes a ``ReviewQuestion``:

- its answers grouped (``answer_groups.group_answers``: blank, identical, and, with the text
  model, similar answers; never an answer with its negation), representative first, largest
  group first;
- each group's ``Suggested`` marks: with the model, ``suggestions.suggest`` from the rubric
  (each point's similarity, and its keywords where it has them, as graded) and the TA's
  decisions on the other groups so far; without it, the keyword rubric's provisional marks
  of the representative;
- each answer's decision (a gradebook ``Override`` that still holds for the answer as
  graded).

An answer whose folder no longer holds what was graded (``answer_hash`` differs) is left out
of the groups and named in ``ReviewQuestion.changed``: grade it again first.

Decisions are recorded by ``decide`` (a whole group, or one answer split off it), in one
gradebook transaction, checked against what the reviewer saw (``ReviewGroup.seen``): a
decision taken meanwhile by another reviewer raises ``DecisionConflict`` and nothing is
written. A group decision applies to every member that has no decision of its own
(``scope="answer"``). Suggestions never set a mark, except through ``auto_accept`` for an
exam that opts in with ``text_review: {accept_above: ...}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from grader.answer_groups import AnswerGroup, group_answers
from grader.gradebook import Gradebook, Override
from grader.grading import answer_hash
from grader.loading import LoadedExam
from grader.reports.table import ClassTable, StudentRow, read_table
from grader.results import QuestionResult
from grader.schema import MultipartQuestion, TextQuestion
from grader.submissions import read_submission
from grader.suggestions import (
    MARK_STEP,
    Decision,
    DecisionSet,
    PointEmbeddings,
    embed_rubric,
    suggest,
)
from grader.text_embeddings import embed, text_key
from grader.text_model import TextEncoder

__all__ = [
    "AUTO_REVIEWER",
    "ReviewAnswer",
    "ReviewBoard",
    "ReviewGroup",
    "ReviewQuestion",
    "SubmittedAnswers",
    "Suggested",
    "auto_accept",
    "build_review",
    "decide",
    "marks_for_points",
    "text_questions",
]

AUTO_REVIEWER = "auto"
"""The reviewer named on marks given by ``auto_accept``."""


def text_questions(exam: LoadedExam) -> list[tuple[str, TextQuestion]]:
    """(key, question) for every text question and text part, in exam order; a part's key
    is ``QUESTION/PART``."""
    out: list[tuple[str, TextQuestion]] = []
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        if isinstance(q, TextQuestion):
            out.append((qid, q))
        elif isinstance(q, MultipartQuestion):
            out += [(f"{qid}/{p.id}", p) for p in q.parts if isinstance(p, TextQuestion)]
    return out


def marks_for_points(question: TextQuestion, points: Iterable[str]) -> float:
    """The marks the rubric gives for ``points``; an id not in the rubric is a ValueError."""
    by_id = {p.id: p.marks for p in question.rubric}
    chosen = list(dict.fromkeys(points))
    unknown = [p for p in chosen if p not in by_id]
    if unknown:
        raise ValueError(
            f"rubric point(s) {', '.join(map(repr, unknown))} are not in the rubric "
            f"({', '.join(by_id)})"
        )
    return round(sum(by_id[p] for p in chosen), 6)


@dataclass(frozen=True)
class ReviewAnswer:
    """One student's answer to a text question or part, as graded."""

    student: str
    text: str
    answer_hash: str
    """``QuestionResult.answer_hash`` of the answer as graded: a decision names it."""
    provisional: float
    """The graded (keyword rubric) marks, provisional until a TA decides."""
    rubric_found: tuple[str, ...]
    """The rubric points the keyword rubric found."""
    waits: bool
    """The grader left it for a TA (``needs_review``); a blank answer does not wait."""
    decision: Override | None
    """The decision that holds for it, if any."""

    @property
    def pending(self) -> bool:
        """It waits for a TA and none has decided it."""
        return self.waits and self.decision is None

    @property
    def marks(self) -> float:
        """Its marks now: the decision's, else the provisional ones."""
        return self.decision.marks if self.decision else self.provisional


@dataclass(frozen=True)
class Suggested:
    """What the review offers for a group; never a mark on its own."""

    marks: float
    points: tuple[str, ...]
    confidence: float | None
    """In [0, 1] from the text model; None for the keyword rubric's provisional marks."""
    source: Literal["model", "keywords"]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewGroup:
    """Answers a TA decides at once; ``answers[0]`` is the representative."""

    group: int
    kind: Literal["blank", "identical", "similar"]
    negated: bool
    answers: tuple[ReviewAnswer, ...]
    suggested: Suggested

    @property
    def size(self) -> int:
        return len(self.answers)

    @property
    def representative(self) -> ReviewAnswer:
        return self.answers[0]

    @property
    def decision(self) -> Override | None:
        """The group's decision: the latest one taken for the whole group, if any."""
        found = [a.decision for a in self.answers if a.decision and a.decision.scope == "group"]
        return max(found, key=lambda o: o.decided_at) if found else None

    @property
    def pending(self) -> int:
        """How many of its answers still wait for a TA."""
        return sum(a.pending for a in self.answers)

    @property
    def split(self) -> tuple[ReviewAnswer, ...]:
        """The answers decided on their own (split off the group)."""
        return tuple(a for a in self.answers if a.decision and a.decision.scope == "answer")

    def seen(self, question_key: str) -> dict[tuple[str, str], float | None]:
        """What a reviewer shown this group saw: (student, question) -> ``decided_at`` of each
        member's decision (None: undecided). ``decide`` checks it is still so."""
        return {
            (a.student, question_key): a.decision.decided_at if a.decision else None
            for a in self.answers
        }


@dataclass(frozen=True)
class ReviewQuestion:
    """One text question or part: its groups, largest first."""

    key: str
    question: TextQuestion
    step: float
    """Marks are decided and suggested in multiples of this."""
    groups: tuple[ReviewGroup, ...]
    note: str
    """How the answers were grouped and suggested."""
    changed: tuple[str, ...] = ()
    """Students whose answer changed on disk since it was graded: grade them again."""

    @property
    def marks(self) -> float:
        return self.question.marks

    @property
    def answers(self) -> int:
        return sum(g.size for g in self.groups)

    @property
    def pending(self) -> int:
        return sum(g.pending for g in self.groups)

    @property
    def done(self) -> int:
        """Answers that need no more review (decided, or never waiting)."""
        return self.answers - self.pending

    def group(self, number: int) -> ReviewGroup:
        for g in self.groups:
            if g.group == number:
                return g
        raise KeyError(f"{self.key} has no group {number} (it has 1 to {len(self.groups)})")


@dataclass(frozen=True)
class ReviewBoard:
    """Every text question of an exam under review."""

    exam: str
    matcher: str
    """Which matcher made the groups and suggestions (for people)."""
    questions: tuple[ReviewQuestion, ...]

    def question(self, key: str) -> ReviewQuestion:
        for q in self.questions:
            if q.key == key:
                return q
        keys = ", ".join(q.key for q in self.questions) or "none"
        raise KeyError(f"{key!r} is not a text question of exam {self.exam} (they are: {keys})")

    @property
    def answers(self) -> int:
        return sum(q.answers for q in self.questions)

    @property
    def done(self) -> int:
        return sum(q.done for q in self.questions)


_READ: dict[tuple[str, str], tuple[tuple[int, int], Mapping[str, Any] | None]] = {}
"""Answers read from a folder, by (folder, exam), with the (mtime, size) of its answers.yaml:
a review page builds a question per request, and reading every student's file again each
time would be most of the cost."""


def _read_answers(folder: Path, exam_id: str) -> Mapping[str, Any] | None:
    """The answers in ``folder`` (read again only when its answers.yaml changed)."""
    try:
        st = (folder / "answers.yaml").stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (-1, -1)
    key = (str(folder), exam_id)
    cached = _READ.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    answers = read_submission(folder, exam_id=exam_id).answers if folder.is_dir() else None
    _READ[key] = (stamp, answers)
    return answers


class SubmittedAnswers:
    """Students' answers read back from their folders as graded."""

    def __init__(self, exam_id: str) -> None:
        self.exam_id = exam_id

    def answer(self, row: StudentRow, key: str) -> Any:
        answers = _read_answers(Path(row.folder), self.exam_id) if row.folder else None
        if answers is None:
            return None
        qid, _, part = key.partition("/")
        answer = answers.get(qid)
        if part and isinstance(answer, Mapping):
            answer = answer.get(part)
        return answer


def _stored(row: StudentRow, key: str) -> QuestionResult | None:
    """The stored result of question or part ``key`` for ``row``."""
    qid, _, part = key.partition("/")
    stored = row.answer(qid)
    if stored is None:
        return None
    if not part:
        return stored.result
    return next((p for p in stored.result.parts if p.question_id == key), None)


def _answers(
    table: ClassTable, key: str, folders: SubmittedAnswers
) -> tuple[list[ReviewAnswer], list[str]]:
    """Every stored answer to ``key`` with its text; and the students whose folder no longer
    holds the answer that was graded."""
    answers, changed = [], []
    for row in table.students:
        result = _stored(row, key)
        if result is None or result.status == "error":  # errors are reviewed as errors
            continue
        raw = folders.answer(row, key)
        if result.answer_hash and answer_hash(raw, {}) != result.answer_hash:
            changed.append(row.student)
            continue
        answers.append(
            ReviewAnswer(
                student=row.student,
                text="" if raw is None else str(raw),
                answer_hash=result.answer_hash,
                provisional=result.marks,
                rubric_found=result.rubric_found,
                waits=result.needs_review or result.status == "needs_review",
                decision=row.override(key),
            )
        )
    return answers, changed


def _step(question: TextQuestion) -> float:
    return question.mark_step or MARK_STEP


EmbedTexts = Callable[[list[str]], np.ndarray]


def _review_question(
    key: str,
    question: TextQuestion,
    answers: list[ReviewAnswer],
    changed: list[str],
    embed_texts: EmbedTexts | None,
) -> ReviewQuestion:
    by_student = {a.student: a for a in answers}
    grouping = group_answers({a.student: a.text for a in answers}, embed_texts)
    vectors: dict[str, np.ndarray] = {}
    rubric: list[PointEmbeddings] = []
    if embed_texts is not None:
        texts = list(dict.fromkeys(a.text for a in answers if a.text.strip()))
        if texts:
            vectors = dict(zip(map(text_key, texts), embed_texts(texts), strict=True))
        rubric = embed_rubric(question.rubric, embed_texts)
    members = [[by_student[m.student] for m in g.members] for g in grouping.groups]
    owned = _decisions(grouping.groups, members, vectors)
    decisions = DecisionSet.of([d for _, d in owned], [n for n, _ in owned])
    groups = []
    for g, group_answers_ in zip(grouping.groups, members, strict=True):
        suggested = _suggest(question, g, group_answers_, vectors, rubric, decisions)
        groups.append(ReviewGroup(g.group, g.kind, g.negated, tuple(group_answers_), suggested))
    note = grouping.note + (
        "; marks suggested from the rubric and your decisions on similar answers"
        if embed_texts is not None
        else "; suggested marks are the keyword rubric's"
    )
    return ReviewQuestion(key, question, _step(question), tuple(groups), note, tuple(changed))


def _decisions(
    groups: Sequence[AnswerGroup],
    members: Sequence[Sequence[ReviewAnswer]],
    vectors: Mapping[str, np.ndarray],
) -> list[tuple[int, Decision]]:
    """(group number, decision) for the TA's decisions so far, as neighbours vote with them:
    one per group decision (on its decided members' mean embedding), one per answer decided
    on its own. Automatic marks are not the TA's and do not vote."""
    out: list[tuple[int, Decision]] = []
    for g, answers in zip(groups, members, strict=True):
        by_decision: dict[tuple[float, tuple[str, ...] | None, str], list[ReviewAnswer]] = {}
        for a in answers:
            d = a.decision
            if d is None or d.auto or text_key(a.text) not in vectors:
                continue
            scope = "group" if d.scope == "group" else a.student
            by_decision.setdefault((d.marks, d.points, scope), []).append(a)
        for (marks, points, _), decided in by_decision.items():
            embedding = np.mean([vectors[text_key(a.text)] for a in decided], axis=0)
            out.append((g.group, Decision(decided[0].text, embedding, marks, points)))
    return out


def _suggest(
    question: TextQuestion,
    group: AnswerGroup,
    answers: Sequence[ReviewAnswer],
    vectors: Mapping[str, np.ndarray],
    rubric: Sequence[PointEmbeddings],
    decisions: DecisionSet,
) -> Suggested:
    rep = answers[0]
    if group.kind == "blank":
        return Suggested(0.0, (), 1.0 if rubric else None, "model" if rubric else "keywords")
    if not rubric:
        return Suggested(rep.provisional, rep.rubric_found, None, "keywords")
    distinct = list(dict.fromkeys(text_key(a.text) for a in answers))
    embedding = np.stack([vectors[k] for k in distinct])
    s = suggest(
        rep.text,
        embedding,
        rubric,
        question.marks,
        step=_step(question),
        decisions=decisions,
        found=rep.rubric_found,
        exclude=group.group,  # a group's own decisions do not vote for it
    )
    return Suggested(s.marks, s.points, round(s.confidence, 3), "model", s.reasons)


def build_review(
    exam: LoadedExam,
    gradebook: Gradebook,
    encoder: TextEncoder | None,
    table: ClassTable | None = None,
    only: str | None = None,
) -> ReviewBoard:
    """The review of every text question of ``exam`` (or only question/part ``only``).

    ``encoder``: the text model (groups similar answers, suggests marks; embeddings cached
    in ``gradebook``), or None for identical-text groups and the keyword rubric's marks.
    """
    table = table if table is not None else read_table(exam, gradebook)
    folders = SubmittedAnswers(exam.exam.exam)
    embed_texts: EmbedTexts | None = None
    if encoder is not None:
        model = encoder

        def embed_texts(texts: list[str]) -> np.ndarray:
            return embed(texts, gradebook, model)

    keys = text_questions(exam)
    if only is not None and only not in dict(keys):
        names = ", ".join(k for k, _ in keys) or "none"
        raise KeyError(f"{only!r} is not a text question of exam {exam.exam.exam} ({names})")
    questions = []
    for key, question in keys:
        if only is not None and key != only:
            continue
        answers, changed = _answers(table, key, folders)
        questions.append(_review_question(key, question, answers, changed, embed_texts))
    matcher = "keyword rubric" if encoder is None else encoder.model_id
    return ReviewBoard(exam.exam.exam, matcher, tuple(questions))


def decide(
    gradebook: Gradebook,
    exam_id: str,
    question: ReviewQuestion,
    answers: Sequence[ReviewAnswer],
    *,
    marks: float | None = None,
    points: Sequence[str] | None = None,
    comment: str = "",
    reviewer: str = "ta",
    scope: Literal["answer", "group"] = "group",
    seen: Mapping[tuple[str, str], float | None] | None = None,
    auto: bool = False,
) -> list[Override]:
    """Record one decision for ``answers`` (a group's, or one answer split off it).

    Give ``marks`` (0 to the question's marks, any value), or ``points`` (rubric ids; the
    marks follow from the rubric), or both (``marks`` wins, ``points`` are recorded). A group
    decision (``scope="group"``) skips members decided on their own. ``seen`` (see
    ``ReviewGroup.seen``) makes it fail with ``DecisionConflict`` when another reviewer
    decided any of them since. Returns the decisions written.
    """
    q = question.question
    chosen = None if points is None else tuple(dict.fromkeys(points))
    if marks is None:
        if chosen is None:
            raise ValueError(f"{question.key}: give marks or rubric points")
        marks = marks_for_points(q, chosen)
    elif chosen is not None:
        marks_for_points(q, chosen)  # checks the ids
    if isinstance(marks, bool) or not isinstance(marks, (int, float)) or not math.isfinite(marks):
        raise ValueError(f"{question.key}: marks must be a number, got {marks!r}")
    if not 0 <= marks <= q.marks + 1e-9:
        raise ValueError(f"{question.key}: marks must be from 0 to {q.marks:g}, got {marks:g}")
    targets = [
        a for a in answers if scope == "answer" or not (a.decision and a.decision.scope == "answer")
    ]
    written = [
        Override(
            a.student,
            question.key,
            float(marks),
            comment,
            reviewer,
            chosen,
            a.answer_hash,
            scope,
            auto,
        )
        for a in targets
    ]
    gradebook.set_overrides(exam_id, written, expect=seen)
    return written


def auto_accept(
    exam: LoadedExam, gradebook: Gradebook, board: ReviewBoard, threshold: float
) -> int:
    """Give the suggested marks to every undecided answer of a group whose model suggestion
    is at least ``threshold`` confident (the exam's ``text_review.accept_above``); the
    decisions are marked ``auto``. Returns how many answers were marked."""
    marked = 0
    for q in board.questions:
        for g in q.groups:
            s = g.suggested
            if s.source != "model" or s.confidence is None or s.confidence < threshold:
                continue
            todo = [a for a in g.answers if a.pending]
            if not todo:
                continue
            decide(
                gradebook,
                exam.exam.exam,
                q,
                todo,
                marks=s.marks,
                points=s.points,
                reviewer=AUTO_REVIEWER,
                scope="group",
                seen={(a.student, q.key): None for a in todo},
                auto=True,
            )
            marked += len(todo)
    return marked
