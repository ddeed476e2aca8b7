"""The `grader` command line: help for every verb, exit codes of validate and doctor."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import build_parser, main

GOOD = Path(__file__).parent / "fixtures" / "good"


def verbs() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(action.choices)


@pytest.mark.parametrize("verb", verbs())
def test_every_verb_has_a_complete_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert f"grader {verb}" in text
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = action.choices[verb]
    assert sub.description, f"{verb} has no description"
    for a in sub._actions:
        if a.dest != "help":
            assert a.help, f"{verb} option {a.dest} has no help text"


def test_validate_returns_0_on_a_clean_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(GOOD)]) == 0
    assert "ok: 2 file(s) valid" in capsys.readouterr().out


def test_validate_returns_1_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("bank: b\nquestions:\n  - id: X\n    type: mcq\n")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and "missing required field 'marks'" in err


def test_console_script_runs_as_a_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "grader", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("grader ")


def test_doctor_reports_python_torch_sandbox_and_cpus(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor"])
    out = capsys.readouterr().out
    for name in ("python", "torch", "cuda", "sandbox", "cpus"):
        assert name in out
