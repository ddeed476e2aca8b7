"""`grader check` starts fast (issue 18): the answers that are not code are checked and
shown first, and without a code answer to run nothing imports torch or starts a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.kit import build_kit
from grader.kit_check import SelfCheck, check_kit
from grader.loading import load_exam

ROOT = Path(__file__).resolve().parents[2]
EXAM = Path(__file__).parent / "fixtures" / "good" / "exam.yaml"

ANSWERS = """\
exam: demo-exam
answers:
  M1: [A, C]
  N1: 0.5
  E1: 2*n
  O1: null
  T1: attention weights
  C1: {code}
  P1:
    variance: "1/d"
    why: it keeps the scores small
"""


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kit")
    build_kit(load_exam(EXAM), folder)
    return folder


def _answers(kit: Path, folder: Path, code: str) -> Path:
    """A copy of ``kit`` with the answers filled in (``code``: C1's answer, ``null`` or a
    file name)."""
    folder.mkdir()
    for f in kit.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "answers.yaml").write_text(ANSWERS.format(code=code))
    return folder


def test_a_self_check_without_a_code_answer_imports_no_torch(kit: Path, tmp_path: Path) -> None:
    folder = _answers(kit, tmp_path / "s1", "null")
    script = (
        "import sys\n"
        "from grader.cli import main\n"
        "rc = main(['check', sys.argv[1]])\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
        "raise SystemExit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "M1: readable, marked at grading time" in proc.stdout
    assert "C1: missing" in proc.stdout
    assert "torch imported: False" in proc.stdout
    assert "NO SANDBOX" not in proc.stderr, "no student code runs, so there is nothing to warn of"


def test_blank_code_answers_leave_nothing_to_run(kit: Path, tmp_path: Path) -> None:
    assert not SelfCheck.read(kit, _answers(kit, tmp_path / "s1", "null")).has_code
    assert SelfCheck.read(kit, _answers(kit, tmp_path / "s2", "c1.py")).has_code


@pytest.mark.filterwarnings("ignore:NO SANDBOX:RuntimeWarning")
def test_every_answer_that_is_not_code_is_shown_before_the_code_runs(
    kit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _answers(kit, tmp_path / "s1", "c1.py")
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    shown = [line.split(":")[0] for line in out.splitlines() if line[:1].isupper()]
    # the kit's order is M1 N1 E1 O1 T1 C1 P1: the multipart P1 has no code, so it comes first
    assert shown[:7] == ["M1", "N1", "E1", "O1", "T1", "P1", "C1"]


@pytest.mark.filterwarnings("ignore:NO SANDBOX:RuntimeWarning")
def test_the_self_check_result_keeps_the_kit_s_order(kit: Path, tmp_path: Path) -> None:
    from grader.sandbox import InProcessRunner

    folder = _answers(kit, tmp_path / "s1", "c1.py")
    runner = InProcessRunner(workers=1)
    try:
        result = check_kit(kit, folder, runner)
    finally:
        runner.close()
    assert [q.question_id for q in result.questions] == ["M1", "N1", "E1", "O1", "T1", "C1", "P1"]


@pytest.mark.parametrize(
    ("text", "early"),
    [
        ("# code: the name of your .py file\nanswers:\n  C1: null\n", False),
        ("answers:\n  C1: c1.py\n", True),
        ("answers:\n  C1: work.ipynb\n", True),
        ("answers:\n  T1: attention  # see notes.py\n", False),
    ],
)
def test_the_worker_starts_at_once_only_when_an_answer_names_a_code_file(
    tmp_path: Path, text: str, early: bool
) -> None:
    from grader.cli_papers import _names_a_code_file

    (tmp_path / "answers.yaml").write_text(text)
    assert _names_a_code_file(tmp_path / "answers.yaml") is early
