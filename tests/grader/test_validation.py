"""`grader validate --deep`: keys computed, cases generated, weak hidden cases caught by mutants."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.cli import main
from grader.validation import deep_validate

FIX = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_a_mutant_that_passes_every_hidden_case_fails_validation_by_name(tmp_path: Path) -> None:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    # The reference itself as a "mutant": no hidden case can tell them apart.
    bank.write_text(bank.read_text().replace('mutants: ["preferences:bradley_terry_prob"]',
                                             'mutants: ["preferences:ranking_log_likelihood"]'))
    report = deep_validate([q])
    assert report.problems == [f"{bank}: C1: mutant 'preferences:ranking_log_likelihood' passes every hidden case; "
                               "add hidden cases that catch it"]


def test_a_variant_whose_key_cannot_be_computed_is_reported_with_its_number(tmp_path: Path) -> None:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    bank = q / "bank.yaml"
    bank.write_text(bank.read_text().replace("rewards: {normal: {shape: [N, K]}}", "rewards: {normal: {shape: [N, Q]}}"))
    report = deep_validate([q], variants=2)
    assert any("C1 variant 0: computing the key failed" in p and "dimension 'Q' is not defined" in p for p in report.problems)


def test_both_seed_exams_pass_the_deep_checks_with_random_variants(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(ROOT / "questions"), "--variants", "2"]) == 0
    assert "(cases, keys and mutants checked)" in capsys.readouterr().out
