"""`grader validate`: every checker's configuration checked as grading would use it; with
`--deep`, keys computed, cases generated, weak hidden cases caught by mutants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import checks
from grader.cli import ExitCode, main
from grader.deep_validation import deep_validate
from grader.grading import GradingOptions, _check_simple
from grader.keys import ResolvedQuestion, resolve
from grader.loading import load_bank
from grader.results import CheckResult
from grader.schema import CodeQuestion, MultipartQuestion, Question
from grader.text_model import Matcher
from grader.validation import checker_problems, checker_problems_in, matcher_warnings

FIX = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_a_mutant_that_passes_every_hidden_case_fails_validation_by_name(tmp_path: Path) -> None:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    # The reference itself as a "mutant": no hidden case can tell them apart.
    bank.write_text(
        bank.read_text().replace(
            '{fn: "preferences:bradley_terry_prob",',
            '{fn: "preferences:ranking_log_likelihood",',
        )
    )
    report = deep_validate([q])
    assert report.problems == [
        f"{bank}: C1: mutant 'preferences:ranking_log_likelihood' passes every hidden case; "
        "add hidden cases that catch it"
    ]


def test_a_variant_whose_key_cannot_be_computed_is_reported_with_its_number(tmp_path: Path) -> None:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    bank.write_text(
        bank.read_text().replace(
            "rewards: {normal: {shape: [N, K]}}", "rewards: {normal: {shape: [N, Q]}}"
        )
    )
    report = deep_validate([q], variants=2)
    assert any(
        "C1 variant 0: computing the key failed" in p and "dimension 'Q' is not defined" in p
        for p in report.problems
    )


def test_both_seed_exams_pass_the_deep_checks_with_random_variants(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(ROOT / "questions"), "--variants", "2"]) == 0
    assert "(cases, keys and mutants checked)" in capsys.readouterr().out


# ------------------------------------------------- every checker's own configuration check


def _bank_with(tmp_path: Path, old: str, new: str) -> Path:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    text = bank.read_text()
    assert old in text
    bank.write_text(text.replace(old, new))
    return bank


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


KEYWORDS_ONLY = Matcher("keywords", "keyword rubric", reason="the text model is not installed")


def test_a_rubric_point_without_keywords_passes_validate_with_a_warning_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grader.text_model._loaded", KEYWORDS_ONLY)
    bank = _bank_with(tmp_path, "        keywords: [[large], [unbounded]]\n", "")
    assert main(["validate", str(bank.parent)]) == ExitCode.OK
    err = capsys.readouterr().err
    line = _line_of(bank, "- id: raw")
    assert (
        f"warning: {bank}:{line}:9: questions[4].rubric[1]: question 'T1': rubric point 'raw' "
        "has no keywords, so only the text model or a TA can find it, and the model is not "
        "active (the text model is not installed); install the `text` extra (`make setup`) or "
        "add keywords"
    ) in err


def test_a_keyword_less_rubric_point_of_a_part_is_located_in_the_part(tmp_path: Path) -> None:
    bank = _bank_with(tmp_path, ", keywords: [[saturat]]}", "}")
    loaded = load_bank(bank)
    assert checker_problems(loaded) == []
    (warning,) = matcher_warnings(loaded, lambda: KEYWORDS_ONLY)
    assert (warning.line, warning.path) == (
        _line_of(bank, "id: sat"),
        "questions[6].parts[1].rubric[0]",
    )
    assert warning.message.startswith("question 'P1/why': rubric point 'sat' has no keywords")


def test_a_keyword_less_rubric_point_is_no_warning_when_the_model_is_active(
    tmp_path: Path,
) -> None:
    bank = _bank_with(tmp_path, ", keywords: [[saturat]]}", "}")
    model = Matcher("model", "all-MiniLM-L6-v2", device="cpu")
    assert matcher_warnings(load_bank(bank), lambda: model) == []


def test_a_bank_with_keywords_everywhere_never_asks_for_the_model() -> None:
    def no_model() -> Matcher:
        raise AssertionError("the model was asked for")

    assert matcher_warnings(load_bank(FIX / "good" / "bank.yaml"), no_model) == []


def test_an_accepted_form_that_does_not_parse_is_located_at_its_own_line(tmp_path: Path) -> None:
    bank = _bank_with(
        tmp_path, "    answer: 2*n*r\n", "    answer: 2*n*r\n    accepted_forms: [n*r*2, 2*n*q]\n"
    )
    (problem,) = checker_problems(load_bank(bank))
    assert problem.path == "questions[2].accepted_forms[1]"
    assert problem.line == _line_of(bank, "accepted_forms")
    assert "'2*n*q' cannot be parsed" in problem.message and "unknown symbol 'q'" in problem.message


def test_a_function_the_checker_does_not_know_is_reported_at_functions(tmp_path: Path) -> None:
    bank = _bank_with(
        tmp_path, "    answer: 2*n*r\n", "    answer: 2*n*r\n    functions: [log, frobnicate]\n"
    )
    (problem,) = checker_problems(load_bank(bank))
    assert (
        problem.path == "questions[2].functions"
        and "unknown functions ['frobnicate']" in problem.message
    )


def test_a_tolerance_for_a_dtype_that_is_never_used_is_reported(tmp_path: Path) -> None:
    bank = _bank_with(
        tmp_path,
        'ranking log-likelihood."}\n',
        'ranking log-likelihood."}\n    compare: {tolerances: {float23: {rtol: 0.1, atol: 0.1}}}\n',
    )
    (problem,) = checker_problems(load_bank(bank))
    assert problem.path == "questions[5].compare.tolerances.float23"
    assert "would never be used" in problem.message


def test_the_fixture_and_both_seed_exams_have_no_checker_problems() -> None:
    assert checker_problems_in([FIX / "good", ROOT / "questions"]) == []


def _leaves(q: Question, rq: ResolvedQuestion) -> list[tuple[Question, ResolvedQuestion]]:
    if isinstance(q, MultipartQuestion):
        return [leaf for p in q.parts for leaf in _leaves(p, rq.parts[p.id])]
    return [] if isinstance(q, CodeQuestion) else [(q, rq)]


def test_grading_calls_the_registered_checker_with_the_configuration_validate_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Grading dispatches through the registry (``CHECKERS``), with each call's keyword
    arguments from ``checker_calls`` (what validate checks), for every question of the
    fixture and the seed exams."""
    seen: list[tuple[str, dict[str, object]]] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        def record(answer: object, **config: object) -> CheckResult:
            config.pop("reveal_key", None)
            seen.append((name, config))
            return CheckResult(status="incorrect", fraction=0.0)

        return record

    for name in ("mcq", "numeric", "expression", "ordering", "text"):
        monkeypatch.setitem(checks._REGISTRY, name, recorder(name))
    paths = [FIX / "good" / "bank.yaml", *sorted((ROOT / "questions").rglob("*.yaml"))]
    n = 0
    for path in paths:
        if "\nbank:" not in "\n" + path.read_text():
            continue
        for q in load_bank(path).bank.questions:
            rq = resolve(q, 0)
            for leaf, leaf_rq in _leaves(q, rq):
                seen.clear()
                _check_simple(leaf, leaf_rq, "an answer", GradingOptions())
                assert seen == [
                    (c.checker, dict(c.config)) for c in checks.checker_calls(leaf, leaf_rq)
                ], leaf.id
                n += 1
    assert n > 30


def test_a_mutant_without_a_message_is_reported_at_its_line(tmp_path: Path) -> None:
    bank = _bank_with(
        tmp_path,
        '      - {fn: "preferences:bradley_terry_prob", message:',
        '      - "preferences:ranking_log_likelihood"\n'
        '      - {fn: "preferences:bradley_terry_prob", message:',
    )
    (problem,) = checker_problems(load_bank(bank))
    assert problem.path == "questions[5].mutants[0]"
    assert problem.line == _line_of(bank, '- "preferences:ranking_log_likelihood"')
    fix = "{fn: 'preferences:ranking_log_likelihood', message: ...}"
    assert f"has no message; write it as {fix}" in problem.message


def test_a_distractor_the_key_check_accepts_is_reported_at_its_value(tmp_path: Path) -> None:
    bank = _bank_with(
        tmp_path,
        "    tolerance: {abs: 0.001}\n",
        "    tolerance: {abs: 0.001}\n"
        "    distractors:\n"
        "      - {value: 0.145, message: You dropped the sign.}\n"
        "      - {value: -0.1452, message: Rounded too early.}\n",
    )
    (problem,) = checker_problems(load_bank(bank))
    assert problem.path == "questions[1].distractors[1].value"
    assert "distractor 2 is accepted as the right answer" in problem.message
