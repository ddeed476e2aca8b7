"""Printable exam papers and answer keys: Markdown, standalone HTML, LaTeX, PDF.

A paper is rendered for one variant (variant 0 is the printed paper); the header carries
the student id and a short variant code. The key lists every answer with its worked
solution. HTML has its math rendered to MathML (no JavaScript, works offline); LaTeX is
generated from the same Markdown; PDF needs a LaTeX engine and says what to install
when none is present.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InfrastructureError
from grader.keys import ResolvedQuestion, resolve_in
from grader.loading import LoadedExam
from grader.reports.markdown import markdown_page
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    TextQuestion,
)
from grader.submissions import student_file_name
from grader.templating import format_value

__all__ = [
    "Rendered",
    "variant_code",
    "paper_markdown",
    "question_markdown",
    "key_markdown",
    "render_variant",
    "markdown_to_latex",
    "latex_to_pdf",
]


def variant_code(exam_id: str, variant: int) -> str:
    """A short code printed on the paper; variant 0 is `P` (the printed paper)."""
    if variant == 0:
        return "P"
    return hashlib.sha256(f"{exam_id}/{variant}".encode()).hexdigest()[:6].upper()


def _marks(m: float) -> str:
    return f"{m:g} mark" + ("" if m == 1 else "s")


def _question_body(rq: ResolvedQuestion, heading: str) -> list[str]:
    q = rq.question
    lines = [f"{heading} ({_marks(q.marks)})", "", rq.prompt.strip(), ""]
    if isinstance(q, McqQuestion):
        lines += [f"- **({o.label})** {o.text}" for o in rq.options] + [""]
    elif isinstance(q, OrderingQuestion):
        lines += ["Put these steps in order (answer with the labels):", ""]
        lines += [f"- `{label}`: {text}" for label, text in sorted(q.steps.items())] + [""]
    elif isinstance(q, CodeQuestion):
        lines += [f"Write your answer in `{q.file}`:", "", "```python", q.stub.rstrip(), "```", ""]
    elif isinstance(q, NumericQuestion) and q.unit:
        lines += [f"Answer in {q.unit}.", ""]
    if isinstance(q, MultipartQuestion):
        for part in q.parts:
            lines += _question_body(
                rq.parts[part.id], f"{'#' * (heading.count('#') + 1)} ({part.id})"
            )
    return lines


def question_markdown(exam: LoadedExam, qid: str, variant: int = 0) -> str:
    """One question of the paper (its parts included) as Markdown, headed ``### qid``."""
    return "\n".join(_question_body(resolve_in(exam, qid, variant), f"### {qid}")).rstrip() + "\n"


def paper_markdown(exam: LoadedExam, variant: int = 0, student: str | None = None) -> str:
    """The exam paper as Markdown."""
    e = exam.exam
    lines = [f"# {e.title}", ""]
    if e.course:
        lines += [f"**{e.course}**" + (f" — {e.term}" if e.term else ""), ""]
    lines += [
        f"Time: {e.duration_minutes} minutes · Total marks: {e.total_marks:g} · "
        f"Variant: {variant_code(e.exam, variant)}",
        "",
    ]
    if student:
        lines += [f"Student: **{student}**", ""]
    if e.instructions:
        lines += [e.instructions.strip(), ""]
    for section in e.sections:
        lines += [f"## {section.title} ({_marks(section.marks)})", ""]
        if section.instructions:
            lines += [section.instructions.strip(), ""]
        for qid in section.questions:
            lines += _question_body(resolve_in(exam, qid, variant), f"### {qid}")
    return "\n".join(lines).rstrip() + "\n"


def _key_text(rq: ResolvedQuestion) -> str:
    q = rq.question
    if isinstance(q, McqQuestion):
        return "Correct option(s): " + ", ".join(f"({k})" for k in rq.key)
    if isinstance(q, NumericQuestion):
        return f"Answer: {format_value(rq.key)}" + (
            f" (tolerance: abs {q.tolerance.abs:g}, rel {q.tolerance.rel:g})"
            if q.tolerance.abs or q.tolerance.rel
            else ""
        )
    if isinstance(q, ExpressionQuestion):
        mode = {
            "exact": "",
            "additive_constant": " (up to an additive constant)",
            "multiplicative_constant": " (up to a constant factor)",
            "asymptotic": " (big-O)",
        }[q.equivalence]
        return f"Answer: `{q.answer}`{mode}"
    if isinstance(q, OrderingQuestion):
        return "Order: " + " → ".join(q.answer)
    if isinstance(q, TextQuestion):
        return "Rubric: " + "; ".join(f"{p.description} ({_marks(p.marks)})" for p in q.rubric)
    if isinstance(q, CodeQuestion):
        return (
            f"Reference implementation: `{q.reference}`; graded on {len(q.visible)} visible and "
            f"{(q.hidden.count + len(q.hidden.extra)) if q.hidden else 0} hidden cases"
        )
    return ""


def _key_body(rq: ResolvedQuestion, heading: str) -> list[str]:
    q = rq.question
    lines = [f"{heading} ({_marks(q.marks)})", ""]
    if isinstance(q, MultipartQuestion):
        for part in q.parts:
            lines += _key_body(rq.parts[part.id], f"{heading} ({part.id})")
    else:
        lines += [_key_text(rq), ""]
    if rq.solution.strip():
        lines += ["**Worked solution.**", "", rq.solution.strip(), ""]
    return lines


def key_markdown(exam: LoadedExam, variant: int = 0, student: str | None = None) -> str:
    """The answer key with worked solutions, as Markdown."""
    e = exam.exam
    lines = [
        f"# Answer key: {e.title}",
        "",
        f"Variant: {variant_code(e.exam, variant)}" + (f" · Student: {student}" if student else ""),
        "",
    ]
    for section in e.sections:
        lines += [f"## {section.title}", ""]
        for qid in section.questions:
            lines += _key_body(resolve_in(exam, qid, variant), f"### {qid}")
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------- LaTeX

_LATEX_ESCAPES = {
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.S)


def _escape_text(text: str) -> str:
    out = []
    for piece in _MATH.split(text):
        if _MATH.fullmatch(piece):
            out.append(piece if not piece.startswith("$$") else "\\[" + piece[2:-2] + "\\]")
        else:
            s = "".join(_LATEX_ESCAPES.get(ch, ch) for ch in piece)
            s = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", s)
            s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\\emph{\1}", s)
            s = re.sub(r"`([^`]+)`", r"\\texttt{\1}", s)
            s = s.replace("→", r"$\rightarrow$").replace("·", r"$\cdot$").replace("—", "---")
            out.append(s)
    return "".join(out)


def markdown_to_latex(markdown: str, title: str) -> str:
    """A standalone LaTeX document from the Markdown the renderer writes."""
    body: list[str] = []
    in_code = False
    in_list = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            if in_list:
                body.append(r"\end{itemize}")
                in_list = False
            body.append(r"\end{verbatim}" if in_code else r"\begin{verbatim}")
            in_code = not in_code
            continue
        if in_code:
            body.append(line)
            continue
        if line.startswith("- ") or line.startswith("  - "):
            if not in_list:
                body.append(r"\begin{itemize}")
                in_list = True
            body.append(r"\item " + _escape_text(line.lstrip()[2:]))
            continue
        if in_list:
            body.append(r"\end{itemize}")
            in_list = False
        m = re.match(r"^(#{1,4}) (.*)$", line)
        if m:
            level = len(m.group(1))
            cmd = {1: "section*", 2: "subsection*", 3: "subsubsection*", 4: "paragraph"}[level]
            body.append(f"\\{cmd}{{{_escape_text(m.group(2))}}}")
        else:
            body.append(_escape_text(line))
    if in_list:
        body.append(r"\end{itemize}")
    if in_code:
        body.append(r"\end{verbatim}")
    return (
        "\\documentclass[11pt,a4paper]{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
        "\\usepackage{amsmath,amssymb}\n\\usepackage[margin=2cm]{geometry}\n"
        f"\\title{{{_escape_text(title)}}}\n\\date{{}}\n\\begin{{document}}\n"
        + "\n".join(body)
        + "\n\\end{document}\n"
    )


def latex_engine() -> str | None:
    """The first LaTeX engine on PATH."""
    for exe in ("pdflatex", "xelatex", "lualatex", "tectonic"):
        if shutil.which(exe):
            return exe
    return None


def latex_to_pdf(tex: str, dest: Path) -> Path:
    """Typeset ``tex`` into ``dest``; raise with what to install when no engine is present."""
    engine = latex_engine()
    if engine is None:
        raise InfrastructureError(
            "PDF needs a LaTeX engine: sudo apt-get install texlive-latex-recommended "
            "(or texlive-xetex); the .tex file is written anyway"
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.tex"
        src.write_text(tex, encoding="utf-8")
        cmd = (
            [engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
            if engine != "tectonic"
            else [engine, "doc.tex"]
        )
        for _ in range(2 if engine != "tectonic" else 1):
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                raise InfrastructureError(f"{engine} failed on {dest.name}: {proc.stdout[-600:]}")
        shutil.copyfile(Path(tmp) / "doc.pdf", dest)
    return dest


@dataclass(frozen=True)
class Rendered:
    """Files written for one variant."""

    paper: list[Path]
    key: list[Path]


def render_variant(
    exam: LoadedExam,
    variant: int,
    out: Path,
    formats: Sequence[str],
    student: str | None = None,
    stem: str | None = None,
) -> Rendered:
    """Write the paper and key of one variant in ``formats`` (md, html, tex, pdf)."""
    out.mkdir(parents=True, exist_ok=True)
    # a student's files are named by student_file_name: unique per student, whatever the id
    stem = stem or (
        student_file_name(student)
        if student
        else f"variant-{variant_code(exam.exam.exam, variant)}"
    )
    written: dict[str, list[Path]] = {"paper": [], "key": []}
    for kind, md in (
        ("paper", paper_markdown(exam, variant, student)),
        ("key", key_markdown(exam, variant, student)),
    ):
        title = exam.exam.title if kind == "paper" else f"Answer key: {exam.exam.title}"

        # not Path.with_suffix: a stem holding a dot (``jo.smith``) would lose its end
        name = f"{stem}-{kind}"
        if "md" in formats:
            (out / f"{name}.md").write_text(md, encoding="utf-8")
            written[kind].append(out / f"{name}.md")
        if "html" in formats:
            (out / f"{name}.html").write_text(markdown_page(title, md), encoding="utf-8")
            written[kind].append(out / f"{name}.html")
        if "tex" in formats or "pdf" in formats:
            tex = markdown_to_latex(md, title)
            (out / f"{name}.tex").write_text(tex, encoding="utf-8")
            written[kind].append(out / f"{name}.tex")
            if "pdf" in formats:
                written[kind].append(latex_to_pdf(tex, (out / f"{name}.pdf")))
    return Rendered(written["paper"], written["key"])
