"""Two TAs on one exam at once, each with their own page (app instance, gradebook
connection) on the same gradebook file: a confirm made on a stale view is refused with the
fresh state and the first decision stands; decisions on different groups both land; racing
confirms of one group write it exactly once; no decision is ever written twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from review_class import EXAM_ID, AppFor, Course, form_of, overrides_rows

from grader.gradebook import Gradebook, Override
from grader.review_page.app import CONFLICT

HTMX = {"HX-Request": "true"}


def decisions(course: Course) -> dict[str, Override]:
    book = Gradebook(course.gradebook)
    try:
        return {s: o for (s, q), o in book.overrides(EXAM_ID).items() if q == "T1"}
    finally:
        book.close()


def test_a_confirm_on_a_stale_view_is_refused_with_the_fresh_state_and_the_first_stands(
    app_for: AppFor, course: Course
) -> None:
    ta1, ta2 = app_for(reviewer="ta1"), app_for(reviewer="ta2")
    seen1 = form_of(ta1.get("/question", params={"q": "T1"}).text)
    seen2 = form_of(ta2.get("/question", params={"q": "T1"}).text)
    assert ta1.post("/decide", data=seen1 | {"marks": "2"}, headers=HTMX).status_code == 200
    late = ta2.post("/decide", data=seen2 | {"marks": "0.5"}, headers=HTMX)
    assert late.status_code == 409
    assert CONFLICT.split(":")[0] in late.text
    assert "Decided: <strong>2</strong> marks (points perm) by ta1" in late.text  # fresh
    assert form_of(late.text)["marks"] == "2"
    assert {(o.marks, o.reviewer) for o in decisions(course).values()} == {(2.0, "ta1")}
    assert overrides_rows(course.gradebook, "T1") == 7
    # having seen it, ta2 may change it: one row per answer still
    again = ta2.post("/decide", data=form_of(late.text) | {"marks": "1.5"})
    assert again.status_code == 200
    assert {(o.marks, o.reviewer) for o in decisions(course).values()} == {(1.5, "ta2")}
    assert overrides_rows(course.gradebook, "T1") == 7


def test_a_split_made_meanwhile_makes_the_group_confirm_stale(
    app_for: AppFor, course: Course
) -> None:
    ta1, ta2 = app_for(reviewer="ta1"), app_for(reviewer="ta2")
    group_view = form_of(ta2.get("/question", params={"q": "T1"}).text)
    split = form_of(ta1.get("/question", params={"q": "T1", "group": 1, "student": "s06"}).text)
    assert ta1.post("/decide", data=split | {"marks": "0"}).status_code == 200
    assert ta2.post("/decide", data=group_view | {"marks": "2"}).status_code == 409
    assert {s: o.marks for s, o in decisions(course).items()} == {"s06": 0.0}


def test_decisions_on_different_groups_by_both_tas_land(app_for: AppFor, course: Course) -> None:
    ta1, ta2 = app_for(reviewer="ta1"), app_for(reviewer="ta2")
    first = form_of(ta1.get("/question", params={"q": "T1", "group": 1}).text)
    raw = form_of(ta2.get("/question", params={"q": "T1", "group": 4}).text)
    assert ta1.post("/decide", data=first).status_code == 200
    assert ta2.post("/decide", data=raw | {"points": ["raw"], "marks": ""}).status_code == 200
    by = {s: (o.reviewer, o.marks) for s, o in decisions(course).items()}
    assert by == {f"s0{i}": ("ta1", 1.0) for i in range(1, 8)} | {
        "s08": ("ta2", 1.0),
        "s09": ("ta2", 1.0),
    }
    assert overrides_rows(course.gradebook, "T1") == 9


def test_racing_confirms_of_one_group_from_two_pages_write_it_once(
    app_for: AppFor, course: Course
) -> None:
    pages = [app_for(reviewer=f"ta{i}") for i in range(4)]
    forms = [form_of(p.get("/question", params={"q": "T1"}).text) for p in pages]
    start = threading.Barrier(len(pages))

    def confirm(i: int) -> int:
        start.wait()
        return pages[i].post("/decide", data=forms[i] | {"marks": str(i / 2)}).status_code

    with ThreadPoolExecutor(len(pages)) as pool:
        statuses = list(pool.map(confirm, range(len(pages))))
    assert sorted(statuses) == [200, 409, 409, 409]
    winner = statuses.index(200)
    assert {(o.reviewer, o.marks) for o in decisions(course).values()} == {
        (f"ta{winner}", winner / 2)
    }
    assert overrides_rows(course.gradebook, "T1") == 7
