"""The review page as an ASGI application: the overview of an exam's text questions, one
question at a time with its answer groups, and the TA's decisions written at once.

``create_app`` returns the application; ``server.serve`` runs it on 127.0.0.1. Routes:

- ``GET /``: every text question with its progress (done / answers), the exam's progress
  and the matcher in use;
- ``GET /question?q=KEY[&group=N][&student=S]``: question ``KEY`` (``Q`` or ``Q/part``)
  with group ``N`` (default: the first with an answer pending, so a restart resumes where
  the TA stopped), or the decision for student ``S``'s answer alone (split off group
  ``N``). An htmx request gets only the group panel, with the progress bars and the group
  list swapped out of band;
- ``POST /decide``: one decision through ``text_review.decide``, checked against what the
  page showed (a decision another TA took meanwhile gives 409 and the fresh state, nothing
  written; marks out of range give 422 and the reason), then the next pending group.

Each request opens its own gradebook connection (SQLite: one per thread) and builds the
review of the one question it shows (``build_review(..., only=KEY)``), so several pages,
in one process or several, on one gradebook always show what is stored. Every template is
autoescaped: student text is shown as text. The ``Guard`` (``guard.py``) lets through only
requests with the page's token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from grader.gradebook import DecisionConflict, Gradebook
from grader.loading import LoadedExam
from grader.review_page.guard import TOKEN_HEADER, Guard
from grader.review_page.report_writer import ReportWriter, rewrite_reports
from grader.review_page.view import (
    current_group,
    group_after,
    parse_seen,
    prefill,
    seen_field,
)
from grader.text_model import LoadedModel, Matcher, TextEncoder
from grader.text_review import (
    ReviewAnswer,
    ReviewGroup,
    ReviewQuestion,
    build_review,
    decide,
    text_questions,
)

__all__ = ["create_app"]

_HERE = Path(__file__).parent
_HTMX_CONFIG = {
    "includeIndicatorStyles": False,  # no inline style: the CSP allows none
    "allowEval": False,
    "allowScriptTags": False,  # a swapped answer can never bring a script with it
    "selfRequestsOnly": True,
    "historyCacheSize": 0,  # no page (student text, the token) kept in localStorage
    "refreshOnHistoryMiss": True,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "409", "swap": True, "error": False},  # the fresh state after a conflict
        {"code": "422", "swap": True, "error": False},  # why the decision was refused
        {"code": "...", "swap": False, "error": True},
    ],
}
CONFLICT = (
    "Another TA decided this group meanwhile: their decision is shown below and nothing of "
    "yours was written. Change it if you must."
)


def _num(x: float) -> str:
    """Marks for people: 1.0 -> 1, 0.5 -> 0.5."""
    return f"{x:g}"


def _link(key: str, group: int | None = None, student: str | None = None) -> str:
    """The URL of question ``key`` (at ``group``, or ``student``'s answer split off it)."""
    query: dict[str, Any] = {"q": key}
    if group is not None:
        query["group"] = group
    if student is not None:
        query["student"] = student
    return f"/question?{urlencode(query)}"


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,  # every template, whatever its name: student text is text
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    env.globals["link"] = _link
    return Jinja2Templates(env=env)


def _matcher(text: TextEncoder | Matcher | None) -> tuple[TextEncoder | None, str]:
    """The encoder to group and suggest with (None: the keyword rubric), and the line that
    tells the TA which matcher is in use, and why when it is the keyword rubric."""
    if text is None:
        return None, "keyword rubric"
    if isinstance(text, Matcher):
        return None, text.describe()
    if isinstance(text, LoadedModel):
        return text, text.matcher.describe()
    return text, f"embedding model {text.model_id}"


class _Progress:
    """done / answers per question, refreshed by every request that builds a question (and
    by the overview, for all), so the exam's bar costs no rebuild of every question."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def update(self, questions: Iterable[ReviewQuestion]) -> None:
        with self._lock:
            self._counts.update({q.key: (q.done, q.answers) for q in questions})

    @property
    def known(self) -> bool:
        return bool(self._counts)

    def exam(self) -> tuple[int, int]:
        with self._lock:
            return sum(d for d, _ in self._counts.values()), sum(
                n for _, n in self._counts.values()
            )


@dataclass(frozen=True)
class _Site:
    """What every request needs."""

    exam: LoadedExam
    gradebook_path: Path
    encoder: TextEncoder | None
    matcher: str
    reviewer: str
    token: str


def create_app(
    exam: LoadedExam,
    gradebook_path: Path,
    *,
    token: str,
    port: int,
    text: TextEncoder | Matcher | None = None,
    reviewer: str = "ta",
    out: Path | None = None,
) -> FastAPI:
    """The review page of ``exam`` on the gradebook at ``gradebook_path``.

    ``token``: what every request must carry (see ``guard``); ``port``: the one the page is
    served on (the Host it accepts); ``text``: what ``text_model()`` gave, the text model or
    the keyword ``Matcher`` with its reason (the page's header says which); ``reviewer``: the
    name recorded with each decision; ``out``: the grading output folder, whose reports are
    rewritten in the background after decisions and once more when the app stops (None:
    never).
    """
    encoder, matcher = _matcher(text)
    site = _Site(exam, Path(gradebook_path), encoder, matcher, reviewer, token)
    writer = (
        ReportWriter(lambda: rewrite_reports(exam, site.gradebook_path, out))
        if out is not None
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if writer is not None:
            await run_in_threadpool(writer.close)  # the reports hold every decision

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.reports = writer
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.add_middleware(Guard, token=token, port=port)
    templates = _templates()
    progress = _Progress()

    @contextmanager
    def opened() -> Iterator[Gradebook]:
        gradebook = Gradebook(site.gradebook_path)
        try:
            yield gradebook
        finally:
            gradebook.close()

    def refresh_all(gradebook: Gradebook) -> list[ReviewQuestion]:
        """Every question's answers and progress (no model: counting needs no groups)."""
        questions = list(build_review(site.exam, gradebook, None).questions)
        progress.update(questions)
        return questions

    keys = [k for k, _ in text_questions(exam)]

    def one_question(gradebook: Gradebook, key: str, *, grouped: bool = True) -> ReviewQuestion:
        """Question ``key`` as stored now; ``grouped=False`` when only its answers and their
        decisions matter (no model: no embeddings, no suggestions, faster)."""
        if key not in keys:
            raise KeyError(
                f"{key!r} is not a text question of exam {exam.exam.exam} "
                f"(they are: {', '.join(keys) or 'none'})"
            )
        if not progress.known:
            refresh_all(gradebook)
        encoder = site.encoder if grouped else None
        question = build_review(site.exam, gradebook, encoder, only=key).questions[0]
        progress.update([question])
        return question

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        done, answers = progress.exam()
        return templates.TemplateResponse(
            request,
            name,
            {
                "exam": site.exam.exam,
                "matcher": site.matcher,
                "exam_done": done,
                "exam_answers": answers,
                "hx_headers": json.dumps({TOKEN_HEADER: site.token}),
                "htmx_config": json.dumps(_HTMX_CONFIG),
                "question": None,
                **context,
            },
            status_code=status,
        )

    def panel(
        request: Request,
        question: ReviewQuestion,
        group: ReviewGroup | None,
        student: str | None = None,
        *,
        message: str = "",
        kind: str = "saved",
        status: int = 200,
    ) -> Response:
        """The question page, or for htmx only its group panel (bars and list out of band)."""
        split: ReviewAnswer | None = None
        if group is not None and student is not None:
            split = next((a for a in group.answers if a.student == student), None)
        shown = () if group is None else ((split,) if split else group.answers)
        fill = None if group is None else prefill(group, split)
        name = "fragment.html" if request.headers.get("HX-Request") == "true" else "question.html"
        return page(
            request,
            name,
            status,
            question=question,
            rubric=question.question.rubric,
            group=group,
            split=split,
            fill=fill,
            scope="answer" if split else "group",
            seen=seen_field(tuple(a for a in shown if a is not None)),
            message=message,
            kind=kind,
        )

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        with opened() as gradebook:
            questions = refresh_all(gradebook)
        return page(request, "overview.html", questions=questions)

    @app.get("/question", response_class=HTMLResponse)
    def question_page(
        request: Request,
        q: Annotated[str, Query()],
        group: Annotated[int | None, Query()] = None,
        student: Annotated[str | None, Query()] = None,
    ) -> Response:
        with opened() as gradebook:
            try:
                question = one_question(gradebook, q)
            except KeyError as exc:
                return PlainTextResponse(f"404 {exc.args[0]}", status_code=404)
        return panel(request, question, current_group(question, group), student)

    @app.post("/decide", response_class=HTMLResponse)
    def decide_page(
        request: Request,
        q: Annotated[str, Form()],
        group: Annotated[int, Form()],
        seen: Annotated[str, Form()],
        scope: Annotated[Literal["group", "answer"], Form()] = "group",
        marks: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        points: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        student: str | None = None
        with opened() as gradebook:
            try:
                question = one_question(gradebook, q, grouped=False)
            except KeyError as exc:
                return PlainTextResponse(f"404 {exc.args[0]}", status_code=404)
            try:
                shown = parse_seen(q, seen)
                if scope == "answer":
                    if len(shown) != 1:
                        raise ValueError("an answer split off its group is decided alone")
                    student = next(iter(shown))[0]
                answers = _answers_shown(question, [s for s, _ in shown])
                written = decide(
                    gradebook,
                    site.exam.exam.exam,
                    question,
                    answers,
                    marks=_marks(marks),
                    points=points or None,
                    comment=comment.strip(),
                    reviewer=site.reviewer,
                    scope=scope,
                    seen=shown,
                )
            except DecisionConflict:
                fresh = one_question(gradebook, q)
                return panel(
                    request,
                    fresh,
                    current_group(fresh, group),
                    student,
                    message=CONFLICT,
                    kind="conflict",
                    status=409,
                )
            except ValueError as exc:
                return templates.TemplateResponse(
                    request,
                    "_error.html",
                    {"error": str(exc)},
                    status_code=422,
                    headers={"HX-Retarget": "#form-error", "HX-Reswap": "innerHTML"},
                )
            if writer is not None:
                writer.request()
            fresh = one_question(gradebook, q)
        decided = fresh.group(group) if any(g.group == group for g in fresh.groups) else None
        after = decided if scope == "answer" and decided and decided.pending else None
        whom = f"{student}'s answer" if student else f"group {group} ({len(written)} answer(s))"
        marks_given = _num(written[0].marks) if written else "no"
        return panel(
            request,
            fresh,
            after or group_after(fresh, group),
            message=f"Recorded {marks_given} marks for {whom}.",
        )

    return app


def _answers_shown(question: ReviewQuestion, students: list[str]) -> list[ReviewAnswer]:
    """The answers of ``students`` as stored now; one that left the question (its answer
    changed since it was graded) is a conflict: the TA must see the fresh state."""
    by_student = {a.student: a for g in question.groups for a in g.answers}
    gone = [s for s in students if s not in by_student]
    if gone:
        raise DecisionConflict([(s, question.key) for s in gone])
    return [by_student[s] for s in students]


def _marks(text: str) -> float | None:
    """The marks field: empty means "from the ticked points"."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"marks must be a number such as 1.5, got {text!r}") from None
