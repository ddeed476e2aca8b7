"""Per-student variants: deterministic, distinct, keyed by a secret; variant 0 is the paper."""

from __future__ import annotations

from pathlib import Path

from grader.keys import resolve
from grader.loading import load_exam
from grader.variants import draw_params, read_secret, variant_seed

EXAM = Path(__file__).parent / "fixtures" / "good" / "exam.yaml"


def test_without_a_secret_everyone_gets_the_printed_paper() -> None:
    assert variant_seed(None, "midsem-2025", "alice") == 0
    assert variant_seed(None, "midsem-2025", "bob") == 0


def test_same_student_always_gets_the_same_variant() -> None:
    assert variant_seed(b"s3cret", "midsem-2025", "alice") == variant_seed(
        b"s3cret", "midsem-2025", "alice"
    )


def test_two_students_get_different_variants() -> None:
    seeds = {variant_seed(b"s3cret", "midsem-2025", f"s{i}") for i in range(200)}
    assert len(seeds) == 200 and 0 not in seeds


def test_variant_depends_on_the_secret_and_the_exam() -> None:
    a = variant_seed(b"one", "midsem-2025", "alice")
    assert a != variant_seed(b"two", "midsem-2025", "alice")
    assert a != variant_seed(b"one", "quiz-2025", "alice")


def test_secret_is_read_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GRADER_SECRET", "abc")
    assert read_secret() == b"abc"
    monkeypatch.delenv("GRADER_SECRET")
    assert read_secret() is None


def test_variant_zero_uses_defaults_and_fills_the_prompt() -> None:
    q = load_exam(EXAM).questions["N1"]
    assert draw_params(q.params, 0, "N1") == {"gamma": 0.95}
    assert "gamma = 0.95." in resolve(q, 0).prompt


def test_random_variants_draw_within_the_declared_range() -> None:
    q = load_exam(EXAM).questions["N1"]
    values = {draw_params(q.params, v, "N1")["gamma"] for v in range(1, 60)}
    assert len(values) > 5
    assert all(0.8 <= g <= 0.99 and round(g, 2) == g for g in values)


def test_shuffled_mcq_tracks_the_correct_options() -> None:
    exam = load_exam(EXAM)
    q = exam.questions["M1"].model_copy(update={"shuffle": True})
    texts_correct = {o.text for o in q.options if o.correct is True}
    orders = set()
    for v in range(1, 30):
        rq = resolve(q, v)
        orders.add(tuple(o.text for o in rq.options))
        assert {o.text for o in rq.options if o.label in rq.key} == texts_correct
    assert len(orders) > 1


def test_constraints_redraw_parameters_until_they_hold() -> None:
    from grader.schema.params import RefCall

    q = load_exam(EXAM).questions["N1"]
    keep_low = RefCall(
        ref="exam_tasks.constraints:in_range", args={"value": "$gamma", "low": 0.8, "high": 0.86}
    )
    constrained = q.model_copy(update={"constraints": [keep_low]})
    drawn = [resolve(constrained, v).params["gamma"] for v in range(1, 40)]
    assert all(0.8 <= g <= 0.86 for g in drawn)
    assert resolve(constrained, 7).params == resolve(constrained, 7).params  # still deterministic


def test_paper_defaults_that_break_a_constraint_are_an_authoring_error() -> None:
    import pytest

    from grader.schema.params import RefCall

    q = load_exam(EXAM).questions["N1"]
    impossible = RefCall(
        ref="exam_tasks.constraints:in_range", args={"value": "$gamma", "low": 0.0, "high": 0.5}
    )
    with pytest.raises(ValueError, match="printed paper's defaults break its constraints"):
        resolve(q.model_copy(update={"constraints": [impossible]}), 0)
