import csv
import io
from pathlib import Path

from hostile_report import FORMULA, SCRIPT, hostile_report

from grader.similarity import write_report
from grader.similarity.report import CSV_HEADER, render_csv, render_html


def test_hostile_submission_text_is_escaped_in_the_html_report() -> None:
    page = render_html(hostile_report())
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page


def test_the_page_says_it_is_evidence_for_a_person_to_judge() -> None:
    page = render_html(hostile_report())
    assert "evidence for a person to judge" in page
    assert "Nothing here goes into student feedback" in page


def test_matching_regions_link_to_each_other_side_by_side() -> None:
    page = render_html(hostile_report())
    assert 'id="p1-c1-a-r0" href="#p1-c1-b-r0"' in page
    assert 'id="p1-c1-b-r0" href="#p1-c1-a-r0"' in page
    assert page.count('class="hit"') == 6  # 3 lines on each side


def test_formula_answers_are_disarmed_in_the_csv() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(hostile_report()))))
    assert rows[0] == CSV_HEADER
    assert rows[1][:3] == ["1", "alice", "bob"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert FORMULA in rows[1][-1]


def test_the_same_report_gives_the_same_files(tmp_path: Path) -> None:
    html, csv_path = write_report(hostile_report(), tmp_path / "a")
    html2, csv2 = write_report(hostile_report(), tmp_path / "b")
    assert html.read_bytes() == html2.read_bytes() and csv_path.read_bytes() == csv2.read_bytes()
    assert SCRIPT not in html.read_text()
