"""Rendering papers and keys: Markdown, HTML with math, LaTeX; a real browser finds the math."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.cli import main
from grader.loading import load_exam
from grader.render import key_markdown, latex_engine, paper_markdown, render_variant

EXAM = Path(__file__).parent / "fixtures" / "good" / "exam.yaml"


def test_paper_has_header_sections_marks_and_no_answers() -> None:
    md = paper_markdown(load_exam(EXAM), 0, "alice")
    assert "Time: 40 minutes · Total marks: 11.5 · Variant: P" in md
    assert "Student: **alice**" in md
    assert "## Section A (1.5 marks)" in md and "### C1 (2 marks)" in md
    assert "Correct option" not in md and "-0.145" not in md


def test_key_has_answers_and_worked_solutions() -> None:
    md = key_markdown(load_exam(EXAM), 0)
    assert "Correct option(s): (A), (C)" in md
    assert "Answer: -0.145" in md
    assert "Answer: `2*n*r`" in md


def test_rendering_is_deterministic() -> None:
    exam = load_exam(EXAM)
    assert paper_markdown(exam, 5) == paper_markdown(exam, 5)
    assert paper_markdown(exam, 5) != paper_markdown(exam, 6)


def test_render_cli_writes_a_paper_and_key_per_roster_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student\nalice\nbob\n")
    monkeypatch.setenv("GRADER_SECRET", "course-secret")
    assert (
        main(
            [
                "render",
                str(EXAM),
                "--roster",
                str(roster),
                "--format",
                "md,html,tex",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == sorted(
        f"{s}-{k}.{e}"
        for s in ("alice", "bob")
        for k in ("paper", "key")
        for e in ("md", "html", "tex")
    )
    assert (tmp_path / "o" / "alice-paper.md").read_text() != (
        tmp_path / "o" / "bob-paper.md"
    ).read_text()


def test_html_renders_math_as_mathml(tmp_path: Path) -> None:
    r = render_variant(load_exam(EXAM), 0, tmp_path, ["html"])
    html = r.paper[0].read_text()
    assert "<math" in html and "<msqrt>" in html and "<script" not in html


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (make setup installs it)"
)
def test_a_real_browser_renders_the_math(tmp_path: Path) -> None:
    r = render_variant(load_exam(EXAM), 0, tmp_path, ["html"])
    page = r.paper[0]
    # Measure the rendered <math> elements from inside the page and print them into the DOM.
    probe = page.read_text().replace(
        "</body>",
        "<script>document.title = 'MATH:' + Array.from(document.querySelectorAll('math'))"
        ".filter(m => m.getBoundingClientRect().width > 0).length;</script></body>",
    )
    page.write_text(probe)
    out = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "<title>MATH:" in out.stdout, out.stderr[-2000:]
    rendered = int(out.stdout.split("<title>MATH:")[1].split("<")[0])
    assert rendered >= 1


@pytest.mark.skipif(
    latex_engine() is None,
    reason="no LaTeX engine installed (apt-get install texlive-latex-recommended)",
)
def test_pdf_has_the_papers_text(tmp_path: Path) -> None:
    r = render_variant(load_exam(EXAM), 0, tmp_path, ["pdf"])
    pdf = [p for p in r.paper if p.suffix == ".pdf"][0]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Demo exam" in text and "Section A" in text and "Section B" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info  # the whole demo paper fits on one A4 page
