"""Auto-graded exams for courses on Large Language Models.

The public surface is this ``__all__``; everything else is implementation. The pipeline
reads top to bottom: ``loading`` (banks and exams) -> ``checks`` (non-code answers) and
``sandbox`` (student code) -> ``scoring`` -> gradebook -> reports, driven by ``cli``.
"""

from grader._version import __version__
from grader.errors import (
    AuthoringError,
    GraderError,
    InfrastructureError,
    Problem,
    SubmissionError,
)
from grader.loading import LoadedBank, LoadedExam, load_bank, load_exam, validate_paths
from grader.results import CheckResult

__all__ = [
    "AuthoringError",
    "CheckResult",
    "GraderError",
    "InfrastructureError",
    "LoadedBank",
    "LoadedExam",
    "Problem",
    "SubmissionError",
    "__version__",
    "load_bank",
    "load_exam",
    "validate_paths",
]
