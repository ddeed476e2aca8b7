"""`grader validate` keeps the keys references compute on disk and computes one again
whenever anything it depends on changed (``grader.key_cache``, issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader.key_cache import cached_call, caching

ROOT = Path(__file__).resolve().parents[2]

BANK = """\
bank: cached-keys
references: [refs/]
questions:
  - id: N1
    type: numeric
    marks: 1
    topic: scaling
    prompt: "Scale 3."
    answer: {ref: "course_keys.scaling:scale", args: {x: 3}}
    tolerance: {abs: 0.001}
    distractors: [{value: 9, message: "you multiplied by three"}]
"""


def _course(root: Path, factor: int) -> Path:
    """A bank whose key is ``scale(3)``: ``factor`` times 3 through a module the reference
    imports. Each call of the reference adds a line to ``root/calls.txt``."""
    package = root / "refs" / "course_keys"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "factors.py").write_text(f"FACTOR = {factor}\n")
    (package / "scaling.py").write_text(
        "import os\n\nfrom .factors import FACTOR\n\n\n"
        "def scale(x):\n"
        "    with open(os.environ['KEY_CALLS'], 'a') as f:\n"
        "        f.write('called\\n')\n"
        "    return FACTOR * x\n"
    )
    (root / "bank.yaml").write_text(BANK)
    return root / "bank.yaml"


def _validate(bank: Path, cache: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`grader validate BANK` in a fresh process, as an author runs it."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        GRADER_CACHE_DIR=str(cache),
        KEY_CALLS=str(bank.parent / "calls.txt"),
    )
    return subprocess.run(
        [sys.executable, "-m", "grader", "validate", str(bank), *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _calls(bank: Path) -> int:
    calls = bank.parent / "calls.txt"
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_a_key_computed_by_one_validate_is_reused_by_the_next(tmp_path: Path) -> None:
    bank = _course(tmp_path, factor=2)
    assert _validate(bank, tmp_path / "cache").returncode == 0
    assert _calls(bank) == 1
    assert _validate(bank, tmp_path / "cache").returncode == 0
    assert _calls(bank) == 1, "the second validate must take the key from the cache"


def test_editing_a_module_the_reference_imports_computes_the_key_again(tmp_path: Path) -> None:
    bank = _course(tmp_path, factor=2)
    assert _validate(bank, tmp_path / "cache").returncode == 0
    (tmp_path / "refs" / "course_keys" / "factors.py").write_text("FACTOR = 3\n")
    second = _validate(bank, tmp_path / "cache")
    assert _calls(bank) == 2
    # the new key (9) is the distractor's value: only a recomputed key can see that
    assert second.returncode == 1
    assert "distractor 1 is accepted as the right answer" in second.stderr


def test_no_cache_computes_every_key_afresh(tmp_path: Path) -> None:
    bank = _course(tmp_path, factor=2)
    assert _validate(bank, tmp_path / "cache").returncode == 0
    assert _calls(bank) == 1
    assert _validate(bank, tmp_path / "cache", "--no-cache").returncode == 0
    assert _calls(bank) > 1


def _counting(value: Any) -> tuple[Callable[[], Any], list[int]]:
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        return value

    return compute, calls


def test_outside_a_caching_block_the_reference_is_always_called(tmp_path: Path) -> None:
    compute, calls = _counting(6)
    assert cached_call("m:f", {"x": 3}, None, [], compute) == 6
    assert cached_call("m:f", {"x": 3}, None, [], compute) == 6
    assert len(calls) == 2


def test_other_arguments_or_another_index_are_another_key(tmp_path: Path) -> None:
    compute, calls = _counting([1, 2])
    with caching(tmp_path):
        cached_call("m:f", {"x": 3}, None, [], compute)
        cached_call("m:f", {"x": 3}, None, [], compute)
        cached_call("m:f", {"x": 4}, None, [], compute)
        cached_call("m:f", {"x": 3}, 0, [], compute)
        cached_call("m:g", {"x": 3}, None, [], compute)
    assert len(calls) == 4


def test_editing_a_data_file_beside_the_references_computes_the_key_again(
    tmp_path: Path,
) -> None:
    refs = tmp_path / "refs"
    (refs / "data").mkdir(parents=True)
    (refs / "data" / "table.txt").write_text("1 2 3\n")
    compute, calls = _counting(6)
    for _ in range(2):
        with caching(tmp_path / "cache"):
            cached_call("m:f", {}, None, [refs], compute)
    assert len(calls) == 1
    (refs / "data" / "table.txt").write_text("1 2 4\n")
    with caching(tmp_path / "cache"):
        cached_call("m:f", {}, None, [refs], compute)
    assert len(calls) == 2


def test_a_reference_that_fails_is_called_again_every_time(tmp_path: Path) -> None:
    calls: list[int] = []

    def failing() -> Any:
        calls.append(1)
        raise ValueError("the author's bug")

    with caching(tmp_path):
        for _ in range(2):
            with pytest.raises(ValueError, match="the author's bug"):
                cached_call("m:f", {}, None, [], failing)
    assert len(calls) == 2


@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, float, [1, (2, 3)]])
def test_a_value_json_would_not_give_back_as_itself_is_not_stored(
    tmp_path: Path, value: Any
) -> None:
    compute, calls = _counting(value)
    with caching(tmp_path):
        assert cached_call("m:f", {}, None, [], compute) == value
        assert cached_call("m:f", {}, None, [], compute) == value
    assert len(calls) == 2


def test_a_cache_folder_that_cannot_be_written_still_gives_the_key(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    compute, calls = _counting(6)
    with caching(blocker / "keys"):
        assert cached_call("m:f", {}, None, [], compute) == 6
        assert cached_call("m:f", {}, None, [], compute) == 6
    assert len(calls) == 2


def test_a_damaged_cache_entry_is_computed_again(tmp_path: Path) -> None:
    compute, calls = _counting(6)
    with caching(tmp_path):
        cached_call("m:f", {}, None, [], compute)
    [entry] = tmp_path.glob("*.json")
    entry.write_text('{"val')
    with caching(tmp_path):
        assert cached_call("m:f", {}, None, [], compute) == 6
    assert len(calls) == 2


@pytest.mark.slow
def test_validating_both_seed_exams_with_their_keys_cached_imports_neither_torch_nor_sympy(
    tmp_path: Path,
) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADER_CACHE_DIR=str(tmp_path))
    first = subprocess.run(
        [sys.executable, "-m", "grader", "validate", "questions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    script = (
        "import sys\n"
        "from grader.cli import main\n"
        "rc = main(['validate', 'questions'])\n"
        "print('imported:', sorted({'torch', 'sympy'} & set(sys.modules)))\n"
        "raise SystemExit(rc)\n"
    )
    second = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert second.returncode == 0, second.stderr
    assert "imported: []" in second.stdout
