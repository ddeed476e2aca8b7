"""Questions out as an IMS QTI 2.1 content package (a zip an LMS or item bank imports).

The package (IMS Content Packaging 1.1, as QTI 2.1's "Integration" guide lays it out):
``imsmanifest.xml`` lists every file as a resource (``imsqti_item_xmlv2p1`` per item,
``imsqti_test_xmlv2p1`` for the test), ``assessment.xml`` is the ``assessmentTest`` (one
``assessmentSection`` per exam section, in paper order) and ``items/<id>.xml`` holds one
``assessmentItem`` per question, or per part of a multipart question (``ID-part``: QTI
identifiers may not contain ``/``).

Per question type (``SCORE`` is in marks; ``MAXSCORE`` is the question's marks):

* ``mcq``: ``choiceInteraction`` with ``maxChoices="0"`` (tick any number), the correct
  labels as ``correctResponse``. ``all_or_nothing`` is our rule exactly (``match`` against
  the correct response); ``partial`` and ``negative`` map each tick to its share of the
  marks (``questions_out.mcq_shares``), clipped at 0 by the mapping's ``lowerBound``.
* scalar ``numeric``: ``textEntryInteraction`` with a float response; the score is the
  marks when the answer lies in ``key ± (abs + rel * |key|)`` (``gte``/``lte``), which is our
  tolerance rule exactly, where ``equalRounded`` would round instead.
* ``ordering``: ``orderInteraction``, all or nothing on the ordered ``correctResponse``.
* ``text``, ``code``, ``expression`` and vector/matrix numerics: ``extendedTextInteraction``,
  scored by hand; the rubric or key goes in a ``rubricBlock`` seen by scorers only, with the
  note that our grader grades them.
* With ``variants``, a randomized question becomes an invisible ``assessmentSection`` with
  ``<selection select="1">`` over its N variants: each candidate gets one.

Math is MathML (QTI 2.1 embeds MathML 2 in ``itemBody``; there is no TeX in the standard),
from the same converter the HTML papers use. Text reaches the XML only through
ElementTree, so a prompt's ``<script>`` or ``]]>`` stays text.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from html.entities import html5

from grader.keys import ResolvedQuestion
from grader.lms import questions_out
from grader.loading import LoadedExam
from grader.schema import CodeQuestion, McqQuestion, OrderingQuestion, TextQuestion
from grader.templating import format_value

__all__ = ["QTI_NS", "CP_NS", "qti_package", "item_id"]

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("m", MATHML_NS)
_VOID = re.compile(r"<(br|hr|img)\b([^>]*?)\s*/?>")
_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_NAMED = {"amp", "lt", "gt", "quot", "apos"}
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]")
_TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"


def item_id(name: str, variant: int | None = None) -> str:
    """The QTI identifier of a question (``P1/a`` -> ``P1-a``), with ``-v<n>`` for a variant."""
    base = _NOT_ID.sub("-", name)
    return base if variant is None else f"{base}-v{variant}"


def _xml_entity(m: re.Match[str]) -> str:
    """An HTML named entity (``&nbsp;``) as its character; XML's own five stay."""
    name = m.group(1)
    if name in _XML_NAMED:
        return m.group(0)
    return html5.get(name + ";", m.group(0))


def _xhtml(parent: ET.Element, markdown: str) -> None:
    """Append ``markdown`` rendered as XHTML (math as MathML) to ``parent``."""
    html = _VOID.sub(r"<\1\2/>", questions_out.prompt_html(markdown, "mathml"))
    html = _NAMED.sub(_xml_entity, html)
    try:
        parent.extend(ET.fromstring(f"<div>{html}</div>"))
    except ET.ParseError:  # not well-formed as XML: keep the words, as text
        ET.SubElement(parent, "p").text = markdown


def _value(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "value").text = text


def _outcomes(item: ET.Element, marks: float) -> None:
    for name, default in (("SCORE", "0"), ("MAXSCORE", f"{marks:g}")):
        out = ET.SubElement(
            item, "outcomeDeclaration", identifier=name, cardinality="single", baseType="float"
        )
        _value(ET.SubElement(out, "defaultValue"), default)


def _score_if(item: ET.Element, condition: ET.Element, marks: float) -> None:
    """Response processing: SCORE is ``marks`` when ``condition`` holds, else 0."""
    rp = ET.SubElement(item, "responseProcessing")
    rc = ET.SubElement(rp, "responseCondition")
    for branch, value in (("responseIf", f"{marks:g}"), ("responseElse", "0")):
        el = ET.SubElement(rc, branch)
        if branch == "responseIf":
            el.append(condition)
        out = ET.SubElement(el, "setOutcomeValue", identifier="SCORE")
        ET.SubElement(out, "baseValue", baseType="float").text = value


def _matches_key() -> ET.Element:
    cond = ET.Element("match")
    ET.SubElement(cond, "variable", identifier="RESPONSE")
    ET.SubElement(cond, "correct", identifier="RESPONSE")
    return cond


def _in_range(low: float, high: float) -> ET.Element:
    cond = ET.Element("and")
    for op, bound in (("gte", low), ("lte", high)):
        el = ET.SubElement(cond, op)
        ET.SubElement(el, "variable", identifier="RESPONSE")
        ET.SubElement(el, "baseValue", baseType="float").text = format_value(bound)
    return cond


def _scorer_note(rq: ResolvedQuestion) -> str:
    q = rq.question
    if isinstance(q, TextQuestion):
        return "Rubric:\n" + "".join(f"\n- {p.description} ({p.marks:g})" for p in q.rubric)
    if isinstance(q, CodeQuestion):
        return f"Reference implementation: `{q.reference}`"
    return f"Answer: `{format_value(rq.key)}`"


def _declare(item: ET.Element, cardinality: str, base: str, key: list[str]) -> ET.Element:
    decl = ET.SubElement(
        item,
        "responseDeclaration",
        identifier="RESPONSE",
        cardinality=cardinality,
        baseType=base,
    )
    if key:
        correct = ET.SubElement(decl, "correctResponse")
        for value in key:
            _value(correct, value)
    return decl


def item_xml(identifier: str, title: str, rq: ResolvedQuestion) -> ET.Element:
    """One ``assessmentItem`` (see the module docstring)."""
    q = rq.question
    item = ET.Element(
        "assessmentItem",
        xmlns=QTI_NS,
        identifier=identifier,
        title=title,
        adaptive="false",
        timeDependent="false",
    )
    numeric = questions_out.scalar_key(rq)
    body = ET.Element("itemBody")
    _xhtml(body, questions_out.prompt_markdown(rq))
    condition: ET.Element | None = None
    if isinstance(q, McqQuestion):
        decl = _declare(item, "multiple", "identifier", list(rq.key))
        interaction = ET.SubElement(
            body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false"
        )
        interaction.set("maxChoices", "0")
        for option in rq.options:
            _xhtml(ET.SubElement(interaction, "simpleChoice", identifier=option.label), option.text)
        if q.scoring.policy == "all_or_nothing":
            condition = _matches_key()
        else:
            mapping = ET.SubElement(
                decl, "mapping", lowerBound="0", upperBound=f"{q.marks:g}", defaultValue="0"
            )
            for label, share in questions_out.mcq_shares(rq).items():
                ET.SubElement(mapping, "mapEntry", mapKey=label, mappedValue=f"{share * q.marks:g}")
    elif numeric is not None:
        key, tolerance = numeric
        _declare(item, "single", "float", [format_value(key)])
        line = ET.SubElement(body, "p")  # an inline interaction sits in a block
        ET.SubElement(line, "textEntryInteraction", responseIdentifier="RESPONSE")
        condition = _in_range(key - tolerance, key + tolerance)
    elif isinstance(q, OrderingQuestion):
        _declare(item, "ordered", "identifier", [item_id(s) for s in q.answer])
        interaction = ET.SubElement(
            body, "orderInteraction", responseIdentifier="RESPONSE", shuffle="true"
        )
        for label, text in sorted(q.steps.items()):
            _xhtml(ET.SubElement(interaction, "simpleChoice", identifier=item_id(label)), text)
        condition = _matches_key()
    else:
        _declare(item, "single", "string", [])
        ET.SubElement(body, "extendedTextInteraction", responseIdentifier="RESPONSE")
        rubric = ET.SubElement(body, "rubricBlock", view="scorer")
        _xhtml(rubric, _scorer_note(rq) + f"\n\n{questions_out.GRADED_HERE}")
    _outcomes(item, q.marks)
    item.append(body)
    if condition is not None:
        _score_if(item, condition, q.marks)
    elif isinstance(q, McqQuestion):
        ET.SubElement(item, "responseProcessing", template=_TEMPLATES + "map_response")
    return item


def _items(item: questions_out.ExportedQuestion) -> list[tuple[str, ResolvedQuestion]]:
    if not item.randomized:
        return [(item_id(item.name), rq) for _, rq in item.variants]
    return [(item_id(item.name, v), rq) for v, rq in item.variants]


def _tostring(root: ET.Element) -> bytes:
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def qti_package(exam: LoadedExam, variants: int | None = None) -> bytes:
    """The exam's questions as a QTI 2.1 content package (zip bytes)."""
    exported = {e.name: e for e in questions_out.exported_questions(exam, variants)}
    test = ET.Element(
        "assessmentTest", xmlns=QTI_NS, identifier=item_id(exam.exam.exam), title=exam.exam.title
    )
    part = ET.SubElement(
        test,
        "testPart",
        identifier="part",
        navigationMode="nonlinear",
        submissionMode="simultaneous",
    )
    files: dict[str, bytes] = {}
    for number, section in enumerate(exam.exam.sections, start=1):
        sec = ET.SubElement(
            part, "assessmentSection", identifier=f"S{number}", title=section.title, visible="true"
        )
        for name, entry in exported.items():
            if name.split("/")[0] not in section.questions:
                continue
            holder = sec
            if entry.randomized:
                holder = ET.SubElement(
                    sec,
                    "assessmentSection",
                    identifier=item_id(name) + "-group",
                    title=name,
                    visible="false",
                )
                ET.SubElement(holder, "selection", select="1")
            for identifier, rq in _items(entry):
                href = f"items/{identifier}.xml"
                ET.SubElement(holder, "assessmentItemRef", identifier=identifier, href=href)
                files[href] = _tostring(item_xml(identifier, name, rq))
    manifest = _manifest(exam, files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", manifest)
        zf.writestr("assessment.xml", _tostring(test))
        for href, data in files.items():
            zf.writestr(href, data)
    return buffer.getvalue()


def _manifest(exam: LoadedExam, files: dict[str, bytes]) -> bytes:
    root = ET.Element("manifest", xmlns=CP_NS, identifier=f"MANIFEST-{item_id(exam.exam.exam)}")
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, "schemaversion").text = "1.0.0"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    test = ET.SubElement(
        resources,
        "resource",
        identifier="RES-assessment",
        type="imsqti_test_xmlv2p1",
        href="assessment.xml",
    )
    ET.SubElement(test, "file", href="assessment.xml")
    for href in files:
        res_id = "RES-" + href.removeprefix("items/").removesuffix(".xml")
        ET.SubElement(test, "dependency", identifierref=res_id)
        res = ET.SubElement(
            resources, "resource", identifier=res_id, type="imsqti_item_xmlv2p1", href=href
        )
        ET.SubElement(res, "file", href=href)
    return _tostring(root)
