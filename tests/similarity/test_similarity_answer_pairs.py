from collections.abc import Collection

from grader.similarity import analyse
from grader.similarity.answer_pairs import answer_matches, value_key
from grader.similarity.model import AnswerKind, StudentWork

KINDS: dict[str, AnswerKind] = {"N1": "numeric", "M1": "mcq", "T1": "text"}


def student(name: str, variant: int, correct: Collection[str] = (), **answers: str) -> StudentWork:
    return StudentWork(name, variant, answers, {}, frozenset(correct))


def test_an_answer_right_for_another_variant_but_wrong_for_ones_own_is_flagged() -> None:
    works = [
        student("keeper", 1, {"N1"}, N1="7.25"),
        student("copier", 2, set(), N1="7.25"),
        *(student(f"s{i}", 2, {"N1"}, N1="3.5") for i in range(20)),
    ]
    report = analyse("e", works, KINDS, {})
    (pair,) = report.pairs
    assert (pair.a, pair.b) == ("copier", "keeper")
    (match,) = pair.answers
    assert match.reason == "other variant's key"
    assert "correct for keeper's variant" in match.note


def test_identical_wrong_answers_across_variants_are_caught_when_rare() -> None:
    wrong = {f"N{i}": "numeric" for i in range(4)}
    kinds: dict[str, AnswerKind] = {**wrong}
    a = student("a", 1, set(), **{q: f"{i}.123" for i, q in enumerate(wrong)})
    b = student("b", 2, set(), **{q: f"{i}.123" for i, q in enumerate(wrong)})
    rest = [student(f"s{j}", j, set(wrong), **{q: "1" for q in wrong}) for j in range(30)]
    report = analyse("e", [a, b, *rest], kinds, {})
    assert [(p.a, p.b) for p in report.pairs] == [("a", "b")]
    assert {m.reason for m in report.pairs[0].answers} == {"rare wrong answer"}


def test_a_common_wrong_answer_is_not_evidence() -> None:
    works = [student(f"s{i}", i, set(), N1="42") for i in range(30)]
    assert analyse("e", works, KINDS, {}).pairs == ()


def test_identical_correct_answers_are_expected() -> None:
    works = [student(f"s{i}", 0, {"N1", "M1"}, N1="1.5", M1="A, C") for i in range(3)]
    assert answer_matches(works, KINDS) == {}


def test_near_identical_text_is_flagged_and_different_wording_is_not() -> None:
    text = "The residual connection keeps gradients flowing through deep stacks of layers."
    works = [
        student("a", 0, T1=text),
        student("b", 0, T1=text.replace("keeps", "lets").lower()),
        student(
            "c", 0, T1="Layer norm normalizes each token's features; skip paths help training."
        ),
    ]
    found = answer_matches(works, KINDS)
    assert list(found) == [("a", "b")]
    assert found[("a", "b")][0].reason == "near-identical text"


def test_mcq_choices_compare_as_a_set() -> None:
    assert value_key("mcq", "A, D") == value_key("mcq", "d,a") == value_key("mcq", "['D', 'A']")
