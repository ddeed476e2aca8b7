"""Item analysis against arithmetic done by hand: difficulty is the mean share of an item's
marks; discrimination is the Pearson correlation of the item with the rest of the total
(the total without that item)."""

from __future__ import annotations

import math

import pytest

from grader.gradebook import StoredAnswer
from grader.reports import ClassTable, QuestionColumn, StudentRow, item_analysis
from grader.results import QuestionResult

MAX = {"Q1": 2.0, "Q2": 1.0, "Q3": 4.0}
# student: marks per item; s5 never answered Q1, which counts as 0
MARKS = {
    "s1": {"Q1": 2.0, "Q2": 1.0, "Q3": 4.0},  # total 7
    "s2": {"Q1": 1.0, "Q2": 1.0, "Q3": 2.0},  # total 4
    "s3": {"Q1": 0.0, "Q2": 0.0, "Q3": 1.0},  # total 1
    "s4": {"Q1": 2.0, "Q2": 0.0, "Q3": 3.0},  # total 5
    "s5": {"Q2": 1.0, "Q3": 0.0},  # total 1
}


def _table(marks: dict[str, dict[str, float]], max_marks: dict[str, float]) -> ClassTable:
    def answer(student: str, qid: str, m: float) -> StoredAnswer:
        r = QuestionResult(question_id=qid, marks=m, max_marks=max_marks[qid], status="correct")
        return StoredAnswer(student, qid, m, m, max_marks[qid], "correct", False, False, r)

    rows = tuple(
        StudentRow(s, 0, (), "", tuple(answer(s, q, m) for q, m in marks[s].items()))
        for s in sorted(marks)
    )
    return ClassTable("x", tuple(QuestionColumn(q, m) for q, m in max_marks.items()), rows)


@pytest.fixture(scope="module")
def stats() -> dict[str, tuple[float, float | None]]:
    return {
        s.question_id: (s.difficulty, s.discrimination) for s in item_analysis(_table(MARKS, MAX))
    }


def test_difficulty_is_the_mean_share_of_the_items_marks(
    stats: dict[str, tuple[float, float | None]],
) -> None:
    # Q1: (2 + 1 + 0 + 2 + 0) / 5 = 1.0 of 2 marks -> p = 0.5
    # Q2: (1 + 1 + 0 + 0 + 1) / 5 = 0.6 of 1 mark  -> p = 0.6
    # Q3: (4 + 2 + 1 + 3 + 0) / 5 = 2.0 of 4 marks -> p = 0.5
    assert stats["Q1"][0] == 0.5
    assert stats["Q2"][0] == 0.6
    assert stats["Q3"][0] == 0.5


def test_discrimination_is_the_item_rest_correlation(
    stats: dict[str, tuple[float, float | None]],
) -> None:
    # r = Sxy / sqrt(Sxx * Syy), with x the item, y = total - item, S the sums of products of
    # deviations from the means.
    #
    # Q1: x = 2, 1, 0, 2, 0 (mean 1); y = 5, 3, 1, 3, 1 (mean 13/5 = 2.6)
    #     dx = 1, 0, -1, 1, -1;  dy = 2.4, 0.4, -1.6, 0.4, -1.6
    #     Sxy = 2.4 + 0 + 1.6 + 0.4 + 1.6 = 6;  Sxx = 4;  Syy = 5.76 + 0.16 + 2.56 + 0.16 + 2.56
    #     = 11.2;  r = 6 / sqrt(44.8) = 0.896421 (to 6 places)
    assert stats["Q1"][1] == pytest.approx(6 / math.sqrt(44.8), abs=1e-6)
    assert stats["Q1"][1] == 0.896421
    # Q2: x = 1, 1, 0, 0, 1 (mean 0.6); y = 6, 3, 1, 5, 0 (mean 3)
    #     dx = 0.4, 0.4, -0.6, -0.6, 0.4;  dy = 3, 0, -2, 2, -3
    #     Sxy = 1.2 + 0 + 1.2 - 1.2 - 1.2 = 0  -> r = 0: Q2 does not separate strong from weak
    assert stats["Q2"][1] == pytest.approx(0.0, abs=1e-9)
    # Q3: x = 4, 2, 1, 3, 0 (mean 2); y = 3, 2, 0, 2, 1 (mean 8/5 = 1.6)
    #     dx = 2, 0, -1, 1, -2;  dy = 1.4, 0.4, -1.6, 0.4, -0.6
    #     Sxy = 2.8 + 0 + 1.6 + 0.4 + 1.2 = 6;  Sxx = 4 + 0 + 1 + 1 + 4 = 10;
    #     Syy = 1.96 + 0.16 + 2.56 + 0.16 + 0.36 = 5.2;  r = 6 / sqrt(52) = 0.832050
    assert stats["Q3"][1] == pytest.approx(6 / math.sqrt(52), abs=1e-6)
    assert stats["Q3"][1] == 0.83205


def test_an_item_everyone_scores_the_same_on_has_no_discrimination() -> None:
    marks = {s: {"Q1": m, "Q2": 1.0} for s, m in zip("abc", (0.0, 1.0, 2.0), strict=True)}
    (q1, q2) = item_analysis(_table(marks, {"Q1": 2.0, "Q2": 1.0}))
    assert q2.difficulty == 1.0 and q2.discrimination is None
    assert q1.discrimination is None  # the rest (Q2) does not vary either


def test_fewer_than_three_students_give_no_discrimination() -> None:
    marks = {"a": {"Q1": 0.0, "Q2": 0.0}, "b": {"Q1": 2.0, "Q2": 1.0}}
    assert [s.discrimination for s in item_analysis(_table(marks, MAX | {"Q2": 1.0}))] == [
        None,
        None,
        None,
    ]
