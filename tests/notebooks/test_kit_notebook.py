"""The kit notebook: a valid notebook with a tagged cell per question, the folder kit's
visible cases and nothing more, and a self-check that works without the notebook's path."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import ROOT, TYPICAL

from grader.kit import build_kit
from grader.kit_manifest import KitManifest, read_manifest
from grader.loading import LoadedExam, load_exam
from grader.notebooks.convert import fill_kit_notebook
from grader.notebooks.kit_notebook import build_kit_notebook
from grader.notebooks.selfcheck import check_namespace
from grader.notebooks.slots import exam_slots


def cells(path: Path) -> list[nbformat.NotebookNode]:
    return list(nbformat.read(path, as_version=4).cells)


def test_the_kit_notebook_is_a_valid_notebook(kit_notebook: Path) -> None:
    nbformat.validate(nbformat.read(kit_notebook, as_version=4))


def test_every_question_has_a_tagged_cell_to_answer_in(
    kit_notebook: Path, midsem: LoadedExam
) -> None:
    tags = {t for c in cells(kit_notebook) for t in c.metadata.get("tags", [])}
    assert set(exam_slots(midsem)) <= tags
    assert {"answer:A1", "answer:B2c/var-S", "answer:B4a/formula"} <= tags
    assert "answer:B4a/code" not in tags and "B4a/code" in tags


def test_code_cells_hold_the_stub_and_the_questions_own_metadata(kit_notebook: Path) -> None:
    (b1a,) = [c for c in cells(kit_notebook) if c.metadata.get("tags") == ["B1a"]]
    assert b1a.metadata["grader"] == {"question": "B1a"}
    assert "def rnn_grad_A" in b1a.source


def test_the_kit_notebook_carries_exactly_the_folder_kits_manifest(
    kit_notebook: Path, midsem: LoadedExam, tmp_path: Path
) -> None:
    build_kit(midsem, tmp_path)
    (data,) = [c for c in cells(kit_notebook) if c.metadata.get("tags") == ["kit-data"]]
    kit_json = ast.literal_eval(data.source.split("KIT = ", 1)[1])  # our own cell
    assert KitManifest.model_validate_json(kit_json) == read_manifest(tmp_path / "kit.json")


def test_the_kit_notebook_holds_no_hidden_case_key_reference_or_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder kit's leak test (tests/grader/test_kit.py), on the same exam, as a notebook."""
    monkeypatch.setenv("GRADER_SECRET", "do-not-leak-this")
    exam = load_exam(ROOT / "tests" / "grader" / "fixtures" / "good" / "exam.yaml")
    text = build_kit_notebook(exam, tmp_path).read_text()
    for secret in (
        "do-not-leak-this",
        "-0.145",
        "2*n*r",
        "ranking_log_likelihood",
        "preferences:",
        "hidden",
        "mutant",
        "Worked solution",
        "permutation",
    ):
        assert secret not in text, secret


def kernel_namespace(notebook: Path, workdir: Path) -> dict[str, object]:
    """What a kernel holds after running every cell but the self-check (our trusted example)."""
    namespace: dict[str, object] = {"In": []}
    history: list[str] = []
    for cell in cells(notebook):
        if cell.cell_type != "code" or "self-check" in cell.metadata.get("tags", []):
            continue
        history.append(cell.source)
        if cell.metadata.get("grader", {}).get("question") is None:  # setup, answers, kit data
            exec(compile(cell.source, "<cell>", "exec"), namespace)  # noqa: S102 - our own cells
    namespace["In"] = history
    return namespace


def test_the_self_check_runs_from_the_kernel_without_the_notebook_file(
    kit_notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled = fill_kit_notebook(kit_notebook, TYPICAL, tmp_path / "nb" / "mine.ipynb")
    monkeypatch.chdir(tmp_path)  # Colab's /content: the setup cell writes support modules here
    namespace = kernel_namespace(filled, tmp_path)
    filled.unlink()  # the self-check never reads the notebook
    result, notes = check_namespace(namespace)
    assert notes == []
    by_id = {q.question_id: q for q in result.questions}
    assert by_id["B1a"].cases and by_id["B1a"].status == "correct"
    assert by_id["A1"].feedback == "your answer can be read; it is marked at grading time"
    assert (tmp_path / "tiny_lm.py").is_file()


def test_the_self_check_says_when_no_cell_defines_a_function(
    kit_notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace = kernel_namespace(kit_notebook, tmp_path)
    namespace["In"] = []
    result, notes = check_namespace(namespace)
    assert "no cell you have run defines `rnn_grad_A`; run its cell first" in notes


def test_grader_kit_format_ipynb_writes_one_notebook(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "grader", "kit", "midsem-2025", "--format", "ipynb"]
        + ["--out", str(tmp_path), "--questions", str(ROOT / "questions")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["midsem-2025.ipynb"]
    assert json.loads((tmp_path / "midsem-2025.ipynb").read_text())["nbformat"] == 4
