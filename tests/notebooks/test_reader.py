"""Taking answers out of a notebook: tagged cells only, read without running anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from notebook_helpers import code, markdown, notebook_bytes

from grader.notebooks import reader
from grader.notebooks.reader import CodeSlot, parse_notebook
from grader.submissions import read_submission

SLOTS = {"q3": CodeSlot("q3.py", "softmax"), "q4/code": CodeSlot("q4.py", "loss")}


def parse(*cells: object) -> reader.NotebookAnswers:
    return parse_notebook("hw.ipynb", notebook_bytes(*cells), SLOTS)


def test_cells_tagged_with_a_question_id_become_its_module_in_notebook_order() -> None:
    taken = parse(
        code("import math", "q3"),
        code("x = 1"),
        code("def softmax(z):\n    return z", "q3"),
    )
    source = taken.files["q3.py"].decode()
    assert source.index("import math") < source.index("def softmax")
    assert "x = 1" not in source
    assert taken.answers["q3"] == "q3.py"


def test_a_part_is_tagged_question_slash_part() -> None:
    taken = parse(code("def loss(a):\n    return a", "q4/code"))
    assert taken.answers == {"q4/code": "q4.py"}


def test_untagged_cells_with_a_loop_or_pip_install_are_not_taken() -> None:
    taken = parse(
        code("!pip install torch==1.0"),
        code("while True:\n    pass"),
        code("def softmax(z):\n    return z", "q3"),
    )
    assert b"while True" not in taken.files["q3.py"]
    assert b"pip install" not in taken.files["q3.py"]
    assert taken.notes == ()


def test_an_untagged_cell_defining_the_function_is_taken_and_the_student_is_told() -> None:
    taken = parse(
        code("def softmax(z):\n    return 0"),
        code("while True:\n    pass"),
        code("import torch\ndef softmax(z):\n    return z"),
    )
    assert taken.files["q3.py"].endswith(b"return z\n\n")
    assert any(
        "took q3's code from an untagged cell (cell 3) defining `softmax`" in n for n in taken.notes
    )


def test_magic_lines_in_a_tagged_cell_are_made_inert_keeping_line_numbers() -> None:
    taken = parse(code("%timeit 1\ndef softmax(z):\n    !ls\n    return z", "q3"))
    lines = taken.files["q3.py"].decode().splitlines()
    assert lines[1].startswith("pass  #") and lines[3].startswith("    pass  #")
    assert lines[2] == "def softmax(z):"


def test_answer_cells_are_read_as_plain_values() -> None:
    taken = parse(
        code('answer_A1 = "A, D"', "answer:A1"),
        code("answer_B = [0.8, -0.5, {'k': 1}]", "answer:B"),
        markdown("Self-attention has no order."),
    )
    assert taken.answers == {"A1": "A, D", "B": [0.8, -0.5, {"k": 1}]}


def test_a_markdown_answer_cell_gives_its_text() -> None:
    cell = markdown("  It saturates.  ")
    cell.metadata["tags"] = ["answer:B2"]
    assert parse(cell).answers == {"B2": "It saturates."}


@pytest.mark.parametrize(
    "source",
    [
        "answer = __import__('os').system('touch /tmp/pwned')",
        "answer = 1 + 2",
        "answer = " + "[" * 5000 + "]" * 5000,
        "answer = (",
        "print('hi')",
    ],
)
def test_an_answer_that_is_not_a_plain_value_is_not_read_and_the_student_is_told(
    source: str,
) -> None:
    taken = parse(code(source, "answer:A1"))
    assert "A1" not in taken.answers
    assert len(taken.notes) == 1 and "answer:A1" in taken.notes[0]


def test_text_that_is_not_json_is_a_problem_for_the_student() -> None:
    taken = parse_notebook("hw.ipynb", b"{not json", SLOTS)
    assert taken.files == {} and taken.answers == {}
    assert "hw.ipynb cannot be read as a notebook" in taken.notes[0]


def test_a_notebook_failing_the_schema_is_a_problem_for_the_student() -> None:
    nb = json.loads(notebook_bytes(code("def softmax(z): return z", "q3")))
    nb["cells"][0]["cell_type"] = "spreadsheet"
    taken = parse_notebook("hw.ipynb", json.dumps(nb).encode(), SLOTS)
    assert taken.files == {}
    assert "hw.ipynb is not a valid notebook" in taken.notes[0]


def test_a_tag_naming_no_code_question_leaves_the_cell_untagged() -> None:
    taken = parse(code("x = 1", "q9"))
    assert taken.files == {}
    assert taken.notes == ()  # a stray tag is an ordinary untagged cell


def test_a_folder_with_only_a_notebook_is_graded_from_it(tmp_path: Path) -> None:
    (tmp_path / "hw.ipynb").write_bytes(
        notebook_bytes(code("def softmax(z):\n    return z", "q3"), code('a = "B"', "answer:A1"))
    )
    sub = read_submission(tmp_path, known_questions={"q3", "A1"}, code_slots=SLOTS)
    assert sub.problems == ()
    assert sub.answers == {"q3": "q3.py", "A1": "B"}
    assert b"def softmax" in sub.files["q3.py"] and sub.notebook == "hw.ipynb"


def test_answers_yaml_can_name_the_notebook_and_its_own_answers_win(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("notebook: work.ipynb\nanswers:\n  A1: C\n")
    (tmp_path / "work.ipynb").write_bytes(
        notebook_bytes(code('a = "B"', "answer:A1"), code('a = "D"', "answer:A2"))
    )
    sub = read_submission(tmp_path, known_questions={"A1", "A2"}, code_slots=SLOTS)
    assert sub.answers == {"A1": "C", "A2": "D"}
    kept = "A1 is answered in answers.yaml and in work.ipynb; answers.yaml's kept"
    assert sub.problems == (kept,)


def test_a_notebook_named_with_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("notebook: ../other/work.ipynb\n")
    sub = read_submission(tmp_path, code_slots=SLOTS)
    assert sub.notebook is None
    assert "without folders" in sub.problems[0]


def test_several_notebooks_without_answers_yaml_ask_which_one(tmp_path: Path) -> None:
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_bytes(notebook_bytes())
    sub = read_submission(tmp_path, code_slots=SLOTS)
    assert any("several notebooks (a.ipynb, b.ipynb)" in p for p in sub.problems)


def test_an_oversized_notebook_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_NOTEBOOK_BYTES", 100)
    (tmp_path / "hw.ipynb").write_bytes(notebook_bytes(code("x = 1" * 100, "q3")))
    sub = read_submission(tmp_path, code_slots=SLOTS)
    assert sub.files == {}
    assert "the limit is" in sub.problems[0] and "notebook" in sub.problems[0]


def test_a_notebook_link_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(notebook_bytes(code('a = "B"', "answer:A1")))
    folder = tmp_path / "s1"
    folder.mkdir()
    (folder / "hw.ipynb").symlink_to(secret)
    sub = read_submission(folder, code_slots=SLOTS)
    assert sub.answers == {}
    assert "symbolic link" in sub.problems[0]


def test_changing_an_answer_cell_changes_the_submissions_content_hash(tmp_path: Path) -> None:
    from grader.classroom import content_hash

    def hash_with(answer: str) -> str:
        (tmp_path / "hw.ipynb").write_bytes(notebook_bytes(code(answer, "answer:A1")))
        return content_hash(read_submission(tmp_path, code_slots=SLOTS))

    assert hash_with('a = "B"') != hash_with('a = "C"')
