"""Property: the seed banks, exams and answer files, mutated at random (lines deleted,
repeated, swapped; characters inserted; values retyped; deep nesting; aliases), give a
located error or a valid load, never another exception, and each in bounded time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grader.errors import AuthoringError
from grader.loading import load_bank, load_exam, validate_paths
from grader.submissions import read_submission
from grader.validation import checker_problems_in

SEED_FILES = sorted(Path("questions").glob("*/*.yaml"))
ANSWER_FILES = sorted(Path("submissions").glob("*/*/answers.yaml"))

ODD_VALUES = [
    "[]",
    "{}",
    "null",
    "~",
    "-1",
    "1e999",
    str(10**40),
    "!!int many",
    "!!float x",
    "!!timestamp x",
    "!!binary ###",
    "!!python/object:os.system ls",
    "2024-02-30",
    "yes",
    "'",
    '"\\x"',
    "&a",
    "*a",
    "*nowhere",
    "{<<: 3}",
    "[" * 300,
    "{a: " * 200,
    "|",
    "? [a]",
    "\t",
    "\x00",
    "\ufeff",
]

ALIAS_BOMB = (
    '&l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    + "".join(f"x{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    + "y: *l8"
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three random edits of the kinds that break YAML files."""
    lines = text.splitlines(keepends=True) or ["\n"]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(["delete", "repeat", "swap", "insert", "retype", "nest", "alias"])
        )
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            noise = draw(st.text(min_size=1, max_size=8))
            lines[i] = lines[i][:at] + noise + lines[i][at:]
        elif kind == "retype" and ": " in lines[i]:
            head = lines[i].split(": ", 1)[0]
            lines[i] = f"{head}: {draw(st.sampled_from(ODD_VALUES))}\n"
        elif kind == "nest" and ": " in lines[i]:
            head = lines[i].split(": ", 1)[0]
            depth = draw(st.sampled_from([70, 999, 1500, 5000]))
            lines[i] = f"{head}: {'[' * depth}1{']' * depth}\n"
        elif kind == "alias" and ": " in lines[i]:
            head, value = lines[i].rstrip("\n").split(": ", 1)
            j = draw(st.integers(0, len(lines) - 1))
            lines[i] = f"{head}: &shared {value}\n"
            if ": " in lines[j] and j != i:
                lines[j] = lines[j].split(": ", 1)[0] + ": *shared\n"
            elif draw(st.booleans()):
                lines[i] = f"{head}: {ALIAS_BOMB}\n"
    return "".join(lines)


def _assert_located(problems: object) -> None:
    for p in problems:  # type: ignore[attr-defined]
        assert p.file, p
        assert str(p).startswith(p.file), p


FUZZ = settings(
    max_examples=25,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seed question folders, restored before each mutation."""
    dest = tmp_path_factory.mktemp("fuzz") / "questions"
    shutil.copytree("questions", dest)
    return dest


@FUZZ
@given(data=st.data(), index=st.integers(0, len(SEED_FILES) - 1))
def test_a_mutated_seed_file_is_a_located_error_or_loads(
    course: Path, data: st.DataObject, index: int
) -> None:
    original = SEED_FILES[index]
    target = course / original.parent.name / original.name
    text = data.draw(mutated(original.read_text(encoding="utf-8")), label="text")
    target.write_text(text, encoding="utf-8")
    try:
        _, problems = validate_paths([target])
        _assert_located(problems)
        if not problems:
            _assert_located(checker_problems_in([target]))
        try:
            if original.name == "exam.yaml":
                load_exam(target)
            else:
                load_bank(target)
        except AuthoringError as exc:
            assert exc.problems
            _assert_located(exc.problems)
    finally:
        shutil.copy(original, target)


@FUZZ
@example(text="student: !!int many\nexam: quiz-2025\nanswers: {}\n")
@example(text="student: 2024-02-30\nexam: quiz-2025\nanswers: {}\n")
@example(text="student: !!timestamp x\nexam: quiz-2025\nanswers: {}\n")
@given(text=st.sampled_from(ANSWER_FILES).flatmap(lambda p: mutated(p.read_text("utf-8"))))
def test_a_mutated_answer_file_is_read_with_its_problems_listed(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("student") / "s1"
    folder.mkdir()
    (folder / "answers.yaml").write_text(text, encoding="utf-8")
    submission = read_submission(folder)  # never raises, by contract
    assert submission.student == "s1"
