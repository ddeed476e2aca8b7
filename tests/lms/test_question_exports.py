"""Questions out: Moodle XML read back by a small reader and compared key by key with what
``grader.keys.resolve`` computes, and the QTI 2.1 package's items, test and manifest; random
groups for ``--variants``; hostile prompt text; the `grader export` verb end to end."""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from grader.cli import main
from grader.errors import GraderError
from grader.keys import ResolvedQuestion, resolve
from grader.lms.moodle_xml import moodle_xml, percent
from grader.lms.qti import CP_NS, QTI_NS, item_id, qti_package
from grader.lms.questions_out import mcq_shares
from grader.loading import LoadedExam, load_exam
from grader.schema import (
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
)
from grader.schema.questions import Scoring

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "grader" / "fixtures" / "good" / "exam.yaml"
QUIZ = ROOT / "questions" / "quiz-2025" / "exam.yaml"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
"""A QTI identifier (an XML NCName, no ``/``)."""
HOSTILE = "<script>alert(1)</script> ]]> & <b>bold</b>"
EXPECTED_TYPE = {
    "mcq": "multichoice",
    "numeric": "numerical",
    "ordering": "ordering",
    "text": "essay",
    "code": "essay",
    "expression": "essay",
}


@pytest.fixture(scope="module", params=[FIXTURE, QUIZ], ids=["fixture", "quiz-2025"])
def exam(request: pytest.FixtureRequest) -> LoadedExam:
    path: Path = request.param
    return load_exam(path, path.parent.parent)


def _paper(exam: LoadedExam, variant: int = 0) -> dict[str, ResolvedQuestion]:
    """Every question and part in ``variant``, by exported name, resolved by grader.keys."""
    out: dict[str, ResolvedQuestion] = {}
    for section in exam.exam.sections:
        for qid in section.questions:
            rq = resolve(exam.questions[qid], variant)
            if isinstance(rq.question, MultipartQuestion):
                out.update({f"{qid}/{p}": part for p, part in rq.parts.items()})
            else:
                out[qid] = rq
    return out


# --------------------------------------------------------------- a Moodle XML reader


@dataclass
class MoodleQuestion:
    """What an importing Moodle would take from one ``<question>``."""

    category: str
    name: str
    kind: str
    text: str
    fractions: list[float]
    numeric: tuple[float, float] | None


def read_moodle(text: str) -> list[MoodleQuestion]:
    """Our Moodle XML, read back as Moodle's importer does: categories apply to what follows."""
    quiz = ET.fromstring(text)
    assert quiz.tag == "quiz"
    category, out = "", []
    for q in quiz.findall("question"):
        kind = q.get("type", "")
        if kind == "category":
            category = q.findtext("category/text", "")
            continue
        answers = q.findall("answer")
        numeric = None
        if kind == "numerical":
            (answer,) = answers
            numeric = (float(answer.findtext("text", "")), float(answer.findtext("tolerance", "")))
        out.append(
            MoodleQuestion(
                category,
                q.findtext("name/text", ""),
                kind,
                q.findtext("questiontext/text", ""),
                [float(a.get("fraction", "nan")) for a in answers],
                numeric,
            )
        )
    return out


def _assert_key(mq: MoodleQuestion, rq: ResolvedQuestion) -> None:
    """Every key the Moodle question holds is the one grader.keys computed."""
    q = rq.question
    assert mq.kind == EXPECTED_TYPE[q.type] or (q.type == "numeric" and mq.kind == "essay")
    if isinstance(q, McqQuestion):
        correct = [o.label for o, f in zip(rq.options, mq.fractions, strict=True) if f > 0]
        assert correct == rq.key
        assert sum(f for f in mq.fractions if f > 0) == pytest.approx(100, abs=1e-3)
    if isinstance(q, NumericQuestion) and mq.kind == "numerical":
        assert mq.numeric is not None
        key = float(rq.key)
        assert mq.numeric == pytest.approx((key, q.tolerance.abs + q.tolerance.rel * abs(key)))
    if isinstance(q, OrderingQuestion):
        assert mq.fractions == list(range(1, len(q.answer) + 1))


def test_moodle_xml_round_trips_every_key(exam: LoadedExam) -> None:
    paper = _paper(exam)
    read = read_moodle(moodle_xml(exam))
    assert [mq.name for mq in read] == list(paper)
    assert {mq.category for mq in read} == {f"$course$/top/{exam.exam.exam}"}
    for mq in read:
        _assert_key(mq, paper[mq.name])


def test_the_reader_catches_a_wrong_key() -> None:
    exam = load_exam(FIXTURE, FIXTURE.parent.parent)
    paper = _paper(exam)
    text = moodle_xml(exam).replace('fraction="-100"', 'fraction="50"', 1)
    (m1,) = [mq for mq in read_moodle(text) if mq.name == "M1"]
    with pytest.raises(AssertionError):
        _assert_key(m1, paper["M1"])
    text = moodle_xml(exam).replace("<tolerance>0.001", "<tolerance>0.01", 1)
    (n1,) = [mq for mq in read_moodle(text) if mq.name == "N1"]
    with pytest.raises(AssertionError):
        _assert_key(n1, paper["N1"])


def test_moodle_mcq_fractions_follow_the_scoring_policy() -> None:
    exam = load_exam(FIXTURE, FIXTURE.parent.parent)
    (m1,) = [mq for mq in read_moodle(moodle_xml(exam)) if mq.name == "M1"]
    # all_or_nothing, 2 of 3 correct: each correct half, a wrong tick cancels everything
    assert m1.fractions == [50, -100, 50]
    question = exam.questions["M1"]
    for scoring, wrong in ((Scoring(policy="partial"), -50), (Scoring(policy="negative"), -50)):
        rq = resolve(question.model_copy(update={"scoring": scoring}))
        assert [percent(s) for s in mcq_shares(rq).values()] == ["50", str(wrong), "50"]
    thirds = Scoring(policy="negative", penalty=1 / 3)
    rq = resolve(question.model_copy(update={"scoring": thirds}))
    assert percent(mcq_shares(rq)["B"]) == "-33.33333"


def test_an_mcq_variant_without_a_correct_option_is_refused_with_the_fix() -> None:
    exam = load_exam(FIXTURE, FIXTURE.parent.parent)
    rq = resolve(exam.questions["M1"])
    wrong = tuple(replace(o, correct=False) for o in rq.options)
    with pytest.raises(GraderError, match="no option is correct.*reference calls"):
        mcq_shares(replace(rq, options=wrong))


def test_moodle_variants_go_out_as_a_category_per_randomized_question(exam: LoadedExam) -> None:
    read = read_moodle(moodle_xml(exam, variants=3))
    randomized = [mq for mq in read if mq.category != f"$course$/top/{exam.exam.exam}"]
    assert randomized, "each seed exam has a randomized question"
    by_category: dict[str, list[MoodleQuestion]] = {}
    for mq in randomized:
        by_category.setdefault(mq.category, []).append(mq)
    papers = [_paper(exam, v) for v in (1, 2, 3)]
    for category, group in by_category.items():
        names = {n.replace("/", "-"): n for n in papers[0]}
        name = names[category.rsplit("/", 1)[1]]
        assert len(group) == 3
        for mq, paper in zip(group, papers, strict=True):
            _assert_key(mq, paper[name])


def test_moodle_essays_carry_the_rubric_and_who_grades_them() -> None:
    exam = load_exam(FIXTURE, FIXTURE.parent.parent)
    quiz = ET.fromstring(moodle_xml(exam))
    info = {
        q.findtext("name/text"): q.findtext("graderinfo/text", "")
        for q in quiz.findall("question[@type='essay']")
    }
    assert "Self-attention is permutation invariant." in info["T1"]
    assert "2*n*r" in info["E1"]
    assert all("not by the LMS" in text for text in info.values())
    assert "\\(1/\\sqrt{d_k}\\)" in moodle_xml(exam)


def _hostile_exam(tmp_path: Path) -> LoadedExam:
    folder = tmp_path / "good"
    shutil.copytree(FIXTURE.parent, folder)
    bank = folder / "bank.yaml"
    text = bank.read_text().replace(
        "prompt: Which statements about attention are correct?",
        f"prompt: {HOSTILE!r}".replace("'", '"'),
    )
    bank.write_text(text)
    return load_exam(folder / "exam.yaml", tmp_path)


def test_hostile_prompt_text_stays_escaped(tmp_path: Path) -> None:
    exam = _hostile_exam(tmp_path)
    text = moodle_xml(exam)
    assert "<script>" not in text and "]]>" not in text
    (m1,) = [mq for mq in read_moodle(text) if mq.name == "M1"]
    assert "&lt;script&gt;" in m1.text  # shown as text by Moodle, never run
    package = zipfile.ZipFile(io.BytesIO(qti_package(exam)))
    item = package.read("items/M1.xml").decode()
    assert "<script>" not in item and "]]>" not in item
    body = ET.fromstring(item).find(f"{{{QTI_NS}}}itemBody")
    assert body is not None and "<script>alert(1)</script>" in "".join(body.itertext())


# ------------------------------------------------------------------------------ QTI


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def test_qti_items_declare_the_keys(exam: LoadedExam) -> None:
    package = zipfile.ZipFile(io.BytesIO(qti_package(exam)))
    paper = _paper(exam)
    for name, rq in paper.items():
        item = ET.fromstring(package.read(f"items/{item_id(name)}.xml"))
        assert item.tag == _q("assessmentItem")
        decl = item.find(_q("responseDeclaration"))
        assert decl is not None
        values = [v.text for v in decl.iterfind(f"{_q('correctResponse')}/{_q('value')}")]
        assert IDENTIFIER.fullmatch(item.get("identifier", ""))
        body = item.find(_q("itemBody"))
        assert body is not None and "$" not in "".join(body.itertext())  # math became MathML
        q = rq.question
        if isinstance(q, McqQuestion):
            assert values == rq.key
            interaction = item.find(f"{_q('itemBody')}/{_q('choiceInteraction')}")
            assert interaction is not None and interaction.get("maxChoices") == "0"
        elif isinstance(q, NumericQuestion) and not isinstance(rq.key, list):
            assert [float(v or "nan") for v in values] == [pytest.approx(float(rq.key))]
            bounds = [float(b.text or "nan") for b in item.iter(_q("baseValue"))][:2]
            tol = q.tolerance.abs + q.tolerance.rel * abs(float(rq.key))
            assert bounds == pytest.approx([float(rq.key) - tol, float(rq.key) + tol])
        elif isinstance(q, OrderingQuestion):
            assert values == q.answer
        else:
            assert values == []
            assert item.find(f"{_q('itemBody')}/{_q('rubricBlock')}") is not None


def test_qti_manifest_lists_every_item_and_the_test(exam: LoadedExam) -> None:
    package = zipfile.ZipFile(io.BytesIO(qti_package(exam, variants=3)))
    manifest = ET.fromstring(package.read("imsmanifest.xml"))
    hrefs = {r.get("href") for r in manifest.iter(f"{{{CP_NS}}}resource")}
    assert hrefs == set(package.namelist()) - {"imsmanifest.xml"}
    test = ET.fromstring(package.read("assessment.xml"))
    refs = {r.get("href") for r in test.iter(_q("assessmentItemRef"))}
    assert refs == hrefs - {"assessment.xml"}
    groups = [s for s in test.iter(_q("assessmentSection")) if s.get("visible") == "false"]
    assert groups
    for group in groups:
        selection = group.find(_q("selection"))
        assert selection is not None and selection.get("select") == "1"
        assert len(group.findall(_q("assessmentItemRef"))) == 3


def test_export_verb_writes_moodle_xml_and_qti(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moodle, qti = tmp_path / "q.xml", tmp_path / "q.zip"
    args = [str(FIXTURE), "--questions", str(FIXTURE.parent.parent), "--variants", "3"]
    assert main(["export", *args, "--to", "moodle-xml", "--out", str(moodle)]) == 0
    assert main(["export", *args, "--to", "qti", "--out", str(qti)]) == 0
    assert "wrote" in capsys.readouterr().out
    n1 = [mq for mq in read_moodle(moodle.read_text()) if mq.name.startswith("N1")]
    assert len(n1) == 3
    assert "items/N1-v3.xml" in zipfile.ZipFile(qti).namelist()


def test_export_verb_refuses_zero_variants(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(
            [
                "export",
                str(FIXTURE),
                "--to",
                "qti",
                "--out",
                str(tmp_path / "q.zip"),
                "--variants",
                "0",
            ]
        )


def test_a_course_of_its_own_exports_keys_from_its_own_references(tmp_path: Path) -> None:
    from grader.cli_course import write_course

    write_course(tmp_path / "course", exam="hw1")
    exam_file = tmp_path / "course" / "questions" / "hw1" / "exam.yaml"
    out = tmp_path / "hw1.xml"
    assert main(["export", str(exam_file), "--to", "moodle-xml", "--out", str(out)]) == 0
    exam = load_exam(exam_file)
    numeric = [q for q in exam.questions.values() if isinstance(q, NumericQuestion)]
    assert numeric  # keyed by the course's refs/ module, not by reference_impls
    root = ET.fromstring(out.read_text())
    answers = [q for q in root.iter("question") if q.get("type") == "numerical"]
    assert len(answers) == len(numeric)
