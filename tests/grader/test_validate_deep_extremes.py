"""Impossible code cases are caught by `validate`: bounds outside int64 by the schema, and
ends of a dimension range that cannot be built by `validate --deep`, each located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.deep_validation import extreme_case_problems
from grader.errors import AuthoringError
from grader.keys import resolve
from grader.loading import load_bank
from grader.schema import CodeQuestion

GOOD = Path(__file__).parent / "fixtures" / "good"
SEED_BANKS = sorted(p for p in Path("questions").glob("*/*.yaml") if p.name != "exam.yaml")

C1_DIMS = "      dims: {N: [1, 4], K: [2, 5]}\n"
C1_ARGS = "        rewards: {normal: {shape: [N, K]}}\n"


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A writable copy of the good fixture; its C1 draws hidden dims N and K."""
    shutil.copytree(GOOD, tmp_path / "q")
    return tmp_path / "q" / "bank.yaml"


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in ``path``; the 1-based line where it starts."""
    text = path.read_text()
    assert old in text, f"fixture does not contain {old!r}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def test_validate_rejects_a_dimension_range_outside_int64_at_its_line(
    bank: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(bank, C1_DIMS, "      dims: {N: [1, 4], K: [2, " + str(10**40) + "]}\n")
    assert main(["validate", str(bank.parent)]) == 1
    err = capsys.readouterr().err
    assert f"{bank}:{line}:" in err
    assert "questions[5].hidden.dims.K" in err
    assert "Traceback" not in err


def test_validate_rejects_a_range_whose_low_is_above_its_high(bank: Path) -> None:
    edit(bank, C1_DIMS, "      dims: {N: [4, 1], K: [2, 5]}\n")
    with pytest.raises(AuthoringError, match=r"hidden\.dims.*low 4 is above high 1"):
        load_bank(bank)


def test_validate_rejects_a_negative_dimension(bank: Path) -> None:
    edit(bank, C1_DIMS, "      dims: {N: [-3, 4], K: [2, 5]}\n")
    with pytest.raises(AuthoringError, match=r"hidden\.dims\.N"):
        load_bank(bank)


def test_validate_rejects_a_randint_bound_outside_int64(bank: Path) -> None:
    edit(bank, C1_ARGS, "        rewards: {randint: {shape: [N, K], high: " + str(2**70) + "}}\n")
    with pytest.raises(AuthoringError, match=r"hidden\.args\.rewards\.randint\.high"):
        load_bank(bank)


def test_deep_validate_builds_the_smallest_end_of_a_range_the_random_draws_miss(
    bank: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """N = 0 leaves `randint` nothing to draw from; the random cases almost never draw it."""
    line = edit(bank, C1_DIMS, "      dims: {N: [0, 1000000], K: [2, 5]}\n")
    edit(bank, C1_ARGS, "        rewards: {randint: {shape: [1, K], high: N, dtype: float64}}\n")
    assert main(["validate", str(bank.parent)]) == 0  # the schema cannot see it
    capsys.readouterr()
    assert main(["validate", "--deep", str(bank.parent)]) == 1
    err = capsys.readouterr().err
    assert f"{bank}:{line}:" in err and "questions[5].hidden.dims" in err
    assert "smallest dimensions (N=0, K=2)" in err


def test_deep_validate_refuses_a_largest_case_too_big_to_hold(bank: Path) -> None:
    edit(bank, C1_DIMS, "      dims: {N: [1, 1000000000], K: [2, 5]}\n")
    loaded = load_bank(bank)
    q = loaded.bank.questions[5]
    assert isinstance(q, CodeQuestion)
    (problem,) = extreme_case_problems(q, loaded, {}, 0, ("questions", 5))
    assert problem.path == "questions[5].hidden.dims"
    assert "largest dimensions (N=1000000000, K=5)" in problem.message
    assert "lower the dimensions" in problem.message


@pytest.mark.parametrize("path", SEED_BANKS, ids=str)
def test_seed_banks_build_at_both_ends_of_every_range(path: Path) -> None:
    loaded = load_bank(path)
    problems = []
    for i, q in enumerate(loaded.bank.questions):
        parts = getattr(q, "parts", None) or [q]
        for part in parts:
            if isinstance(part, CodeQuestion):
                params = resolve(part, 0, folders=loaded.reference_folders).params
                problems += extreme_case_problems(part, loaded, params, 0, ("questions", i))
    assert problems == []
