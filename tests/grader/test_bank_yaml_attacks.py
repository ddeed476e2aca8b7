"""Hostile YAML in question banks: every attack is a located error in bounded time, one
broken file does not stop the other exams, and an invalid question is reported once."""

from __future__ import annotations

import shutil
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest

from grader._yaml import MAX_DEPTH, YamlSyntaxError, load_located
from grader.cli import main
from grader.errors import AuthoringError
from grader.loading import MAX_FILE_BYTES, load_exam, validate_paths

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "good"
CLASS = FIXTURES / "class"


def _alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each level an anchored list of 9 aliases to the level below."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "bank: bomb\n" + "\n".join(lines) + f"\nquestions: *l{levels - 1}\n"


ATTACKS = {
    "self-referencing alias": "bank: b\nquestions: &a [ *a ]\n",
    "5,000 nested lists": "bank: b\nquestions: " + "[" * 5000 + "]" * 5000 + "\n",
    "3,000 nested mappings": "bank: b\nquestions: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "9-level alias bomb": _alias_bomb(),
    "impossible date": "bank: b\nquestions: []\nwhen: 2024-02-30\n",
    "int tag on a word": "bank: b\nquestions: !!int many\n",
    "timestamp tag on a word": "bank: b\nquestions: !!timestamp x\n",
    "python tag": "bank: b\nquestions: !!python/object/apply:os.system [ls]\n",
    "list as a key": "bank: b\n? [a, b]\n: 1\nquestions: []\n",
    "merge of a scalar": "bank: b\nquestions: []\nm: {<<: 3}\n",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_bank_is_one_located_problem_in_bounded_time_and_memory(
    name: str, tmp_path: Path
) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(ATTACKS[name])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        _, problems = validate_paths([bank])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 50 * 1024 * 1024
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{bank}:"), problems[0]
    assert problems[0].line is not None
    assert "\n" not in str(problems[0])


def test_self_referencing_alias_names_the_alias_and_its_field(tmp_path: Path) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("bank: b\nquestions: &a [ *a ]\n", "bank.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (2, "questions[0]")
    assert "alias *a refers to the node it is inside" in problem.message


def test_nesting_deeper_than_the_limit_names_where_it_starts(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 1
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("bank: b\nquestions: " + "[" * depth + "]" * depth, "bank.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 2 and problem.path.startswith("questions[0][0]")
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message


def test_nesting_at_the_limit_loads() -> None:
    depth = MAX_DEPTH  # the document itself is the first level
    value = load_located("[" * depth + "]" * depth, "bank.yaml").value
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(YamlSyntaxError) as caught:
        load_located(_alias_bomb(), "bank.yaml")
    assert time.perf_counter() - started < 2
    assert "expands to more than" in caught.value.problems[0].message


def test_aliases_cannot_nest_past_the_depth_limit_together(tmp_path: Path) -> None:
    """Each anchor is shallow, but every alias sits inside the previous one."""
    lines = ["a0: &a0 " + "[" * 40 + "]" * 40]
    lines += [f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 for i in range(1, 4)]
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("\n".join(lines), "bank.yaml")
    assert "levels deep" in caught.value.problems[0].message


def test_aliases_can_be_refused_outright_for_files_students_write() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("a: &x 1\nb: *x\n", "answers.yaml", aliases=False)
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (2, "b")
    assert "aliases (*x) are not accepted" in problem.message


def test_shared_anchors_still_load() -> None:
    text = "a: &shared {b: 1, c: [1, 2]}\nd: *shared\ne: {<<: *shared, f: 2}\n"
    value = load_located(text, "bank.yaml").value
    assert value["d"] == {"b": 1, "c": [1, 2]}
    assert value["e"] == {"b": 1, "c": [1, 2], "f": 2}


def test_seed_banks_that_share_blocks_with_anchors_load() -> None:
    assert load_exam("midsem-2025").questions


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text("bank: b\nquestions: []\n# " + "x" * MAX_FILE_BYTES + "\n")
    _, problems = validate_paths([bank])
    assert len(problems) == 1 and "split it into several banks" in problems[0].message


# ------------------------------------------------- one broken file, the others still work


@pytest.fixture
def questions_with_a_bomb(tmp_path: Path) -> Path:
    """A questions folder: the good demo exam, and an unrelated bank that is an alias bomb."""
    folder = tmp_path / "questions"
    shutil.copytree(GOOD, folder / "demo")
    (folder / "broken").mkdir()
    (folder / "broken" / "bank.yaml").write_text(_alias_bomb())
    return folder


def test_validate_reports_the_broken_file_and_still_checks_the_others(
    questions_with_a_bomb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exam = questions_with_a_bomb / "demo" / "exam.yaml"
    exam.write_text(exam.read_text().replace("total_marks: 11.5", "total_marks: 12"))
    assert main(["validate", str(questions_with_a_bomb)]) == 1
    err = capsys.readouterr().err
    assert f"{questions_with_a_bomb / 'broken' / 'bank.yaml'}:" in err
    assert "expands to more than" in err
    assert f"{exam}:" in err  # the good exam's own mistake is still found
    assert "Traceback" not in err


def test_an_exam_loads_by_id_beside_a_broken_bank(questions_with_a_bomb: Path) -> None:
    assert load_exam("demo-exam", questions_with_a_bomb).exam.exam == "demo-exam"


def test_grade_by_exam_id_works_beside_a_broken_bank(
    questions_with_a_bomb: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # --no-sandbox says what it gives up
        status = main(
            [
                "grade",
                "demo-exam",
                str(CLASS),
                "--questions",
                str(questions_with_a_bomb),
                "--out",
                str(out),
                "--no-sandbox",
                "--workers",
                "1",
                "--quiet",
            ]
        )
    assert status in (0, 3)  # 3: the fixture class leaves answers for a TA
    assert (out / "gradebook.sqlite").is_file()


# ----------------------------------------------------------- one cause, reported once


def test_an_invalid_question_is_reported_once_not_again_by_each_exam(tmp_path: Path) -> None:
    folder = tmp_path / "q"
    shutil.copytree(GOOD, folder)
    bank = folder / "bank.yaml"
    bank.write_text(bank.read_text().replace("    marks: 1.5\n", "    marks: many\n", 1))
    second = folder / "exam2.yaml"
    second.write_text((folder / "exam.yaml").read_text().replace("demo-exam", "demo-exam-2"))
    _, problems = validate_paths([folder])
    messages = [str(p) for p in problems]
    assert not [m for m in messages if "no question" in m], messages
    assert [m for m in messages if "questions[0].marks" in m], messages


def test_a_missing_question_is_still_reported_when_its_bank_loads(tmp_path: Path) -> None:
    folder = tmp_path / "q"
    shutil.copytree(GOOD, folder)
    exam = folder / "exam.yaml"
    exam.write_text(exam.read_text().replace("questions: [M1]", "questions: [M9]"))
    with pytest.raises(AuthoringError, match="no question 'M9'"):
        load_exam(exam)
