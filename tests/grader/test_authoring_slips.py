"""`grader validate` catches authoring slips that every field can be valid without (issue 19
item 5): input kinds that change between visible and hidden cases, two code parts with one
file and different stubs, and a multipart question's code parts left uncounted or checked
against another part's support modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import main
from grader.deep_validation import deep_validate
from grader.errors import AuthoringError
from grader.loading import load_bank, load_exam, validate_paths


def code(
    qid: str,
    file: str = "c.py",
    stub: str = "def f(x):\n    pass\n",
    visible: str = "{tensor: {data: [[1.0, 0.5]]}}",
    hidden: str = "{normal: {shape: [N, K]}}",
    indent: int = 4,
    support: str = "",
) -> str:
    """A code question (or, with ``indent`` 8, a part) ranking rewards, as bank YAML."""
    pad = " " * indent
    stub_lines = "".join(f"{pad}  {line}\n" for line in stub.splitlines())
    lines = [
        f"id: {qid}",
        "type: code",
        "marks: 1",
        "topic: preferences",
        "prompt: Rank them.",
        f"file: {file}",
        "function: f",
        "stub: |",
        stub_lines.rstrip("\n")[len(pad) :],
        'reference: "preferences:ranking_log_likelihood"',
        *([f"support: [{support}]"] if support else []),
        "visible:",
        f"  - args: {{rewards: {visible}}}",
        "hidden:",
        "  count: 3",
        "  dims: {N: [1, 3], K: [2, 4]}",
        f"  args: {{rewards: {hidden}}}",
    ]
    first, *rest = lines
    return f"{pad[:-2]}- {first}\n" + "".join(f"{pad}{line}\n" for line in rest)


def multipart(qid: str, *parts: str) -> str:
    return (
        f"  - id: {qid}\n    type: multipart\n    marks: {len(parts)}\n"
        f"    topic: preferences\n    parts:\n" + "".join(parts)
    )


def write_bank(folder: Path, body: str, name: str = "bank.yaml", bank: str = "slips") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"bank: {bank}\nquestions:\n{body}", encoding="utf-8")
    return path


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``path`` containing ``text``."""
    hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if text in line]
    return hits[occurrence - 1]


# ------------------------------------------------------------------- input kinds


def test_hidden_cases_of_another_input_kind_than_the_visible_are_an_error_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bank = write_bank(tmp_path, code("C1", visible="{tensor: {data: [[1.0, 0.5]], kind: numpy}}"))
    assert main(["validate", str(bank)]) == 1
    err = capsys.readouterr().err
    assert f"{bank}:{line_of(bank, 'normal: {shape')}:" in err
    assert "questions[0].hidden.args.rewards:" in err
    assert "'rewards' is a torch tensor in this hidden case but a NumPy array" in err
    assert f"visible case at line {line_of(bank, 'kind: numpy')}" in err
    assert "Traceback" not in err


def test_a_hidden_edge_case_written_as_numpy_under_torch_visible_cases_is_an_error(
    tmp_path: Path,
) -> None:
    body = code("C1") + (
        "      extra:\n        - args: {rewards: {normal: {shape: [2, 3], kind: numpy}}}\n"
    )
    bank = write_bank(tmp_path, body)
    with pytest.raises(AuthoringError) as caught:
        load_bank(bank)
    (problem,) = caught.value.problems
    assert problem.path == "questions[0].hidden.extra[0].args.rewards.normal.kind"
    assert problem.line == line_of(bank, "kind: numpy")
    assert "NumPy array in this hidden case but a torch tensor" in problem.message


def test_input_kinds_written_explicitly_on_both_sides_say_the_question_passes_both(
    tmp_path: Path,
) -> None:
    bank = write_bank(
        tmp_path,
        code(
            "C1",
            visible="{tensor: {data: [[1.0, 0.5]], kind: numpy}}",
            hidden="{normal: {shape: [N, K], kind: torch}}",
        ),
    )
    assert load_bank(bank).bank.questions[0].id == "C1"


def test_the_same_input_kind_on_both_sides_is_clean(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path,
        code(
            "C1",
            visible="{tensor: {data: [[1.0, 0.5]], kind: numpy}}",
            hidden="{normal: {shape: [N, K], kind: numpy}}",
        ),
    )
    assert validate_paths([bank])[1] == []


def test_a_code_part_whose_hidden_cases_change_the_input_kind_is_an_error_at_the_part(
    tmp_path: Path,
) -> None:
    part = code("a", hidden="{uniform: {shape: [N, K], kind: numpy}}", indent=8)
    bank = write_bank(tmp_path, multipart("P1", part))
    with pytest.raises(AuthoringError) as caught:
        load_bank(bank)
    (problem,) = caught.value.problems
    assert problem.path == "questions[0].parts[0].hidden.args.rewards.uniform.kind"
    assert problem.line == line_of(bank, "kind: numpy")


# ------------------------------------------------------------------ stub clashes


def test_two_parts_naming_one_file_with_different_stubs_are_an_error_at_the_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = code("a", file="p.py", stub="def f(x):\n    pass\n", indent=8)
    second = code("b", file="p.py", stub="def g(y):\n    pass\n", indent=8)
    bank = write_bank(tmp_path, multipart("P1", first, second))
    assert main(["validate", str(bank)]) == 1
    err = capsys.readouterr().err
    assert f"{bank}:{line_of(bank, 'file: p.py', 2)}:" in err
    assert "questions[0].parts[1].file:" in err
    assert f"also the file of 'a' ({bank}:{line_of(bank, 'file: p.py')})" in err
    assert "Traceback" not in err


def test_two_questions_of_a_bank_naming_one_file_with_different_stubs_are_an_error(
    tmp_path: Path,
) -> None:
    bank = write_bank(
        tmp_path,
        code("C1", file="q.py") + code("C2", file="q.py", stub="def f(x, y):\n    pass\n"),
    )
    with pytest.raises(AuthoringError) as caught:
        load_bank(bank)
    (problem,) = caught.value.problems
    assert problem.path == "questions[1].file"
    assert problem.line == line_of(bank, "file: q.py", 2)


def test_two_parts_sharing_one_file_and_one_stub_are_clean(tmp_path: Path) -> None:
    stub = "def f(x):\n    pass\n\n\ndef g(y):\n    pass\n"
    bank = write_bank(
        tmp_path,
        multipart(
            "P1",
            code("a", file="p.py", stub=stub, indent=8),
            code("b", file="p.py", stub=stub, indent=8),
        ),
    )
    assert validate_paths([bank])[1] == []


def test_questions_of_two_banks_of_one_exam_naming_one_file_with_different_stubs_are_an_error(
    tmp_path: Path,
) -> None:
    write_bank(tmp_path, code("C1", file="q.py"), "one.yaml", "one")
    other = write_bank(
        tmp_path, code("C2", file="q.py", stub="def h(z):\n    pass\n"), "two.yaml", "two"
    )
    exam = tmp_path / "exam.yaml"
    exam.write_text(
        "exam: e\ntitle: E\nduration_minutes: 10\ntotal_marks: 2\nbanks: [one.yaml, two.yaml]\n"
        "sections:\n  - title: A\n    marks: 2\n    questions: [C1, C2]\n",
        encoding="utf-8",
    )
    with pytest.raises(AuthoringError) as caught:
        load_exam(exam)
    (problem,) = caught.value.problems
    assert problem.file == str(other)
    assert problem.path == "questions[0].file"
    assert "also the file of 'C1'" in problem.message


# ---------------------------------------------------------- counted code parts


def test_deep_validate_counts_every_code_part_of_a_multipart_question(tmp_path: Path) -> None:
    bank = write_bank(
        tmp_path,
        multipart("P1", code("a", file="a.py", indent=8), code("b", file="b.py", indent=8)),
    )
    report = deep_validate([bank])
    assert report.problems == []
    assert report.lines == [f"{bank}: 1 questions (2 code parts) checked at 1 variant(s)"]


def test_a_second_code_part_constructs_from_its_own_support_modules(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text("def make(seed=0):\n    return seed\n", encoding="utf-8")
    second = code(
        "b",
        file="b.py",
        indent=8,
        support="tiny.py",
        hidden="{construct: {fn: 'tiny:make'}}",
    )
    bank = write_bank(tmp_path, multipart("P1", code("a", file="a.py", indent=8), second))
    assert validate_paths([bank])[1] == []


def test_a_first_code_part_cannot_construct_from_a_later_parts_support_module(
    tmp_path: Path,
) -> None:
    (tmp_path / "tiny.py").write_text("def make(seed=0):\n    return seed\n", encoding="utf-8")
    first = code("a", file="a.py", indent=8, hidden="{construct: {fn: 'tiny:make'}}")
    second = code("b", file="b.py", indent=8, support="tiny.py")
    bank = write_bank(tmp_path, multipart("P1", first, second))
    with pytest.raises(AuthoringError) as caught:
        load_bank(bank)
    (problem,) = caught.value.problems
    assert problem.path == "questions[0].parts[0].hidden.args.rewards.construct.fn"
    assert "'tiny' is not one of this question's support modules (none)" in problem.message
