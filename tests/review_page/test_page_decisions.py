"""Deciding through the review page: the question opens on its first pending group, a
confirmed group writes one decision per answer at once (ticked points, typed marks, the
comment), the page moves on to the next pending group with its progress bars updated, an
answer split off its group keeps its own decision, a decided group can be changed, a
refused decision says why and writes nothing, and a restart resumes where the TA stopped."""

from __future__ import annotations

from review_class import EXAM_ID, AppFor, Course, form_of, overrides_rows

from grader.gradebook import Gradebook, Override
from grader.text_model import Matcher

HTMX = {"HX-Request": "true"}
PERMUTATION_GROUP = [f"s0{i}" for i in range(1, 8)]


def decisions(course: Course, question: str = "T1") -> dict[str, Override]:
    book = Gradebook(course.gradebook)
    try:
        return {s: o for (s, q), o in book.overrides(EXAM_ID).items() if q == question}
    finally:
        book.close()


def shown_group(page: str) -> int:
    return int(page.split('id="group-title" data-group="', 1)[1].split('"', 1)[0])


def test_the_question_opens_on_the_largest_group_with_its_suggestion_pre_ticked(
    app_for: AppFor,
) -> None:
    page = app_for().get("/question", params={"q": "T1"}).text
    assert shown_group(page) == 1
    assert "Group 1 of 7" in page and "7 answer(s)" in page
    assert "Suggested: <strong>1</strong> / 2 marks, points perm" in page
    form = form_of(page)
    assert (form["points"], form["marks"], form["scope"]) == (["perm"], "1", "group")
    assert 'name="marks" value="1" min="0" max="2.0" step="0.5"' in page


def test_confirming_a_group_writes_one_decision_per_answer_and_moves_to_the_next_pending(
    app_for: AppFor, course: Course
) -> None:
    client = app_for(reviewer="ta1")
    form = form_of(client.get("/question", params={"q": "T1"}).text)
    form |= {"points": ["perm", "raw"], "marks": "", "comment": "  both points  "}
    response = client.post("/decide", data=form, headers=HTMX)
    assert response.status_code == 200
    written = decisions(course)
    assert sorted(written) == PERMUTATION_GROUP
    assert {(o.marks, o.points, o.scope, o.reviewer, o.comment) for o in written.values()} == {
        (2.0, ("perm", "raw"), "group", "ta1", "both points")
    }
    page = response.text
    assert "Recorded 2 marks for group 1 (7 answer(s))." in page
    assert shown_group(page) == 3  # group 2 (blank) waits for nobody
    assert '<div id="bars" hx-swap-oob="true">' in page
    assert 'id="question-progress" value="9" max="16"' in page  # 2 blank + 7 decided
    assert 'id="exam-progress" value="10" max="32"' in page
    assert '<nav id="group-list" aria-label="answer groups" hx-swap-oob="true">' in page


def test_typed_marks_win_over_the_ticked_points_which_are_recorded_too(
    app_for: AppFor, course: Course
) -> None:
    client = app_for()
    form = form_of(client.get("/question", params={"q": "T1"}).text) | {"marks": "1.5"}
    assert client.post("/decide", data=form).status_code == 200
    assert {(o.marks, o.points) for o in decisions(course).values()} == {(1.5, ("perm",))}


def test_marks_out_of_range_are_refused_with_the_reason_and_nothing_is_written(
    app_for: AppFor, course: Course
) -> None:
    client = app_for()
    form = form_of(client.get("/question", params={"q": "T1"}).text)
    for marks, reason in [("3", "marks must be from 0 to 2, got 3"), ("lots", "such as 1.5")]:
        response = client.post("/decide", data=form | {"marks": marks}, headers=HTMX)
        assert response.status_code == 422
        assert reason in response.text
        assert response.headers["HX-Retarget"] == "#form-error"
    unknown = client.post("/decide", data=form | {"points": ["perm", "<b>x</b>"]})
    assert unknown.status_code == 422 and "&lt;b&gt;x&lt;/b&gt;" in unknown.text
    assert overrides_rows(course.gradebook, "T1") == 0


def test_a_split_answer_keeps_its_own_decision_when_its_group_is_decided(
    app_for: AppFor, course: Course
) -> None:
    client = app_for()
    split_page = client.get("/question", params={"q": "T1", "group": 1, "student": "s06"}).text
    assert 'Deciding <strong class="student">s06</strong>\'s answer on its own' in split_page
    split = form_of(split_page)
    assert split["scope"] == "answer"
    after_split = client.post("/decide", data=split | {"marks": "0.5", "points": []})
    assert "Recorded 0.5 marks for s06&#39;s answer." in after_split.text
    assert shown_group(after_split.text) == 1  # the rest of the group still waits
    group = form_of(after_split.text) | {"marks": "2"}
    assert client.post("/decide", data=group).status_code == 200
    written = decisions(course)
    assert (written["s06"].marks, written["s06"].scope, written["s06"].points) == (
        0.5,
        "answer",
        None,
    )
    assert {s: o.marks for s, o in written.items() if s != "s06"} == dict.fromkeys(
        set(PERMUTATION_GROUP) - {"s06"}, 2.0
    )


def test_a_decided_group_shows_its_decision_and_can_be_changed(
    app_for: AppFor, course: Course
) -> None:
    client = app_for(reviewer="ta1")
    first = form_of(client.get("/question", params={"q": "T1"}).text)
    client.post("/decide", data=first | {"comment": "first thought"})
    page = client.get("/question", params={"q": "T1", "group": 1}).text
    assert "Decided: <strong>1</strong> marks (points perm) by ta1" in page
    assert "first thought" in page
    again = form_of(page)
    assert (again["points"], again["marks"], again["comment"]) == (["perm"], "1", "first thought")
    changed = client.post("/decide", data=again | {"points": ["perm", "raw"], "marks": ""})
    assert changed.status_code == 200
    assert {o.marks for o in decisions(course).values()} == {2.0}
    assert overrides_rows(course.gradebook, "T1") == 7


def test_a_text_part_of_a_multipart_question_is_reviewed_under_its_own_key(
    app_for: AppFor, course: Course
) -> None:
    client = app_for()
    page = client.get("/question", params={"q": "P1/why"}).text
    assert "<h1>P1/why" in page
    assert client.post("/decide", data=form_of(page)).status_code == 200
    assert len(decisions(course, "P1/why")) == 14  # "softmax saturates" x13 and a paraphrase
    assert decisions(course, "T1") == {}


def test_an_unknown_question_is_a_404_that_names_the_questions(app_for: AppFor) -> None:
    response = app_for().get("/question", params={"q": "T9"})
    assert response.status_code == 404
    assert "'T9' is not a text question" in response.text and "T1, P1/why" in response.text


def test_a_restarted_page_resumes_at_the_first_group_still_waiting(
    app_for: AppFor, course: Course
) -> None:
    client = app_for()
    form = form_of(client.get("/question", params={"q": "T1"}).text)
    page = client.post("/decide", data=form).text
    client.post("/decide", data=form_of(page))  # group 3 too
    restarted = app_for().get("/question", params={"q": "T1"}).text
    assert shown_group(restarted) == 4
    overview = app_for().get("/").text
    assert "<td>11 / 16</td>" in overview and "<td>5</td>" in overview


def test_the_overview_lists_every_text_question_with_its_progress_and_the_matcher(
    app_for: AppFor,
) -> None:
    page = app_for().get("/").text
    assert 'href="/question?q=T1"' in page and 'href="/question?q=P1%2Fwhy"' in page
    assert "<td>2 / 16</td>" in page and "<td>1 / 16</td>" in page
    assert 'id="exam-progress" value="3" max="32"' in page
    assert "matcher: embedding model fake-topics@test" in page


def test_the_reports_follow_the_decisions_and_are_rewritten_when_the_page_stops(
    app_for: AppFor, course: Course
) -> None:
    client = app_for(out=course.out)
    with client:  # runs the app's start and stop, as the server does
        form = form_of(client.get("/question", params={"q": "T1"}).text)
        form |= {"marks": "1.5", "comment": "close: say why order matters"}
        assert client.post("/decide", data=form).status_code == 200
    feedback = (course.out / "feedback" / "s01.md").read_text()
    assert "### T1 — 1.5 / 2" in feedback
    assert "close: say why order matters" in feedback
    assert client.app.state.reports.rewrites >= 1  # type: ignore[attr-defined]


def test_without_the_text_model_the_header_says_why_and_groups_are_identical_texts(
    app_for: AppFor,
) -> None:
    reason = "the text model is not installed; install the `text` extra"
    client = app_for(text=Matcher("keywords", "keyword rubric", reason=reason))
    page = client.get("/question", params={"q": "T1"}).text
    assert f"matcher: keyword rubric only: {reason}" in page
    assert "(keyword rubric)." in page  # whose suggestion it is
    assert "Group 1 of 9" in page  # no clustering: paraphrases stay apart
