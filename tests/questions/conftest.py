"""Shared fixtures of the question-bank tests: the two exams, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.loading import LoadedExam, load_exam

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "questions"
SUBMISSIONS = ROOT / "submissions"


@pytest.fixture(scope="session")
def midsem() -> LoadedExam:
    return load_exam("midsem-2025", QUESTIONS)


@pytest.fixture(scope="session")
def quiz() -> LoadedExam:
    return load_exam("quiz-2025", QUESTIONS)


@pytest.fixture(scope="session")
def exams(midsem: LoadedExam, quiz: LoadedExam) -> dict[str, LoadedExam]:
    return {"midsem-2025": midsem, "quiz-2025": quiz}
