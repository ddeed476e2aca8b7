"""Questions out as Moodle XML (Question bank > Import > "Moodle XML format").

The rules relied on, from Moodle's documentation of the format (docs.moodle.org, "Moodle XML
format"):

* One ``<quiz>`` of ``<question type="...">`` elements; a ``<question type="category">``
  puts the questions after it into that category (``$course$/top/...``, created on import).
* Text goes in ``<text>`` with ``format="html"``; ElementTree escapes it (no CDATA, so a
  ``]]>`` in a prompt cannot end anything). Math stays TeX between ``\\(...\\)`` and
  ``\\[...\\]``, which Moodle's MathJax filter (on by default) typesets.
* ``multichoice`` with ``<single>false</single>``: each ``<answer fraction="...">`` is a
  percentage of the marks, correct ones adding to 100, wrong ones negative; Moodle adds the
  ticked ones and clips at 0. The shares come from ``questions_out.mcq_shares``.
* ``numerical``: one ``<answer fraction="100">`` with ``<tolerance>``, an absolute error
  ("nominal" tolerance), so our ``abs + rel * |key|`` is written as one number.
* ``ordering`` is not core Moodle: it needs the ordering question type plugin
  (``qtype_ordering``) on the site. Answers are listed in the correct order; grading type
  ``ALL_OR_NOTHING``, or ``ABSOLUTE_POSITION`` (credit per step in place) for a ``partial``
  question.
* ``essay`` for what Moodle cannot grade: ``text`` (the rubric in ``<graderinfo>``, the
  information for graders), and ``code``, ``expression`` and vector/matrix ``numeric``
  answers with the key in ``<graderinfo>`` and the note that our grader grades them.
* A random group: with ``variants`` a randomized question gets its own category
  ``$course$/top/<exam>/<question>`` holding its N variants; a quiz's "Add a random
  question" from that category gives each student one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.keys import ResolvedQuestion
from grader.lms.questions_out import (
    GRADED_HERE,
    ExportedQuestion,
    exported_questions,
    mcq_shares,
    prompt_html,
    prompt_markdown,
    scalar_key,
)
from grader.loading import LoadedExam
from grader.render import variant_code
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    OrderingQuestion,
    TextQuestion,
)
from grader.templating import format_value

__all__ = ["moodle_xml", "percent"]


def percent(share: float) -> str:
    """A share of the marks as Moodle's fraction: a percentage to 5 decimals (``33.33333``)."""
    return f"{share * 100:.5f}".rstrip("0").rstrip(".")


def _text(parent: ET.Element, tag: str, text: str, html: bool = True) -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(el, "text").text = text
    return el


def _category(quiz: ET.Element, path: str) -> None:
    q = ET.SubElement(quiz, "question", {"type": "category"})
    _text(q, "category", f"$course$/top/{path}", html=False)


def _essay_info(rq: ResolvedQuestion) -> str:
    """What a grader needs for an essay: the rubric or the key, and who grades it."""
    q = rq.question
    if isinstance(q, TextQuestion):
        points = "".join(f"\n- {p.description} ({p.marks:g})" for p in q.rubric)
        return "Rubric:" + points + f"\n\n{GRADED_HERE}"
    if isinstance(q, ExpressionQuestion):
        return f"Answer: `{q.answer}`\n\n{GRADED_HERE}"
    if isinstance(q, OrderingQuestion):
        return "Order: " + ", ".join(q.answer) + f"\n\n{GRADED_HERE}"
    if isinstance(q, CodeQuestion):
        return f"Reference implementation: `{q.reference}`\n\n{GRADED_HERE}"
    return f"Answer: {format_value(rq.key)}\n\n{GRADED_HERE}"


def _question(quiz: ET.Element, name: str, rq: ResolvedQuestion, ordering: bool) -> None:
    q = rq.question
    body = prompt_markdown(rq)
    if isinstance(q, OrderingQuestion) and not ordering:
        body += "\n\n" + "\n".join(f"- `{k}`: {v}" for k, v in sorted(q.steps.items()))
    numeric = scalar_key(rq)
    if isinstance(q, McqQuestion):
        kind = "multichoice"
    elif numeric is not None:
        kind = "numerical"
    elif isinstance(q, OrderingQuestion) and ordering:
        kind = "ordering"
    else:
        kind = "essay"
    el = ET.SubElement(quiz, "question", {"type": kind})
    _text(el, "name", name, html=False)
    _text(el, "questiontext", prompt_html(body, "tex"))
    _text(el, "generalfeedback", prompt_html(rq.solution, "tex"))
    ET.SubElement(el, "defaultgrade").text = f"{q.marks:g}"
    ET.SubElement(el, "penalty").text = "0"
    ET.SubElement(el, "hidden").text = "0"
    if kind == "multichoice":
        ET.SubElement(el, "single").text = "false"
        ET.SubElement(el, "shuffleanswers").text = "false"
        ET.SubElement(el, "answernumbering").text = "ABCD"
        shares = mcq_shares(rq)
        for option in rq.options:
            answer = _text(el, "answer", prompt_html(option.text, "tex"))
            answer.set("fraction", percent(shares[option.label]))
            _text(answer, "feedback", prompt_html(option.explanation, "tex"))
    elif kind == "numerical" and numeric is not None:
        answer = ET.SubElement(el, "answer", {"fraction": "100"})
        ET.SubElement(answer, "text").text = format_value(numeric[0])
        ET.SubElement(answer, "tolerance").text = format_value(numeric[1])
    elif kind == "ordering" and isinstance(q, OrderingQuestion):
        ET.SubElement(el, "layouttype").text = "VERTICAL"
        ET.SubElement(el, "selecttype").text = "ALL"
        ET.SubElement(el, "selectcount").text = "0"
        grading = "ABSOLUTE_POSITION" if q.partial else "ALL_OR_NOTHING"
        ET.SubElement(el, "gradingtype").text = grading
        for position, label in enumerate(q.answer, start=1):
            answer = _text(el, "answer", prompt_html(q.steps[label], "tex"))
            answer.set("fraction", str(position))
    else:
        stub = q.stub if isinstance(q, CodeQuestion) else None
        ET.SubElement(el, "responseformat").text = "editor" if stub is None else "monospaced"
        ET.SubElement(el, "responserequired").text = "1"
        ET.SubElement(el, "responsefieldlines").text = "10" if stub is None else "20"
        ET.SubElement(el, "attachments").text = "0"
        _text(el, "graderinfo", prompt_html(_essay_info(rq), "tex"))
        template = _text(el, "responsetemplate", stub or "")
        template.set("format", "html" if stub is None else "plain")


def _names(item: ExportedQuestion, exam_id: str) -> list[tuple[str, ResolvedQuestion]]:
    if not item.randomized:
        return [(item.name, rq) for _, rq in item.variants]
    return [(f"{item.name} ({variant_code(exam_id, v)})", rq) for v, rq in item.variants]


def moodle_xml(exam: LoadedExam, variants: int | None = None, ordering: bool = True) -> str:
    """The exam's questions as a Moodle XML question file (see the module docstring).

    ``ordering=False`` writes ordering questions as essays, for a site without the
    ``qtype_ordering`` plugin.
    """
    exam_id = exam.exam.exam
    quiz = ET.Element("quiz")
    _category(quiz, exam_id)
    in_top = True
    for item in exported_questions(exam, variants):
        if item.randomized:
            _category(quiz, f"{exam_id}/{item.name.replace('/', '-')}")
        elif not in_top:
            _category(quiz, exam_id)
        in_top = not item.randomized
        for name, rq in _names(item, exam_id):
            _question(quiz, name, rq, ordering)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"
