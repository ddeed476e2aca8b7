"""Run inside Gradescope: the autograder zip's layout, a course of its own shipped with its
references, and `run_autograder` in a temporary root laid out like Gradescope's container
(source/ unpacked from the zip, submission/, results/), with the bubblewrap sandbox, its
results.json validated against the JSON Schema of Gradescope's specification."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import torch

from grader.cases import build_cases, expected_outputs
from grader.cli import main
from grader.lms.gradescope_autograder import (
    MANIFEST_NAME,
    AutograderManifest,
    autograder_zip,
    course_files,
)
from grader.lms.gradescope_results import results_schema, submission_student
from grader.loading import load_exam
from grader.schema import CodeQuestion
from grader.variants import draw_params

REPO = Path(__file__).resolve().parents[2]
QUIZ = REPO / "questions" / "quiz-2025" / "exam.yaml"
PAPER = REPO / "submissions" / "quiz-2025" / "paper"


@pytest.fixture(scope="module")
def fake_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file shaped like the grader's wheel; the container test uses this interpreter."""
    path = tmp_path_factory.mktemp("wheel") / "llm_exam_grader-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("grader/__init__.py", "")
    return path


def _container(tmp: Path, zip_bytes: bytes) -> Path:
    """A root laid out like /autograder: source/ (the zip), submission/, results/."""
    root = tmp / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    return root


def _run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GRADER_AUTOGRADER_ROOT": str(root),
        "GRADER_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _results(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(doc, results_schema())
    return doc


def test_zip_has_setup_and_run_autograder_at_its_root_with_the_exam_and_the_wheel(
    fake_wheel: Path,
) -> None:
    data = autograder_zip(load_exam(QUIZ), fake_wheel)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        manifest = AutograderManifest.from_json(z.read(MANIFEST_NAME).decode())
        setup = z.read("setup.sh").decode()
    assert names == {
        "setup.sh",
        "run_autograder",
        MANIFEST_NAME,
        "course/exam.yaml",
        "course/bank.yaml",
        f"wheels/{fake_wheel.name}",
    }
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert manifest == AutograderManifest("quiz-2025", "course/exam.yaml", "after_due_date")
    assert f"$SOURCE/wheels/{fake_wheel.name}" in setup
    assert "bubblewrap" in setup and "download.pytorch.org/whl/cpu" in setup
    assert "@" not in setup.replace("$@", "")  # every placeholder filled


def test_same_exam_gives_the_same_zip(fake_wheel: Path) -> None:
    exam = load_exam(QUIZ)
    assert autograder_zip(exam, fake_wheel) == autograder_zip(exam, fake_wheel)


def test_a_course_of_its_own_ships_its_reference_folders_at_their_places(
    tmp_path: Path, fake_wheel: Path
) -> None:
    assert main(["new", "course", str(tmp_path / "course")]) == 0
    exam = load_exam(tmp_path / "course" / "questions" / "first-exam" / "exam.yaml")
    files = course_files(exam)
    assert "course/refs/course_refs/softmax.py" in files
    assert "course/questions/first-exam/exam.yaml" in files
    assert not any("submissions" in name for name in files)
    # unpacked, the exam still loads and finds its references
    data = autograder_zip(exam, fake_wheel)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(tmp_path / "source")
    assert main(["validate", str(tmp_path / "source" / "course" / "questions")]) == 0


def test_export_refuses_a_wheel_that_is_not_the_graders(tmp_path: Path) -> None:
    other = tmp_path / "numpy-2.0-py3-none-any.whl"
    other.write_bytes(b"")
    out = tmp_path / "autograder.zip"
    args = ["export", str(QUIZ), "--to", "gradescope-autograder", "--out", str(out)]
    assert main([*args, "--wheel", str(other)]) != 0
    assert not out.exists()


def test_student_comes_from_submission_metadata_sid_then_email(tmp_path: Path) -> None:
    meta = tmp_path / "submission_metadata.json"
    assert submission_student(meta) == "submission"
    meta.write_text(json.dumps({"users": [{"sid": "s123", "email": "a@b.org", "id": 7}]}))
    assert submission_student(meta) == "s123"
    meta.write_text(json.dumps({"users": [{"sid": "", "email": "a@b.org", "id": 7}]}))
    assert submission_student(meta) == "a@b.org"
    meta.write_text(json.dumps({"users": [{"sid": "../x y", "email": None, "id": 7}]}))
    assert submission_student(meta) == "7"
    meta.write_text("{not json")
    assert submission_student(meta) == "submission"


def _hidden_values(exam_path: Path, qid: str) -> list[str]:
    """Inputs and expected outputs of ``qid``'s hidden cases (variant 0), as text that would
    show them: every number at the precisions a message could print."""
    exam = load_exam(exam_path)
    question = exam.questions[qid]
    assert isinstance(question, CodeQuestion)
    bank = exam.question_bank[qid]
    params = draw_params(question.params, 0, qid)
    cases = [c for c in build_cases(question, bank, params, 0) if not c.visible]
    assert cases
    values: list[float] = []
    for case, out in zip(
        cases, expected_outputs(question, cases, folders=bank.reference_folders), strict=True
    ):
        for v in (*case.reference_args, out):
            if isinstance(v, torch.Tensor):
                values += v.detach().double().flatten().tolist()[:8]
            elif isinstance(v, np.ndarray):
                values += v.astype(float).flatten().tolist()[:8]
    texts = {f"{v:.4f}" for v in values if abs(v) > 1e-3 and v != round(v)}
    return sorted(texts)


@pytest.mark.slow
@pytest.mark.sandbox
def test_run_autograder_grades_like_grader_grade_and_keeps_hidden_cases_hidden(
    tmp_path: Path, fake_wheel: Path
) -> None:
    root = _container(tmp_path, autograder_zip(load_exam(QUIZ), fake_wheel))
    shutil.copytree(PAPER, root / "submission", dirs_exist_ok=True)
    (root / "submission_metadata.json").write_text(
        json.dumps({"users": [{"sid": "paper", "email": "paper@uni.edu", "id": 11}]})
    )
    done = _run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = _results(root)

    shutil.copytree(PAPER, tmp_path / "class" / "paper")
    graded = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(QUIZ), str(tmp_path / "class")]
        + ["--out", str(tmp_path / "out"), "--quiet"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert graded.returncode == 0, graded.stderr
    with (tmp_path / "out" / "gradebook.csv").open() as f:
        row = next(r for r in csv.DictReader(f) if r["Student ID"] == "paper")
    assert doc["score"] == pytest.approx(float(row["Total"]))
    by_question = {t["name"]: t for t in doc["tests"] if "max_score" in t}
    assert sum(t["score"] for t in by_question.values()) == pytest.approx(doc["score"])
    assert by_question["Q3"]["max_score"] == 2

    hidden = [t for t in doc["tests"] if t["name"].endswith("(hidden case)")]
    visible = [t for t in doc["tests"] if t["name"].startswith("Q3: ") and t not in hidden]
    assert hidden and visible
    assert {t["visibility"] for t in hidden} == {"after_due_date"}
    assert {t["visibility"] for t in visible} == {"visible"}
    text = json.dumps(doc)
    leaked = [v for v in _hidden_values(QUIZ, "Q3") if v in text]
    assert not leaked


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_broken_submission_still_gets_valid_results_that_say_what_is_wrong(
    tmp_path: Path, fake_wheel: Path
) -> None:
    root = _container(tmp_path, autograder_zip(load_exam(QUIZ), fake_wheel))
    sub = root / "submission"
    (sub / "answers.yaml").write_text(
        "student: someone-else\nanswers:\n  Q3: q3.py\n  Q5: 124356864\n  Q6b: q6b.py\n"
    )
    (sub / "q3.py").write_text("def instruction_tuning_loss(:\n")  # a syntax error
    done = _run_autograder(root)  # no submission_metadata.json: student "submission"
    assert done.returncode == 0, done.stdout + done.stderr
    doc = _results(root)
    received = doc["tests"][0]
    assert received["name"] == "Submission received" and received["status"] == "failed"
    assert received["visibility"] == "visible"
    assert "someone-else" in received["output"]
    tests = {t["name"]: t for t in doc["tests"]}
    assert tests["Q3"]["score"] == 0 and "syntax" in tests["Q3"]["output"].lower()
    assert tests["Q6b"]["score"] == 0 and "q6b.py" in tests["Q6b"]["output"]
    assert doc["score"] == pytest.approx(3.0)  # Q5 (3 marks) alone


def test_run_without_a_manifest_writes_results_that_claim_no_mark(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    from grader.lms.gradescope_results import run

    assert run(root) == 1
    doc = _results(root)
    assert "not your mark" in doc["output"]
