"""Loading banks and exams: every question type loads; every kind of mistake is located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.errors import AuthoringError
from grader.loading import load_bank, load_exam, validate_paths
from grader.schema import (
    Bank,
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    TextQuestion,
)

GOOD = Path(__file__).parent / "fixtures" / "good"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A writable copy of the good fixture bank and exam."""
    dest = tmp_path / "q"
    shutil.copytree(GOOD, dest)
    return dest


def problems_of(path: Path) -> list[str]:
    _, problems = validate_paths([path])
    return [str(p) for p in problems]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture does not contain {old!r}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_every_question_type_loads_from_the_good_bank() -> None:
    bank = load_bank(GOOD / "bank.yaml").bank
    kinds = {type(q) for q in bank.questions}
    assert kinds == {
        McqQuestion,
        NumericQuestion,
        ExpressionQuestion,
        OrderingQuestion,
        TextQuestion,
        CodeQuestion,
        MultipartQuestion,
    }


def test_exam_resolves_questions_in_print_order() -> None:
    exam = load_exam(GOOD / "exam.yaml")
    assert exam.ordered_ids() == ["M1", "N1", "E1", "O1", "T1", "C1", "P1"]
    assert exam.exam.total_marks == 11.5


def test_exam_is_found_by_id_under_a_questions_folder() -> None:
    exam = load_exam("demo-exam", questions_dir=GOOD)
    assert exam.path.name == "exam.yaml"


def test_unknown_exam_id_lists_the_known_ones() -> None:
    with pytest.raises(AuthoringError, match="Known exams: demo-exam"):
        load_exam("nope", questions_dir=GOOD)


def test_mcq_labels_default_to_letters_in_order() -> None:
    mcq = load_bank(GOOD / "bank.yaml").bank.questions[0]
    assert isinstance(mcq, McqQuestion)
    assert mcq.labels == ["A", "B", "C"]


def test_unknown_key_names_file_line_and_field_path(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "correct: false}", "correct: false, colour: red}")
    [msg] = problems_of(bank)
    line = line_of(bank, "colour")
    assert msg.startswith(f"{bank}:{line}:")
    assert "questions[0].options[1].colour: unknown key 'colour'" in msg


def test_unknown_key_suggests_the_close_field(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "    tolerance: {abs: 0.001}", "    tolerence: {abs: 0.001}")
    [msg] = problems_of(bank)
    assert "questions[1].tolerence: unknown key 'tolerence'; did you mean 'tolerance'?" in msg


def test_wrong_type_says_what_was_expected_and_what_was_given(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "marks: 1.5", "marks: lots")
    [msg] = problems_of(bank)
    assert f"{bank}:{line_of(bank, 'marks: lots')}:" in msg
    assert "questions[0].marks: input should be a valid number" in msg and "'lots'" in msg


def test_missing_field_is_named(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "    answer: 2*n*r\n", "")
    [msg] = problems_of(bank)
    assert "questions[2].answer: missing required field 'answer'" in msg


def test_duplicate_question_id_points_at_the_second_one(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "  - id: E1", "  - id: N1")
    [msg] = problems_of(bank)
    second = [i for i, line in enumerate(bank.read_text().splitlines(), 1) if "- id: N1" in line][1]
    assert msg.startswith(f"{bank}:{second}:")
    assert "questions[2].id: duplicate question id 'N1' (first at questions[1])" in msg


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "    marks: 1.5\n", "    marks: 1.5\n    marks: 2\n")
    [msg] = problems_of(bank)
    assert "questions[0].marks: duplicate key 'marks'" in msg


def test_unresolvable_reference_is_reported_with_its_line(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, '"preferences:ranking_log_likelihood"', '"_common:no_such_function"')
    [msg] = problems_of(bank)
    assert f":{line_of(bank, 'no_such_function')}:" in msg
    assert "questions[5].reference: unresolvable reference" in msg
    assert "has no function 'no_such_function'" in msg


def test_unresolvable_module_is_reported(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, '"preferences:ranking_log_likelihood"', '"nomodule:f"')
    [msg] = problems_of(bank)
    assert "there is no module 'reference_impls.nomodule'" in msg


def test_support_function_must_exist(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "rewards: {normal: {shape: [N, K]}}", 'rewards: {construct: {fn: "tiny:unmake"}}')
    [msg] = problems_of(bank)
    assert "unresolvable support function" in msg and "no function 'unmake'" in msg


def test_marks_that_do_not_add_up_to_the_exam_total_are_reported(workdir: Path) -> None:
    exam = workdir / "exam.yaml"
    replace(exam, "total_marks: 11.5", "total_marks: 12")
    [msg] = problems_of(exam)
    assert f"{exam}:1:" in msg
    assert "sections add up to 11.5 marks but total_marks is 12" in msg


def test_section_marks_must_match_its_questions(workdir: Path) -> None:
    exam = workdir / "exam.yaml"
    replace(exam, "marks: 1.5", "marks: 2.5")
    replace(exam, "total_marks: 11.5", "total_marks: 12.5")
    [msg] = problems_of(exam)
    assert (
        "sections[0].marks: section 'Section A' is worth 2.5 marks but its questions add up to 1.5"
        in msg
    )


def test_parts_must_add_up_to_the_question(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "    marks: 3\n", "    marks: 4\n")
    [msg] = problems_of(bank)
    assert "questions[6]: parts add up to 3 marks but the question is worth 4" in msg


def test_rubric_must_add_up_to_the_question(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(
        bank,
        "    marks: 2\n    topic: positional-encoding",
        "    marks: 3\n    topic: positional-encoding",
    )
    [msg] = problems_of(bank)
    assert "rubric marks add up to 2 but the question is worth 3" in msg


def test_exam_naming_a_missing_question_suggests_a_close_id(workdir: Path) -> None:
    exam = workdir / "exam.yaml"
    replace(exam, "[M1]", "[M2]")
    [msg] = problems_of(exam)
    assert (
        "sections[0].questions[0]: no question 'M2' in this exam's banks; did you mean 'M1'?" in msg
    )


def test_a_bank_with_ten_mistakes_reports_all_ten(workdir: Path) -> None:
    bank = workdir / "bank.yaml"
    replace(bank, "marks: 1.5", "marks: lots")  # 1 wrong type
    replace(bank, "correct: false}", "correct: false, colour: red}")  # 2 unknown key
    replace(bank, "    tolerance: {abs: 0.001}", "    tolerance: {abs: -1}")  # 3 bound
    replace(bank, "    answer: 2*n*r\n", "")  # 4 missing
    replace(bank, "  - id: O1", "  - id: N1")  # 5 duplicate id
    replace(
        bank,
        "        marks: 1\n        description: Raw",
        "        marks: 5\n        description: Raw",
    )  # 6 rubric sum
    replace(bank, '"preferences:ranking_log_likelihood"', '"_common:gone"')  # 7 unresolvable ref
    replace(bank, "    file: c1.py", "    file: c1.txt")  # 8 pattern
    replace(
        bank, "        answer: d_k\n", "        answer: d_k\n        equivalence: roughly\n"
    )  # 9 literal
    replace(bank, "type: ordering", "type: sorting")  # 10 unknown type
    problems = problems_of(bank)
    assert len(problems) == 10, "\n".join(problems)


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("bank: x\nquestions:\n  - id: [unclosed\n")
    [msg] = problems_of(bad)
    assert msg.startswith(f"{bad}:") and "not valid YAML" in msg


def test_file_that_is_neither_bank_nor_exam_is_reported(tmp_path: Path) -> None:
    other = tmp_path / "o.yaml"
    other.write_text("hello: world\n")
    [msg] = problems_of(other)
    assert "neither a bank" in msg


def test_clean_folder_validates_without_problems() -> None:
    files, problems = validate_paths([GOOD])
    assert len(files) == 2
    assert problems == []


def test_repeated_names_are_listed_once_each_in_sorted_order() -> None:
    text = {
        "type": "text",
        "marks": 1,
        "prompt": "p",
        "rubric": [{"id": "x", "marks": 1, "description": "d", "keywords": [["k"]]}],
    }
    ids = ["q2", "q1", "q2", "q1", "q3"]
    with pytest.raises(ValueError, match=r"question ids repeat in this bank: q1, q2 \["):
        Bank.model_validate({"bank": "b", "questions": [dict(text, id=i) for i in ids]})
    parts = [dict(text, id=i) for i in ("b", "a", "b")]
    with pytest.raises(ValueError, match=r"part names repeat: b \["):
        MultipartQuestion.model_validate(
            {"id": "m", "type": "multipart", "marks": 3, "parts": parts}
        )
