"""Only the TA's own browser gets the review page: each defence of ``guard.Guard`` against
the attack it stops (no or a wrong token, a forged cross-site POST carrying only the
cookie, DNS rebinding, static files fetched without the token)."""

from __future__ import annotations

import pytest
from review_class import EXAM_ID, PORT, TOKEN, AppFor, Course, form_of

from grader.gradebook import Gradebook
from grader.review_page.guard import TOKEN_HEADER, cookie_name

FORBIDDEN = "403 forbidden: open the review page with the URL"


def decision_form(app_for: AppFor) -> dict[str, str | list[str]]:
    """A valid decision on T1's first group, as the page's form would post it."""
    return form_of(app_for().get("/question", params={"q": "T1"}).text)


@pytest.mark.parametrize("path", ["/", "/question?q=T1", "/static/review.js", "/nowhere"])
def test_a_request_without_the_token_gets_403_and_nothing_else(app_for: AppFor, path: str) -> None:
    response = app_for(headers=False).get(path)
    assert response.status_code == 403
    assert response.text.startswith(FORBIDDEN)
    assert "T1" not in response.text and "<" not in response.text


@pytest.mark.parametrize(
    "how",
    [
        {"headers": {TOKEN_HEADER: "not-the-token"}},
        {"params": {"token": TOKEN[:-1]}},
        {"cookies": {cookie_name(PORT): TOKEN + "x"}},
        {"headers": {TOKEN_HEADER: ""}},
    ],
    ids=["header", "query", "cookie", "empty"],
)
def test_a_wrong_token_gets_403(app_for: AppFor, how: dict[str, dict[str, str]]) -> None:
    client = app_for(headers=False)
    client.cookies.update(how.get("cookies", {}))
    response = client.get("/", headers=how.get("headers"), params=how.get("params"))
    assert response.status_code == 403


def test_the_token_in_the_url_sets_an_httponly_strict_cookie_and_leaves_the_url(
    app_for: AppFor,
) -> None:
    client = app_for(headers=False)
    response = client.get("/question", params={"q": "T1", "token": TOKEN})
    assert response.status_code == 303
    assert response.headers["location"] == "/question?q=T1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(PORT)}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/question", params={"q": "T1"})  # the cookie alone opens pages now
    assert page.status_code == 200 and "Group 1 of" in page.text


def test_a_post_carrying_only_the_cookie_is_refused_and_writes_nothing(
    app_for: AppFor, course: Course
) -> None:
    """Another site can make the TA's browser post a form with the cookie (CSRF), but it
    cannot add the token header."""
    form = decision_form(app_for)
    client = app_for(headers=False)
    client.get("/", params={"token": TOKEN})  # the browser holds the cookie
    assert client.cookies.get(cookie_name(PORT)) == TOKEN
    forged = client.post("/decide", data=form)
    assert forged.status_code == 403
    assert Gradebook(course.gradebook).overrides(EXAM_ID) == {}
    with_header = client.post("/decide", data=form, headers={TOKEN_HEADER: TOKEN})
    assert with_header.status_code == 200
    assert len(Gradebook(course.gradebook).overrides(EXAM_ID)) == 7


def test_a_post_with_the_token_only_in_the_url_is_refused(app_for: AppFor) -> None:
    form = decision_form(app_for)
    response = app_for(headers=False).post("/decide", params={"token": TOKEN}, data=form)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", "", "0.0.0.0:8765"]
)
def test_a_foreign_host_header_is_refused_even_with_the_token(app_for: AppFor, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends its
    own Host; with the token (it cannot have it) it would still be refused."""
    response = app_for().get("/", headers={"host": host})
    assert response.status_code == 400
    assert "bad Host header" in response.text and "T1" not in response.text


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"LOCALHOST:{PORT}"])
def test_the_page_answers_on_its_own_host_names(app_for: AppFor, host: str) -> None:
    assert app_for().get("/", headers={"host": host}).status_code == 200


def test_static_files_need_the_token_too(app_for: AppFor) -> None:
    assert app_for(headers=False).get("/static/htmx.min.js").status_code == 403
    served = app_for().get("/static/htmx.min.js")
    assert served.status_code == 200 and 'version:"2.0.11"' in served.text


def test_every_answer_forbids_foreign_scripts_framing_and_caching(app_for: AppFor) -> None:
    for response in (app_for().get("/"), app_for(headers=False).get("/")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
