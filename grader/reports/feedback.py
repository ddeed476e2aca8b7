"""Per-student feedback: what each question scored, what was wrong, the worked solution.

A text answer (a ``TextQuestion``, or a text part of a multipart question) that is waiting
for review or has a decision shows its rubric, one line per point with its marks, ☑ earned
or ☐ not:

- a decision with rubric points (``Override.points``): the points ticked are the ones earned;
- a decision with marks only: the rubric without ticks, and a line saying the marks were
  given directly;
- no decision yet: the points the keyword rubric found (``QuestionResult.rubric_found``),
  "found so far; a TA will confirm".

A decision given automatically (``Override.auto``: the exam's ``text_review.accept_above``
took a confident suggestion) reads "marked automatically", never "reviewed by a TA", and
says that no TA read the answer and how to ask for a review.

The rubric is part of the key, so a point's id and description are shown only when this
student may see the key: the exam releases solutions (``release_solutions`` in exam.yaml),
or this result carries its worked solution (graded with ``--release``), or the answer has a
decision (its marking is done), or the student earned the point (they wrote it). Before
that, the points not found show only how many there are and their marks. For the same
reason the keyword checker's own feedback on a provisional text answer, which names every
point found and not found, is not shown: the rubric lines replace it (it would also read
stale once a TA decides). A point's examples, counter-examples and keywords are never shown:
examples may be other students' answers.

Everything on the page leaves through ``markdown.sanitize_html`` in the HTML: student text
and TA comments show as text, never as markup that runs.
"""

from __future__ import annotations

from pathlib import Path

from grader.gradebook import Override
from grader.loading import LoadedExam
from grader.reports.markdown import markdown_page
from grader.reports.table import ClassTable, StudentRow
from grader.results import QuestionResult
from grader.schema import MultipartQuestion, Question, TextQuestion
from grader.schema.questions import RubricPoint
from grader.submissions import student_file_name

__all__ = ["feedback_markdown", "feedback_html", "question_feedback_markdown", "write_feedback"]

_STATUS = {
    "correct": "correct",
    "partially_correct": "partly correct",
    "incorrect": "incorrect",
    "invalid": "could not be read",
    "unchecked": "could not be checked",
    "needs_review": "provisional, waiting for TA review",
    "missing": "not answered",
    "error": "grader problem, will be regraded",
}
_BY_TA = "reviewed by a TA"
_AUTOMATIC = "marked automatically"
_EARNED, _NOT_EARNED = "☑", "☐"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _marks(x: float) -> str:
    """``1 mark``, ``0.5 marks``."""
    return f"{_fmt(x)} mark{'' if x == 1 else 's'}"


def _quote(text: str) -> str:
    """Feedback lines as a Markdown list (wraps in HTML, unlike a code block)."""
    return "\n".join(f"- {line.strip()}" for line in text.splitlines() if line.strip()) + "\n"


def _status(r: QuestionResult, decisions: list[Override], overridden: bool) -> str:
    """How the answer was marked: by a TA when any decision on it (or a part) was a TA's,
    automatically when every one was automatic, else what grading made of it."""
    if decisions and all(d.auto for d in decisions):
        return _AUTOMATIC
    if decisions or overridden:
        return _BY_TA
    return _STATUS.get(r.status, r.status)


def _point_line(p: RubricPoint, tick: str) -> str:
    """``- ☑ residual (0.5 marks): the sublayer output is added to its input``."""
    description = " ".join(p.description.split())
    return f"- {tick}{' ' if tick else ''}{p.id} ({_marks(p.marks)}): {description}"


def _rubric_md(
    q: TextQuestion, r: QuestionResult, decision: Override | None, released: bool
) -> list[str]:
    """The rubric of a text answer, as the module docstring describes."""
    if decision is not None and decision.points is None:
        who = "The marks were given" if decision.auto else "The TA gave marks"
        head = f"{who} directly, without ticking rubric points. The rubric:"
        return [head, "", *(_point_line(p, "") for p in q.rubric), ""]
    if decision is not None:
        earned = set(decision.points or ())
        head = "Rubric points, as " + (
            "the suggestion gave them:" if decision.auto else "the TA marked them:"
        )
        lines = [_point_line(p, _EARNED if p.id in earned else _NOT_EARNED) for p in q.rubric]
        return [head, "", *lines, ""]
    found = set(r.rubric_found)
    shown = [p for p in q.rubric if released or p.id in found]
    hidden = [p for p in q.rubric if p not in shown]
    lines = [_point_line(p, _EARNED if p.id in found else _NOT_EARNED) for p in shown]
    if hidden:
        count = f"{len(hidden)} {'more ' if shown else ''}point{'s' if len(hidden) > 1 else ''}"
        lines.append(
            f"- {_NOT_EARNED} {count} ({_marks(sum(p.marks for p in hidden))}), described "
            "once your answer is marked or the solutions are released"
        )
    head = "Rubric points found so far (provisional; a TA will confirm):"
    return [head, "", *lines, ""]


def _parts_of(question: Question | None, qid: str) -> dict[str, Question]:
    """The parts of ``question`` by their result id (``qid/part``, as grading names them)."""
    if not isinstance(question, MultipartQuestion):
        return {}
    return {f"{qid}/{p.id}": p for p in question.parts}


def _question_md(
    r: QuestionResult,
    question: Question | None,
    level: str,
    final_marks: float | None,
    overridden: bool,
    row: StudentRow,
    released: bool,
) -> list[str]:
    """A question's (or part's) section. A TA's decision on it, for a whole question or for
    one part, shows as "reviewed by a TA" with the TA's comment; a question one of whose
    parts a TA decided is "reviewed" too (``overridden``, from the gradebook). A decision
    given automatically shows as "marked automatically". ``question``: the question (or
    part) ``r`` grades, for a text answer's rubric; ``released``: the exam releases its
    solutions."""
    override = row.override(r.question_id)
    marks = final_marks if final_marks is not None else r.marks
    if override is not None:
        marks = override.marks
    lines = [f"{level} {r.question_id} — {_fmt(marks)} / {_fmt(r.max_marks)}", ""]
    decisions = [
        o
        for o in (row.override(k) for k in (r.question_id, *(p.question_id for p in r.parts)))
        if o is not None
    ]
    lines += [f"*{_status(r, decisions, overridden)}*", ""]
    if override is not None and override.auto:
        lines += [
            "This mark was given automatically from the rubric suggestion; no TA has read "
            f"your answer. If you think it is wrong, ask your TA to review {r.question_id}.",
            "",
        ]
    provisional_text = False
    if isinstance(question, TextQuestion) and (override is not None or r.status == "needs_review"):
        lines += _rubric_md(question, r, override, released or bool(r.solution))
        provisional_text = r.status == "needs_review"
    if override is not None and override.comment.strip():
        lines += ["TA's comment:", "", _quote(override.comment)]
    if r.feedback and not r.parts and not provisional_text:
        lines.append(_quote(r.feedback))
    parts = _parts_of(question, r.question_id)
    for p in r.parts:
        lines += _question_md(p, parts.get(p.question_id), level + "#", None, False, row, released)
    if r.expected is not None:
        lines += [f"Expected: `{r.expected}`", ""]
    if r.solution:
        lines += ["**Worked solution**", "", r.solution.strip(), ""]
    return lines


def feedback_markdown(exam: LoadedExam, row: StudentRow) -> str:
    """The student's feedback page in Markdown."""
    total = f"{_fmt(row.total)} / {_fmt(exam.exam.total_marks)}"
    lines = [f"# {exam.exam.title}", "", f"Student: **{row.student}** — total **{total}**", ""]
    if row.pending:
        pending = ", ".join(row.pending)
        lines += [f"Marks for {pending} are provisional until a TA reviews them.", ""]
    if row.problems:
        lines += ["## Problems with your submission", ""]
        lines += [f"- {p}" for p in row.problems] + [""]
    for section in exam.exam.sections:
        lines += [f"## {section.title}", ""]
        for qid in section.questions:
            lines += _question_lines(exam, row, qid, "###")
    return "\n".join(lines).rstrip() + "\n"


def _question_lines(exam: LoadedExam, row: StudentRow, qid: str, level: str) -> list[str]:
    """Question ``qid``'s section of ``row``'s page, its heading at ``level``."""
    a = row.answer(qid)
    if a is None:
        return [f"{level} {qid} — not graded", ""]
    return _question_md(
        a.result,
        exam.questions.get(qid),
        level,
        a.marks,
        a.overridden,
        row,
        exam.exam.release_solutions,
    )


def question_feedback_markdown(exam: LoadedExam, row: StudentRow, question_id: str) -> str:
    """One question's section of the student's feedback page (``feedback_markdown``), with
    the same wording, as a page of its own: for an LMS that shows feedback per question."""
    return "\n".join(_question_lines(exam, row, question_id, "#")).rstrip() + "\n"


def feedback_html(exam: LoadedExam, student: str, markdown: str) -> str:
    """The same page as standalone HTML with rendered math (sanitized: see
    ``markdown.sanitize_html``)."""
    return markdown_page(f"{exam.exam.title} — {student}", markdown)


def write_feedback(exam: LoadedExam, table: ClassTable, out: Path) -> list[Path]:
    """feedback/<name>.md and .html for every graded student, ``<name>`` from
    ``submissions.student_file_name``: one pair of files per student, whatever the ids."""
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in table.students:
        md = feedback_markdown(exam, row)
        name = student_file_name(row.student)
        (folder / f"{name}.md").write_text(md, encoding="utf-8")
        page = feedback_html(exam, row.student, md)
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
        written += [folder / f"{name}.md", folder / f"{name}.html"]
    return written
