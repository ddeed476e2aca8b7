"""Attacks on what the grader writes: formulas in CSV cells, script in feedback pages.

A hostile student controls text that reaches gradebook.csv (through ids in an old
gradebook) and the HTML feedback pages (problems with the submission quote its keys and
file names; ``$\\text{...}$`` goes through latex2mathml). CSV text cells that a
spreadsheet would run get a leading ``'``; every HTML fragment goes through the nh3
allowlist, and math still renders as MathML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.gradebook import Environment, Gradebook
from grader.loading import LoadedExam, load_exam
from grader.results import QuestionResult, SubmissionResult
from grader.render import key_markdown, paper_markdown
from grader.reports import gradebook_csv, read_table, write_statistics
from grader.reports._csv import csv_text, number, safe_cell
from grader.reports.markdown import _MD, markdown_page, markdown_to_html, page, sanitize_html

EXAM = Path(__file__).parents[2] / "grader" / "fixtures" / "good" / "exam.yaml"


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


# ----------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(("cell", "written"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1", "'+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("mia", "mia"),
    ("a=b", "a=b"),
    ("", ""),
    (-0.5, -0.5),
    (-3, -3),
])
def test_safe_cell_escapes_text_that_starts_a_formula_and_leaves_our_numbers(cell: str | float, written: str | float) -> None:
    assert safe_cell(cell) == written


def test_csv_text_quotes_escaped_cells_as_usual() -> None:
    assert csv_text([["=cmd|' /C calc'!A0", -0.5, 2, "x,y"]]) == "'=cmd|' /C calc'!A0,-0.5,2,\"x,y\"\n"


@pytest.mark.parametrize(("x", "digits", "out"), [(2.0, 4, "2"), (-0.5, 4, "-0.5"), (1 / 3, 4, "0.3333"),
                                                  (2.9999999999, 4, "3"), (1.5e-05, 6, "1.5e-05"), (0.123456789, 6, "0.123457")])
def test_number_keeps_the_old_formats(x: float, digits: int, out: str) -> None:
    assert csv_text([[number(x, digits)]]) == out + "\n"


def _record(gb: Gradebook, student: str, marks: dict[str, float], review: str = "") -> None:
    questions = tuple(QuestionResult(question_id=q, marks=m, max_marks=2.0, status="incorrect", needs_review=q == review)
                      for q, m in marks.items())
    gb.record(SubmissionResult(student=student, exam="demo-exam", variant=0, questions=questions),
              folder="/nowhere", content_hash="x", run_id=1, env=Environment.current())


HOSTILE_IDS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1+1"]


def test_gradebook_csv_golden_with_hostile_ids_and_a_negative_mark(exam: LoadedExam, tmp_path: Path) -> None:
    # Folder names can no longer be such ids; a gradebook from before the rule still holds them.
    gb = Gradebook(tmp_path / "gb.sqlite")
    for sid in HOSTILE_IDS:
        _record(gb, sid, {"M1": 1.5})
    _record(gb, "mia", {"M1": 1.5, "N1": -0.5, "T1": 1 / 3}, review="T1")
    assert gradebook_csv(exam, read_table(exam, gb)) == (
        "Student ID,Total,M1,N1,E1,O1,T1,C1,P1,Pending review\n"
        "Points possible,11.5,1.5,1,1,1,2,2,3,\n"
        "'\t=1+1,1.5,1.5,,,,,,,0\n"
        "'+1,1.5,1.5,,,,,,,0\n"
        "'-2+3,1.5,1.5,,,,,,,0\n"
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1.5,1.5,,,,,,,0\n"
        "'@SUM(A1),1.5,1.5,,,,,,,0\n"
        "mia,1.333,1.5,-0.5,,,0.3333,,,1\n"
    )


def test_statistics_csv_golden(exam: LoadedExam, tmp_path: Path) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    _record(gb, "a", {"M1": 1.5, "N1": 1.0})
    _record(gb, "b", {"M1": 0.0, "N1": 1.0})
    _record(gb, "c", {"M1": 1.5, "N1": 0.0})
    write_statistics(exam, read_table(exam, gb), tmp_path / "stats")
    assert (tmp_path / "stats" / "statistics.csv").read_text() == (
        "question,max_marks,n,mean,difficulty,discrimination\n"
        "M1,1.5,3,1,0.666667,-0.5\n"
        "N1,1,3,0.666667,0.666667,-0.5\n"
        "E1,1,3,0,0,\n"
        "O1,1,3,0,0,\n"
        "T1,2,3,0,0,\n"
        "C1,2,3,0,0,\n"
        "P1,3,3,0,0,\n"
    )


# ---------------------------------------------------------------------------- HTML

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"""$\text{<img/src="x"onerror="alert(1)">}$""",
    r"$\text{</math><script>alert(1)</script>}$",
    r"$$\text{</math><script>alert(1)</script>}$$",
    r"$\text{<svg/onload=alert(1)>}$",
    r"""$\text{<iframe/srcdoc="<script>alert(1)</script>">}$""",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)",
    '<p title="x" onmouseover="alert(1)">y</p>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<td style="text-align:right;background-image:url(x)">x</td>',
    "<object data=x></object><embed src=x>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    r"$\href{javascript:alert(1)}{x}$",
    r'$\color{red" onmouseover="alert(1)}{x}$',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml></math>',
    '<math href="javascript:alert(1)"><mi xlink:href="javascript:alert(1)">x</mi></math>',
]
_NEVER = {"script", "iframe", "object", "embed", "form", "svg", "style", "link", "meta", "base", "frame", "frameset",
          "applet", "input", "button", "textarea", "template", "noscript", "mglyph", "malignmark", "annotation-xml"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}


class _Findings(HTMLParser):
    """Everything in a page that could run script, as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NEVER:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            v = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in _URL_ATTRIBUTES and re.match(r"(javascript|vbscript|data):", v):
                self.found.append(f"{tag} {name}={v}")
            if name == "style" and ("url(" in v or "expression(" in v):
                self.found.append(f"{tag} style={v}")


def findings(html_text: str) -> list[str]:
    """What could run in ``html_text`` (for a whole page: in its body; the head is ours)."""
    html_text = html_text.split("<body>", 1)[-1]
    parser = _Findings()
    parser.feed(html_text)
    parser.close()
    if re.search(r"<\s*/?\s*(script|iframe|svg)", html_text, re.I):
        parser.found.append("raw tag")
    return parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_markdown_gives_no_executable_html(payload: str) -> None:
    assert findings(markdown_to_html(payload)) == []
    assert findings(markdown_page("t", f"- {payload}\n\n{payload}\n")) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_as_raw_html_is_sanitized(payload: str) -> None:
    assert findings(sanitize_html(payload)) == []
    assert findings(page("t", payload)) == []


def test_student_text_inside_math_is_shown_as_text_and_the_math_still_renders() -> None:
    html = markdown_to_html(r"$\frac{a}{\sqrt{b}} + \text{<img src=x onerror=alert(1)>}$")
    assert "<mfrac>" in html and "<msqrt>" in html
    assert "<mtext>&lt;img&nbsp;src=x&nbsp;onerror=alert(1)&gt;</mtext>" in html
    assert 'xmlns="http://www.w3.org/1998/Math/MathML"' in html


def test_table_alignment_survives_and_nothing_else_of_a_style() -> None:
    html = markdown_to_html("| a | b |\n|--:|:-:|\n| 1 | 2 |\n")
    assert '<th style="text-align:right">' in html and '<td style="text-align:center">' in html


def test_links_to_the_web_survive() -> None:
    assert '<a href="https://arxiv.org/abs/1706.03762" rel="noopener noreferrer">paper</a>' in \
        markdown_to_html("[paper](https://arxiv.org/abs/1706.03762)")


def _shape(html_text: str) -> tuple[list[str], list[str]]:
    return sorted(set(re.findall(r"<([a-z][a-z0-9]*)", html_text))), sorted(set(re.findall(r' ([a-z:-]+)="', html_text)))


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_the_allowlist_keeps_every_tag_and_attribute_of_the_real_papers(exam_id: str) -> None:
    real = load_exam(exam_id)
    raw = str(_MD.render(paper_markdown(real) + key_markdown(real)))
    assert "<math" in raw
    assert _shape(sanitize_html(raw)) == _shape(raw)


# ------------------------------------------------------------- a real feedback page

PWN = "window.__pwned=1;document.title='PWNED'"
TOP_LEVEL_KEYS = [  # unknown top-level keys are quoted verbatim in the student's problems
    rf"""$\text{{<img/src="x"onerror="{PWN}">}}$""",
    rf"$\text{{</math><script>{PWN}</script>}}$",
    rf"""$\text{{<svg/onload="{PWN}">}}$""",
    r"""$$\text{<iframe/srcdoc="<script>parent.__pwned=1</script>">}$$""",
    f"<img src=x onerror=\"{PWN}\">",
    "[x](javascript:window.__pwned=1)",
]
PROBE = """<script id="probe">
window.addEventListener('load', () => {
  const all = Array.from(document.querySelectorAll('*'));
  const report = {
    pwned: window.__pwned || 0,
    math: Array.from(document.querySelectorAll('math')).filter(m => m.getBoundingClientRect().width > 0).length,
    mtext: document.querySelectorAll('math mtext').length,
    tags: document.querySelectorAll('script:not(#probe), iframe, svg, object, embed, form').length,
    handlers: all.filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
    js_urls: all.filter(e => Array.from(e.attributes).some(a => /^\\s*javascript:/i.test(a.value))).length,
  };
  document.title = 'PROBE:' + JSON.stringify(report);
});
</script>"""


def _hostile_class(root: Path) -> Path:
    klass = root / "class"
    mallory = klass / "mallory"
    mallory.mkdir(parents=True)
    doc: dict[str, object] = {"student": r"$\text{<img/src=x/onerror=window.__pwned=1>}$", "exam": "demo-exam",
                              "answers": {"M1": ["A", "C"], "N1": "<img src=x onerror=alert(1)>"}}
    doc.update({key: 1 for key in TOP_LEVEL_KEYS})
    (mallory / "answers.yaml").write_text(yaml.safe_dump(doc))
    # A binary file is reported by its name, verbatim.
    (mallory / f"$\\text{{<img\tsrc=y\tonerror=\"{PWN}\">}}$.py").write_bytes(b"\0\1\2")
    return klass


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (make setup installs it)")
def test_a_hostile_feedback_page_runs_no_script_in_a_real_browser(tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["grade", str(EXAM), str(_hostile_class(tmp_path)), "--no-sandbox", "--workers", "1", "--quiet",
          "--out", str(out)])
    page_path = out / "feedback" / "mallory.html"
    html = page_path.read_text()
    assert "&lt;img/src=" in html and "&lt;/math&gt;&lt;script&gt;" in html  # the student's text, shown as text
    assert findings(html) == []
    page_path.write_text(html.replace("</body>", PROBE + "</body>"))
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page_path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert "<title>PROBE:" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout.split("<title>PROBE:")[1].split("</title>")[0].replace("&quot;", '"'))
    assert report["pwned"] == 0 and "PWNED" not in proc.stdout.split("</title>")[0]
    assert report["tags"] == 0 and report["handlers"] == 0 and report["js_urls"] == 0
    assert report["math"] >= 4 and report["mtext"] >= 4  # the math is still typeset
