"""Command-line mistakes (issue 21, items 7 and 8): each is one error line naming the
option, exit status 2, no traceback, before any work starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import ExitCode, main

FIX = Path(__file__).parent / "fixtures"
EXAM = str(FIX / "good" / "exam.yaml")
CLASS = str(FIX / "class")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``grader ARGV`` in this process: (exit status, standard error)."""
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own exit
        rc = int(exc.code or 0)
    return rc, capsys.readouterr().err


# (argv, the option the message must name); "FILE" is a file, "NOWHERE" does not exist
MISTAKES = [
    (["grade", EXAM, CLASS, "--out", "FILE"], "--out"),
    (["grade", EXAM, CLASS, "--out", "FILE/sub"], "--out"),
    (["grade", EXAM, CLASS, "--workers", "0"], "--workers"),
    (["grade", EXAM, CLASS, "--workers", "two"], "--workers"),
    (
        ["grade", EXAM, CLASS, "--backend", "ray", "--ray-cpus-per-actor", "0"],
        "--ray-cpus-per-actor",
    ),
    (["grade", EXAM, CLASS, "--ray-cpus-per-actor", "half"], "--ray-cpus-per-actor"),
    (["grade", EXAM, CLASS, "--roster", "NOWHERE.csv"], "--roster"),
    (["grade", EXAM, CLASS, "--secret-file", "NOWHERE"], "--secret-file"),
    (["grade", EXAM, CLASS, "--regrade", "Q99"], "--regrade"),
    (["review", EXAM, "--port", "70000"], "--port"),
    (["render", EXAM, "--out", "FILE"], "--out"),
    (["render", EXAM, "--roster", "NOWHERE.csv"], "--roster"),
    (["render", EXAM, "--variants", "-1"], "--variants"),
    (["render", EXAM, "--secret-file", "NOWHERE"], "--secret-file"),
    (["kit", EXAM, "--out", "FILE"], "--out"),
    (["kit", EXAM, "--out", "x", "--secret-file", "NOWHERE"], "--secret-file"),
    (["check", "NOWHERE"], "FOLDER"),
    (["check", ".", "--kit", "FILE"], "--kit"),
    (["export", EXAM, "--to", "canvas", "--out", "NOWHERE/grades.csv"], "--out"),
    (["export", EXAM, "--to", "canvas", "--out", "."], "--out"),
    (["export", EXAM, "--to", "canvas", "--out", "g.csv", "--roster", "NOWHERE"], "--roster"),
    (["import", "--from", "canvas", "NOWHERE.zip", "--roster", "FILE", "--out", "s"], "ARCHIVE"),
    (["import", "--from", "canvas", "FILE", "--roster", "NOWHERE", "--out", "s"], "--roster"),
    (["import", "--from", "canvas", "FILE", "--roster", "FILE", "--out", "FILE"], "--out"),
    (["new", "course", "FILE"], "DIR"),
    (["schema", "--out", "NOWHERE/schema.json"], "--out"),
    (["validate", EXAM, "--variants", "-3"], "--variants"),
]


@pytest.mark.parametrize(
    ("argv", "option"), MISTAKES, ids=[" ".join(a[:1] + [o]) for a, o in MISTAKES]
)
def test_a_command_line_mistake_is_one_line_naming_the_option_with_exit_status_2(
    argv: list[str],
    option: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("not a folder\n")
    rc, err = _run(argv, capsys)
    assert rc == ExitCode.ERROR
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert f"argument {option}" in last, err
    assert not (tmp_path / "out").exists()  # refused before any work


def test_regrade_of_an_unknown_question_names_the_known_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, err = _run(["grade", EXAM, CLASS, "--regrade", "M1", "Q99", "--quiet"], capsys)
    assert rc == ExitCode.ERROR
    assert "'Q99'" in err and "M1, N1, E1, O1, T1, C1, P1" in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_given_as_out_gives_no_traceback_from_the_console_script(tmp_path: Path) -> None:
    (tmp_path / "FILE").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", EXAM, CLASS, "--out", str(tmp_path / "FILE")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "argument --out:" in done.stderr and "is a file" in done.stderr
