"""Per-student feedback: what each question scored, what was wrong, the worked solution."""

from __future__ import annotations

import hashlib
from pathlib import Path

from grader.loading import LoadedExam
from grader.reports.markdown import markdown_page
from grader.reports.table import ClassTable, StudentRow
from grader.results import QuestionResult
from grader.submissions import STUDENT_ID

__all__ = ["feedback_markdown", "feedback_html", "write_feedback"]

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


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _quote(text: str) -> str:
    """Feedback lines as a Markdown list (wraps in HTML, unlike a code block)."""
    return "\n".join(f"- {line.strip()}" for line in text.splitlines() if line.strip()) + "\n"


def _question_md(
    r: QuestionResult, level: str, final_marks: float | None, overridden: bool, row: StudentRow
) -> list[str]:
    """A question's (or part's) section. A TA's decision on it, for a whole question or for
    one part, shows as "reviewed by a TA" with the TA's comment; a question one of whose
    parts a TA decided is "reviewed" too (``overridden``, from the gradebook)."""
    override = row.override(r.question_id)
    marks = final_marks if final_marks is not None else r.marks
    if override is not None:
        marks = override.marks
    lines = [f"{level} {r.question_id} — {_fmt(marks)} / {_fmt(r.max_marks)}", ""]
    status = _STATUS.get(r.status, r.status)
    if overridden or override is not None:
        status = "reviewed by a TA"
    lines.append(f"*{status}*")
    lines.append("")
    if override is not None and override.comment.strip():
        lines += ["TA's comment:", "", _quote(override.comment)]
    if r.feedback and not r.parts:
        lines.append(_quote(r.feedback))
    for p in r.parts:
        lines += _question_md(p, level + "#", None, False, row)
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
            a = row.answer(qid)
            if a is None:
                lines += [f"### {qid} — not graded", ""]
                continue
            lines += _question_md(a.result, "###", a.marks, a.overridden, row)
    return "\n".join(lines).rstrip() + "\n"


def feedback_html(exam: LoadedExam, student: str, markdown: str) -> str:
    """The same page as standalone HTML with rendered math (sanitized: see
    ``markdown.sanitize_html``)."""
    return markdown_page(f"{exam.exam.title} — {student}", markdown)


def _safe_name(student: str) -> str:
    """The file name of ``student``'s page: the id itself when it is a valid id (see
    ``submissions.STUDENT_ID``), otherwise a cleaned name plus a hash of the id, so two
    students never share a page."""
    if STUDENT_ID.fullmatch(student):
        return student
    keep = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_.@") else "_" for ch in student
    ).lstrip(".-")
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{keep[:64] or 'student'}-{digest}"


def write_feedback(exam: LoadedExam, table: ClassTable, out: Path) -> list[Path]:
    """feedback/<student>.md and .html for every graded student."""
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row in table.students:
        md = feedback_markdown(exam, row)
        name = _safe_name(row.student)
        (folder / f"{name}.md").write_text(md, encoding="utf-8")
        page = feedback_html(exam, row.student, md)
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
        written += [folder / f"{name}.md", folder / f"{name}.html"]
    return written
