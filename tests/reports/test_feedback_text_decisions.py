"""Feedback pages for text answers: the rubric points earned, by a TA's decision, by marks
alone, provisionally from the keywords, or automatically; and which points a student may
read before the solutions are released (see ``grader/reports/feedback.py``).

The exam is the demo exam of tests/grader/fixtures/good: T1 is a text question with the
points ``perm`` (1 mark, "Self-attention is permutation invariant.") and ``raw`` (1 mark,
"Raw integers grow without bound."); P1 is a multipart question whose part ``why`` is text
(point ``sat``, 1 mark, "softmax saturates").
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from grader.checks import check_text
from grader.gradebook import Environment, Gradebook, Override
from grader.loading import LoadedExam, load_exam
from grader.reports import feedback_html, feedback_markdown, read_table
from grader.results import QuestionResult, SubmissionResult
from grader.schema import TextQuestion

EXAM = Path(__file__).parents[1] / "grader" / "fixtures" / "good" / "exam.yaml"
PERM = "Self-attention is permutation invariant."
RAW = "Raw integers grow without bound."
HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


def _released(exam: LoadedExam) -> LoadedExam:
    """The exam with ``release_solutions: true``."""
    return dataclasses.replace(exam, exam=exam.exam.model_copy(update={"release_solutions": True}))


def _t1(found: tuple[str, ...] = (), **kw: object) -> QuestionResult:
    """T1 as the keyword rubric left it: provisional, waiting for a TA."""
    marks = float(len(found))
    fields = {"marks": marks, "max_marks": 2.0, "status": "needs_review", "needs_review": True}
    return QuestionResult.model_validate(
        {"question_id": "T1", "rubric_found": found, **fields, **kw}
    )


def _why(**kw: object) -> QuestionResult:
    return QuestionResult.model_validate(
        {"question_id": "P1/why", "marks": 0.0, "max_marks": 1.0, "status": "needs_review", **kw}
    )


def _p1(why: QuestionResult) -> QuestionResult:
    variance = QuestionResult(question_id="P1/variance", marks=2.0, max_marks=2.0, status="correct")
    return QuestionResult(
        question_id="P1",
        marks=2.0,
        max_marks=3.0,
        status="needs_review",
        parts=(variance, why),
    )


def _decision(
    question_id: str,
    marks: float,
    *,
    points: tuple[str, ...] | None = None,
    auto: bool = False,
    comment: str = "",
) -> Override:
    """A decision on Kim's ``question_id``: by a TA (``ta-jo``) unless ``auto``."""
    return Override("kim", question_id, marks, comment, "ta-jo", points=points, auto=auto)


def _page(exam: LoadedExam, r: QuestionResult, *decisions: Override) -> str:
    """Kim's feedback page in Markdown, with one graded answer ``r`` and the TA's (or the
    automatic) ``decisions``, as the gradebook records them and ``read_table`` reads them."""
    with tempfile.TemporaryDirectory() as folder:
        gradebook = Gradebook(Path(folder) / "gb.sqlite")
        env = Environment("0.0", "3.11", "2.0", "cpu")
        run = gradebook.start_run(exam.exam.exam, env, {})
        kim = SubmissionResult(student="kim", exam=exam.exam.exam, variant=1, questions=(r,))
        gradebook.record(kim, folder="submissions/kim", content_hash="x", run_id=run, env=env)
        gradebook.set_overrides(exam.exam.exam, decisions)
        (row,) = read_table(exam, gradebook).students
        gradebook.close()
    return feedback_markdown(exam, row)


def _section(page: str, heading: str) -> str:
    """The text under ``heading`` (e.g. ``### T1``) up to the next heading."""
    return page.split(f"{heading} — ", 1)[1].split("\n#", 1)[0]


def test_a_ta_decision_with_points_ticks_the_points_the_ta_gave(exam: LoadedExam) -> None:
    t1 = _section(_page(exam, _t1(("perm",)), _decision("T1", 1.0, points=("raw",))), "### T1")
    assert t1.startswith("1 / 2") and "*reviewed by a TA*" in t1
    assert "Rubric points, as the TA marked them:" in t1
    assert f"- ☐ perm (1 mark): {PERM}" in t1  # the keywords' find does not count
    assert f"- ☑ raw (1 mark): {RAW}" in t1


def test_a_marks_only_decision_shows_the_rubric_unticked_and_says_the_ta_gave_marks(
    exam: LoadedExam,
) -> None:
    t1 = _section(_page(exam, _t1(("perm",)), _decision("T1", 1.5)), "### T1")
    assert t1.startswith("1.5 / 2") and "*reviewed by a TA*" in t1
    assert "The TA gave marks directly, without ticking rubric points. The rubric:" in t1
    assert f"- perm (1 mark): {PERM}\n- raw (1 mark): {RAW}\n" in t1
    assert "☑" not in t1 and "☐" not in t1
    assert "provisional" not in t1


def test_before_a_decision_the_points_the_keywords_found_show_as_provisional(
    exam: LoadedExam,
) -> None:
    t1 = _section(_page(exam, _t1(("raw",))), "### T1")
    assert "*provisional, waiting for TA review*" in t1
    assert "Rubric points found so far (provisional; a TA will confirm):" in t1
    assert f"- ☑ raw (1 mark): {RAW}" in t1
    assert "- ☐ 1 more point (1 mark), described once your answer is marked" in t1


def test_the_keyword_checker_feedback_naming_every_point_is_replaced_by_the_rubric_lines(
    exam: LoadedExam,
) -> None:
    question = exam.questions["T1"]
    assert isinstance(question, TextQuestion)
    checked = check_text("raw integers get large", rubric=[p.model_dump() for p in question.rubric])
    assert PERM in checked.feedback  # "Points not found: Self-attention is ..."
    page = _page(exam, _t1(checked.rubric_found, feedback=checked.feedback))
    t1 = _section(page, "### T1")
    assert f"- ☑ raw (1 mark): {RAW}" in t1
    assert PERM not in page and "perm" not in page


def test_points_not_found_are_not_described_before_the_answer_is_marked(
    exam: LoadedExam,
) -> None:
    page = _page(exam, _p1(_why(needs_review=True)))
    why = _section(page, "#### P1/why")
    assert "- ☐ 1 point (1 mark), described once your answer is marked" in why
    assert "sat" not in page and "softmax" not in page


def test_released_solutions_describe_every_point_before_a_decision(exam: LoadedExam) -> None:
    t1 = _section(_page(_released(exam), _t1(("raw",))), "### T1")
    assert f"- ☐ perm (1 mark): {PERM}\n- ☑ raw (1 mark): {RAW}\n" in t1
    assert "described once" not in t1


def test_a_result_graded_with_its_solution_released_describes_every_point(
    exam: LoadedExam,
) -> None:
    t1 = _section(_page(exam, _t1((), solution="Attention ignores order.")), "### T1")
    assert f"- ☐ perm (1 mark): {PERM}\n- ☐ raw (1 mark): {RAW}\n" in t1


def test_a_decision_describes_every_point_though_the_solutions_are_not_released(
    exam: LoadedExam,
) -> None:
    page = _page(exam, _p1(_why(needs_review=True)), _decision("P1/why", 0.0, points=()))
    why = _section(page, "#### P1/why")
    assert "- ☐ sat (1 mark): softmax saturates" in why


def test_an_automatic_decision_reads_marked_automatically_and_says_no_ta_read_it(
    exam: LoadedExam,
) -> None:
    auto = _decision("T1", 1.0, points=("perm",), auto=True)
    t1 = _section(_page(exam, _t1(("perm",)), auto), "### T1")
    assert "*marked automatically*" in t1 and "reviewed by a TA" not in t1
    assert (
        "This mark was given automatically from the rubric suggestion; no TA has read your "
        "answer. If you think it is wrong, ask your TA to review T1." in t1
    )
    assert "Rubric points, as the suggestion gave them:" in t1
    assert f"- ☑ perm (1 mark): {PERM}" in t1


def test_a_question_whose_only_decision_was_automatic_reads_marked_automatically(
    exam: LoadedExam,
) -> None:
    auto = _decision("P1/why", 1.0, points=("sat",), auto=True)
    page = _page(exam, _p1(_why(needs_review=True)), auto)
    p1 = _section(page, "### P1")
    assert p1.startswith("3 / 3") and "*marked automatically*" in p1
    assert "ask your TA to review P1/why" in _section(page, "#### P1/why")
    by_ta = _decision("P1/variance", 2.0)
    assert "*reviewed by a TA*" in _section(_page(exam, _p1(_why()), auto, by_ta), "### P1")


def test_a_hostile_comment_stays_text_in_the_html(exam: LoadedExam) -> None:
    md = _page(exam, _t1(("perm",)), _decision("T1", 1.0, comment=f"☑ raw (1 mark) {HOSTILE}"))
    assert f"TA's comment:\n\n- ☑ raw (1 mark) {HOSTILE}" in md  # under the TA's name only
    page = feedback_html(exam, "kim", md)
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_hostile_rubric_description_stays_text_in_the_html(exam: LoadedExam) -> None:
    question = exam.questions["T1"]
    assert isinstance(question, TextQuestion)
    rubric = [question.rubric[0].model_copy(update={"description": HOSTILE}), question.rubric[1]]
    hostile = dataclasses.replace(
        exam, questions={**exam.questions, "T1": question.model_copy(update={"rubric": rubric})}
    )
    md = _page(hostile, _t1(("perm",)))
    assert f"- ☑ perm (1 mark): {HOSTILE}" in md
    page = feedback_html(hostile, "kim", md)
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
