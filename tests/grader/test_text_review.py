"""Free-text review at class scale: a class's answers to a text question in groups with
suggested marks, decisions taken once per group (or per answer split off it), two reviewers
who never overwrite each other unseen, answers that change after a decision, the review
file's round trip, and automatic marks for an exam that opts in.

A deterministic word encoder stands in for the text model: texts with the same words point
the same way, so the tests know which answers are close."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import yaml

from grader.classroom import grade_class
from grader.cli import ExitCode, main
from grader.gradebook import DecisionConflict, Gradebook
from grader.loading import LoadedExam, load_exam
from grader.sandbox import InProcessRunner
from grader.text_model import EMBEDDING_DIM, Matcher
from grader.text_review import ReviewBoard, ReviewQuestion, build_review, decide

# these tests grade text and answers.yaml with --no-sandbox on purpose; its warning is expected
pytestmark = pytest.mark.filterwarnings("ignore:NO SANDBOX:RuntimeWarning")
FIX = Path(__file__).parent / "fixtures"

ANSWERS = {
    "s1": "Self-attention is permutation invariant.",
    "s2": "self-attention is permutation  invariant",  # the same after normalisation
    "s3": "Self-attention is not permutation invariant.",  # its negation
    "s4": "Raw integers grow without bound.",
    "s5": "Raw integers grow without bound, and self-attention is permutation invariant.",
    "s6": "",  # blank
    "s7": "<script>alert(1)</script> no idea",
}


class WordEncoder:
    """Unit sum of one fixed random vector per word: shared words mean high similarity."""

    model_id = "words@test"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            v = np.zeros(EMBEDDING_DIM)
            for word in re.findall(r"[a-z]+", text.lower()):
                v += np.random.default_rng(list(word.encode())).standard_normal(EMBEDDING_DIM)
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.array(rows, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


def _write_answers(klass: Path, student: str, text: str) -> None:
    folder = klass / student
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"student": student, "exam": "demo-exam", "answers": {"T1": text} if text else {}}
    (folder / "answers.yaml").write_text(yaml.safe_dump(doc))


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The fixture exam and a class of seven answering only T1 (worth 2: points perm, raw)."""
    shutil.copytree(FIX / "good", tmp_path / "q")
    for student, text in ANSWERS.items():
        _write_answers(tmp_path / "class", student, text)
    return tmp_path


@pytest.fixture
def graded(course: Path, runner: InProcessRunner) -> tuple[LoadedExam, Gradebook]:
    exam = load_exam(course / "q" / "exam.yaml")
    gradebook = Gradebook(course / "out" / "gradebook.sqlite")
    grade_class(exam, course / "class", gradebook, runner)
    return exam, gradebook


def _t1(exam: LoadedExam, gradebook: Gradebook, encoder: Any = None) -> ReviewQuestion:
    return build_review(exam, gradebook, encoder or WordEncoder()).question("T1")


def _group_of(q: ReviewQuestion, student: str) -> Any:
    return next(g for g in q.groups if any(a.student == student for a in g.answers))


def _decisions(gradebook: Gradebook) -> dict[str, tuple[float, Any, str]]:
    return {
        s: (o.marks, o.points, o.scope)
        for (s, qid), o in gradebook.overrides("demo-exam").items()
        if qid == "T1"
    }


def _t1_marks(gradebook: Gradebook) -> dict[str, float]:
    """Each student's T1 marks as the reports see them (decisions applied)."""
    return {a.student: a.marks for a in gradebook.answers("demo-exam") if a.question_id == "T1"}


# ---------------------------------------------------------------------- groups


def test_identical_answers_share_a_group_blank_ones_theirs_and_a_negation_never_joins(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    q = _t1(*graded)
    assert [a.student for a in _group_of(q, "s1").answers] == ["s1", "s2"]
    assert _group_of(q, "s3") is not _group_of(q, "s1")
    blank = _group_of(q, "s6")
    assert blank.kind == "blank" and blank.pending == 0  # nothing to decide on a blank
    assert sorted(a.student for g in q.groups for a in g.answers) == sorted(ANSWERS)
    assert [g.size for g in q.groups] == sorted((g.size for g in q.groups), reverse=True)


def test_embeddings_are_cached_so_a_second_review_encodes_nothing_new(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    first, second = WordEncoder(), WordEncoder()
    _t1(exam, gradebook, first)
    _t1(exam, gradebook, second)
    assert first.calls > 0 and second.calls == 0


def test_without_the_model_only_identical_answers_group_and_keyword_marks_are_suggested(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    q = build_review(exam, gradebook, None).question("T1")
    assert [a.student for a in _group_of(q, "s1").answers] == ["s1", "s2"]
    s = _group_of(q, "s5").suggested
    assert (s.source, s.confidence) == ("keywords", None)
    assert s.marks == _group_of(q, "s5").representative.provisional
    assert "no text model" in q.note


# ------------------------------------------------------------------- decisions


def test_a_group_decision_marks_every_member_and_a_split_answer_keeps_its_own(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    q = _t1(exam, gradebook)
    group = _group_of(q, "s1")
    decide(gradebook, "demo-exam", q, group.answers, points=["perm"], seen=group.seen(q.key))
    assert _decisions(gradebook) == {
        "s1": (1.0, ("perm",), "group"),
        "s2": (1.0, ("perm",), "group"),
    }

    q = _t1(exam, gradebook)
    (s2,) = [a for a in _group_of(q, "s1").answers if a.student == "s2"]
    decide(gradebook, "demo-exam", q, [s2], marks=0.5, comment="half", scope="answer")
    q = _t1(exam, gradebook)
    group = _group_of(q, "s1")
    assert [a.student for a in group.split] == ["s2"]
    decide(gradebook, "demo-exam", q, group.answers, marks=2, seen=group.seen(q.key))
    assert _decisions(gradebook) == {"s1": (2.0, None, "group"), "s2": (0.5, None, "answer")}
    totals = _t1_marks(gradebook)
    assert (totals["s1"], totals["s2"]) == (2.0, 0.5)


def test_marks_outside_the_question_or_unknown_points_are_refused(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    q = _t1(exam, gradebook)
    answers = _group_of(q, "s1").answers
    with pytest.raises(ValueError, match="from 0 to 2"):
        decide(gradebook, "demo-exam", q, answers, marks=2.5)
    with pytest.raises(ValueError, match="'nope' are not in the rubric"):
        decide(gradebook, "demo-exam", q, answers, points=["nope"])
    assert _decisions(gradebook) == {}


def test_a_decision_taken_meanwhile_by_another_reviewer_is_not_overwritten(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    other = Gradebook(gradebook.path)  # the second TA's own connection
    shown_to_ta1 = _t1(exam, gradebook)
    shown_to_ta2 = _t1(exam, other)
    g1, g2 = _group_of(shown_to_ta1, "s1"), _group_of(shown_to_ta2, "s1")
    decide(
        gradebook,
        "demo-exam",
        shown_to_ta1,
        g1.answers,
        marks=1,
        reviewer="ta1",
        seen=g1.seen("T1"),
    )
    with pytest.raises(DecisionConflict, match="another reviewer decided"):
        decide(
            other,
            "demo-exam",
            shown_to_ta2,
            g2.answers,
            marks=0,
            reviewer="ta2",
            seen=g2.seen("T1"),
        )
    assert {o.reviewer for o in gradebook.overrides("demo-exam").values()} == {"ta1"}
    # a different group decided by the second TA lands beside the first TA's decision
    g4 = _group_of(shown_to_ta2, "s4")
    decide(
        other, "demo-exam", shown_to_ta2, g4.answers, marks=1, reviewer="ta2", seen=g4.seen("T1")
    )
    rows = gradebook.rows("SELECT student, reviewer FROM overrides ORDER BY student")
    assert rows == [("s1", "ta1"), ("s2", "ta1"), ("s4", "ta2")]


def test_a_changed_answer_leaves_its_group_and_waits_while_an_unchanged_one_keeps_its_mark(
    course: Path, graded: tuple[LoadedExam, Gradebook], runner: InProcessRunner
) -> None:
    exam, gradebook = graded
    q = _t1(exam, gradebook)
    decide(gradebook, "demo-exam", q, _group_of(q, "s1").answers, marks=1.5)
    _write_answers(course / "class", "s2", "Positions must be encoded because order matters.")
    grade_class(exam, course / "class", gradebook, runner, regrade=[])  # everyone again

    q = _t1(exam, gradebook)
    s1 = next(a for a in _group_of(q, "s1").answers if a.student == "s1")
    s2 = next(a for a in _group_of(q, "s2").answers if a.student == "s2")
    assert s1.decision is not None and s1.decision.marks == 1.5
    assert s2.decision is None and s2.pending
    assert _group_of(q, "s2") is not _group_of(q, "s1")
    marks = _t1_marks(gradebook)
    assert marks["s1"] == 1.5 and marks["s2"] == s2.provisional


def test_the_tas_decisions_move_the_suggestion_for_similar_answers(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    q = _t1(exam, gradebook)
    before = _group_of(q, "s5").suggested
    # the TA gives the two halves of s5's answer nothing: its suggestion follows them down
    for student in ("s1", "s4"):
        group = _group_of(q, student)
        decide(gradebook, "demo-exam", q, group.answers, points=[], seen=group.seen(q.key))
    after = _group_of(_t1(exam, gradebook), "s5").suggested
    assert before.marks == 2.0 and before.points == ("perm", "raw")
    assert after.marks < before.marks
    assert any("graded neighbour" in r for r in after.reasons)


# ----------------------------------------------------------------- review file


def _grade(course: Path) -> int:
    """``grader grade`` of the course's class, as a TA runs it (no sandbox: text only)."""
    exam = str(course / "q" / "exam.yaml")
    out = str(course / "out")
    return main(["grade", exam, str(course / "class"), "--out", out, "--no-sandbox", "--quiet"])


def _review(course: Path, *extra: str) -> int:
    return main(["review", str(course / "q" / "exam.yaml"), "--out", str(course / "out"), *extra])


@pytest.fixture
def words(monkeypatch: pytest.MonkeyPatch) -> WordEncoder:
    encoder = WordEncoder()
    monkeypatch.setattr("grader.cli_grade._text_encoder", lambda console: encoder)
    return encoder


def _file_group(doc: dict[str, Any], student: str) -> dict[str, Any]:
    (t1,) = [q for q in doc["questions"] if q["question"] == "T1"]
    return next(g for g in t1["groups"] if any(a["student"] == student for a in g["answers"]))


def test_the_review_file_round_trip_records_groups_and_single_answers(
    course: Path,
    graded: tuple[LoadedExam, Gradebook],
    words: WordEncoder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exam, gradebook = graded
    assert _review(course) == ExitCode.OK
    path = course / "out" / "review.yaml"
    doc = yaml.safe_load(path.read_text())
    assert main(["schema", "--review", "--out", str(course / "review.schema.json")]) == 0
    jsonschema.validate(doc, json.loads((course / "review.schema.json").read_text()))
    group = _file_group(doc, "s1")
    assert group["answers"][0]["text"] == ANSWERS["s1"]  # the representative first
    assert group["suggested"]["points"] == ["perm"]
    group["points"], group["comment"] = ["perm"], "the order point is missing"
    (s3,) = [a for a in _file_group(doc, "s3")["answers"] if a["student"] == "s3"]
    s3["marks"], s3["comment"] = 0, "the opposite is true"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))

    assert _review(course, "--apply") == ExitCode.OK
    assert "recorded 3 decision(s)" in capsys.readouterr().out
    assert _decisions(gradebook) == {
        "s1": (1.0, ("perm",), "group"),
        "s2": (1.0, ("perm",), "group"),
        "s3": (0.0, None, "answer"),
    }
    feedback = (course / "out" / "feedback" / "s2.md").read_text()
    assert "the order point is missing" in feedback

    shown = yaml.safe_load(path.read_text())  # rewritten with the decisions in it
    group = _file_group(shown, "s1")
    assert (group["marks"], group["points"], group["comment"]) == (
        1.0,
        ["perm"],
        "the order point is missing",
    )
    assert _review(course, "--apply") == ExitCode.OK  # applying it again changes nothing
    assert "recorded 0 decision(s)" in capsys.readouterr().out


def test_an_answer_changed_since_the_file_was_written_is_not_decided_from_it(
    course: Path,
    graded: tuple[LoadedExam, Gradebook],
    words: WordEncoder,
    runner: InProcessRunner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exam, gradebook = graded
    _review(course)
    path = course / "out" / "review.yaml"
    doc = yaml.safe_load(path.read_text())
    _file_group(doc, "s1")["marks"] = 2
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    _write_answers(course / "class", "s2", "Something else entirely.")
    grade_class(exam, course / "class", gradebook, runner)

    assert _review(course, "--apply") == ExitCode.PROBLEMS
    err = capsys.readouterr().err
    assert "s2's answer changed since this file was written" in err
    assert _decisions(gradebook) == {"s1": (2.0, None, "group")}


def test_a_broken_review_file_names_the_line_and_field(
    course: Path,
    graded: tuple[LoadedExam, Gradebook],
    words: WordEncoder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _review(course)
    path = course / "out" / "review.yaml"
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "marks: null")
    lines[at] = lines[at].replace("marks: null", "marks: lots")
    path.write_text("\n".join(lines) + "\n")
    assert _review(course, "--apply") != ExitCode.OK
    err = capsys.readouterr().err
    assert f"review.yaml:{at + 1}" in err and "marks" in err
    assert _decisions(graded[1]) == {}


def test_without_the_model_the_review_says_so_and_still_groups_identical_answers(
    course: Path,
    graded: tuple[LoadedExam, Gradebook],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "grader.text_model._loaded",
        Matcher("keywords", "keyword rubric", reason="the text model is not installed"),
    )
    assert _review(course) == ExitCode.OK
    assert "keyword rubric only: the text model is not installed" in capsys.readouterr().err
    doc = yaml.safe_load((course / "out" / "review.yaml").read_text())
    group = _file_group(doc, "s1")
    assert [a["student"] for a in group["answers"]] == ["s1", "s2"]
    assert group["suggested"]["confidence"] is None


# ------------------------------------------------------------------ automatic


def test_an_exam_that_opts_in_gets_confident_suggestions_as_automatic_marks(
    course: Path, words: WordEncoder
) -> None:
    exam_file = course / "q" / "exam.yaml"
    exam_file.write_text(exam_file.read_text() + "text_review: {accept_above: 0.9}\n")
    _grade(course)
    gradebook = Gradebook(course / "out" / "gradebook.sqlite")
    auto = {s: o for (s, q), o in gradebook.overrides("demo-exam").items() if q == "T1"}
    assert auto and all(o.auto and o.reviewer == "auto" for o in auto.values())
    assert "s1" in auto and "s3" not in auto  # the negation is nowhere near sure
    assert "marked automatically" in (course / "out" / "feedback" / "s1.md").read_text()
    board: ReviewBoard = build_review(load_exam(exam_file), gradebook, words)
    assert board.question("T1").pending < len(ANSWERS) - 1


def test_reviewing_a_question_that_is_not_text_names_the_ones_that_are(
    graded: tuple[LoadedExam, Gradebook],
) -> None:
    exam, gradebook = graded
    with pytest.raises(
        KeyError, match=r"'N1' is not a text question of exam demo-exam \(T1, P1/why\)"
    ):
        build_review(exam, gradebook, None, only="N1")


def test_a_students_answers_are_read_again_only_when_their_file_changes(
    course: Path, graded: tuple[LoadedExam, Gradebook], monkeypatch: pytest.MonkeyPatch
) -> None:
    exam, gradebook = graded
    import grader.text_review as text_review

    reads: list[str] = []
    real = text_review.read_submission

    def counting(folder: Path, **kwargs: Any) -> Any:
        reads.append(folder.name)
        return real(folder, **kwargs)

    monkeypatch.setattr(text_review, "read_submission", counting)
    _t1(exam, gradebook)
    first = len(reads)
    _t1(exam, gradebook)
    assert len(reads) == first  # every folder came from the cache
    _write_answers(course / "class", "s4", "Raw integers grow without any bound at all.")
    q = _t1(exam, gradebook)
    assert reads[first:] == ["s4"]
    assert "s4" in q.changed  # read again: not what was graded, so it waits for a regrade


def test_a_rerun_with_nothing_to_grade_does_not_load_the_text_model(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []

    def encoder(console: Any) -> WordEncoder:
        loads.append(1)
        return WordEncoder()

    monkeypatch.setattr("grader.cli_grade._text_encoder", encoder)
    _grade(course)
    _grade(course)
    assert loads == [1]
