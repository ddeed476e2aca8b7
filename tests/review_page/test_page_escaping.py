"""Student text is hostile: an answer or a comment holding HTML or a script is shown as
text everywhere on the page; no template opts out of escaping; the page loads nothing from
another origin (it works offline, and a CDN could not inject script)."""

from __future__ import annotations

import re
from pathlib import Path

from review_class import HOSTILE, AppFor, form_of

import grader.review_page

TEMPLATES = Path(grader.review_page.__file__).parent / "templates"
ESCAPED = (
    "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;window.pwned=2&#34;&gt;"
)
HOSTILE_GROUP = 5


def test_an_answer_holding_a_script_is_shown_as_text(app_for: AppFor) -> None:
    assert HOSTILE.startswith("<script>window.pwned=1</script><img src=x onerror=")
    page = app_for().get("/question", params={"q": "T1", "group": HOSTILE_GROUP}).text
    assert f'<blockquote class="answer-text" id="shown-answer">{ESCAPED} order matters' in page
    assert page.count(ESCAPED) == 2  # the answer shown, and in the group's answer list
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x..." in page  # the list
    assert "<script>window" not in page and "<img" not in page and 'onerror="' not in page


def test_a_comment_holding_html_is_shown_as_text_when_the_group_is_opened_again(
    app_for: AppFor,
) -> None:
    client = app_for()
    form = form_of(client.get("/question", params={"q": "T1", "group": HOSTILE_GROUP}).text)
    comment = '</textarea><script>window.pwned=3</script><b onmouseover="x()">hi</b>'
    assert client.post("/decide", data=form | {"marks": "0", "comment": comment}).status_code
    page = client.get("/question", params={"q": "T1", "group": HOSTILE_GROUP}).text
    escaped = (
        "&lt;/textarea&gt;&lt;script&gt;window.pwned=3&lt;/script&gt;"
        "&lt;b onmouseover=&#34;x()&#34;&gt;hi&lt;/b&gt;"
    )
    assert f'<textarea name="comment" rows="2">{escaped}</textarea>' in page
    assert f"Comment: <q>{escaped}</q>" in page
    assert "<script>window" not in page and "<b onmouseover" not in page
    assert form_of(page)["comment"] == comment  # what the TA typed, back in the box


def test_the_question_prompt_is_shown_as_text(app_for: AppFor) -> None:
    page = app_for().get("/question", params={"q": "T1"}).text
    assert "needed? &lt;b&gt;Explain&lt;/b&gt; in one sentence." in page


def test_no_template_marks_anything_safe_or_turns_escaping_off() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        for risky in ("|safe", "| safe", "autoescape", "Markup", "|tojson"):
            assert risky not in text, f"{template.name} uses {risky}"


def test_the_page_loads_scripts_and_styles_only_from_itself(app_for: AppFor) -> None:
    client = app_for()
    for page in (client.get("/").text, client.get("/question", params={"q": "T1"}).text):
        sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
        assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
        assert re.findall(r"<script[^>]*>", page) == [
            '<script src="/static/htmx.min.js">',
            '<script src="/static/review.js" defer>',
        ]
