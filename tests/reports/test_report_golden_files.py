"""The reports, byte for byte: what ``write_reports`` writes for the hand-written class of
``class_table`` is compared with the committed files under ``golden/`` (``UPDATE_GOLDEN=1``
rewrites them; see conftest.py).

What the golden files were checked for when written, and the tests below keep checking:
TA overrides win in every output; a part waiting for review makes the page provisional;
a grader ``error`` shows its student-facing text and never its TA note; the ids and text
that a spreadsheet would run start with ``'``; script in student text reaches no page as
a tag; a text answer shows its rubric points instead of the keyword checker's feedback, and
before a decision describes only the points found (``test_feedback_text_decisions``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from class_table import (
    CMD,
    HOSTILE,
    OHARA,
    OVERRIDES,
    SECRET_NOTE,
    SUBMISSIONS,
    TABLE,
    folder,
)

from grader.gradebook import Environment, Gradebook
from grader.loading import LoadedExam, load_exam
from grader.reports import (
    feedback_html,
    feedback_markdown,
    read_table,
    write_reports,
)

EXAM = Path(__file__).parents[1] / "grader" / "fixtures" / "good" / "exam.yaml"
Golden = Callable[[str, bytes], None]


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


def _mia(exam: LoadedExam) -> tuple[str, str]:
    row = next(r for r in TABLE.students if r.student == "mia")
    md = feedback_markdown(exam, row)
    return md, feedback_html(exam, row.student, md)


def test_read_table_makes_the_hand_written_table_of_what_was_recorded(
    exam: LoadedExam, tmp_path: Path
) -> None:
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    env = Environment("0.0", "3.11", "2.0", "cpu")
    run = gradebook.start_run(exam.exam.exam, env, {})
    for sub in SUBMISSIONS:
        gradebook.record(sub, folder=folder(sub.student), content_hash="x", run_id=run, env=env)
    for o in OVERRIDES:
        gradebook.set_override(exam.exam.exam, o)
    assert read_table(exam, gradebook) == TABLE


@pytest.fixture(scope="module")
def written(exam: LoadedExam, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``write_reports`` filled from ``TABLE``."""
    out = tmp_path_factory.mktemp("reports")
    write_reports(exam, TABLE, out)
    return out


@pytest.mark.parametrize(
    "name",
    [
        "gradebook.csv",
        "results.json",
        "feedback/mia.md",
        "feedback/mia.html",
        "statistics/statistics.csv",
        "statistics/statistics.md",
    ],
)
def test_write_reports_writes_the_golden_file(name: str, written: Path, golden: Golden) -> None:
    golden(name, (written / name).read_bytes())


def test_the_feedback_writers_make_the_page_write_reports_writes(
    exam: LoadedExam, written: Path
) -> None:
    md, html = _mia(exam)
    assert (written / "feedback" / "mia.md").read_text(encoding="utf-8") == md
    assert (written / "feedback" / "mia.html").read_text(encoding="utf-8") == html


def test_write_reports_writes_every_report_and_a_page_per_student(written: Path) -> None:
    names = {str(p.relative_to(written)) for p in written.rglob("*") if p.is_file()}
    feedback = {n for n in names if n.startswith("feedback/")}
    assert names - feedback == {
        "gradebook.csv",
        "results.json",
        "statistics/statistics.md",
        "statistics/statistics.csv",
        "statistics/histogram.png",
        "statistics/items.png",
        "statistics/.histogram.png.data-hash",  # what each plot was drawn from (issue 18)
        "statistics/.items.png.data-hash",
    }
    assert len(feedback) == 2 * len(TABLE.students)


def test_overrides_and_pending_review_show_in_the_csv(written: Path) -> None:
    lines = (written / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    rows = {line.split(",", 1)[0]: line for line in lines}
    # mia: 1.5 + 0 + 2 (TA, graded 1) + 0 (error) + 2 = 5.5, P1/why still pending
    assert rows["mia"] == "mia,5.5,1.5,0,,,2,0,2,1"
    # ben: P1 is 3 after the TA's 1 on P1/why; T1 still pending
    assert rows["ben"] == "ben,8,0,1,1,0.5,0.5,2,3,1"


def test_hostile_ids_and_text_are_escaped_in_every_output(exam: LoadedExam, written: Path) -> None:
    csv = (written / "gradebook.csv").read_text(encoding="utf-8")
    assert f"\n'{CMD},1.5," in csv  # a leading ': the spreadsheet shows it as text
    assert f"\n{OHARA}," not in csv and '\n"o\'hara, ""z""",' in csv  # one quoted cell
    md, html = _mia(exam)
    assert HOSTILE in md  # Markdown is text: the student's words as written
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_ta_note_reaches_no_student_facing_output(written: Path) -> None:
    for path in written.rglob("*"):
        if path.suffix in {".md", ".html", ".csv", ".json"}:
            assert SECRET_NOTE not in path.read_text(encoding="utf-8"), path


def test_a_ta_decision_shows_on_the_page_with_its_comment_for_a_question_and_for_a_part(
    exam: LoadedExam,
) -> None:
    mia = next(r for r in TABLE.students if r.student == "mia")
    page = feedback_markdown(exam, mia)
    t1 = page.split("### T1", 1)[1].split("\n### ", 1)[0]
    assert t1.startswith(" — 2 / 2") and "*reviewed by a TA*" in t1
    assert "TA's comment:\n\n- both points are there, in other words" in t1
    ben = next(r for r in TABLE.students if r.student == "ben")
    p1 = feedback_markdown(exam, ben).split("### P1", 1)[1]
    assert p1.startswith(" — 3 / 3\n\n*reviewed by a TA*")  # the question a part of was decided
    why = p1.split("#### P1/why", 1)[1].split("\n#", 1)[0]
    assert why.startswith(" — 1 / 1") and "*reviewed by a TA*" in why
    assert "TA's comment" not in why  # the TA left none


def test_the_known_mistakes_table_counts_each_mistake_per_question(exam: LoadedExam) -> None:
    from grader.reports.stats import KnownMistakeCount, known_mistake_counts

    mutant = exam.questions["C1"].mutants[0]  # type: ignore[union-attr]
    assert known_mistake_counts(exam, TABLE) == [
        KnownMistakeCount("C1", mutant.fn, mutant.message, 1)
    ]
