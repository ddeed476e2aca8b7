"""A small class, written out by hand, for the golden files of the reports.

Four students of the demo exam (tests/grader/fixtures/good: M1 mcq 1.5, N1 numeric 1, E1
expression 1, O1 ordering 1, T1 text 2, C1 code 2, P1 multipart 3 = variance 2 + why 1):

- ``mia``, whose feedback page is a golden file: a TA override on T1 (1 -> 2), a part of
  P1 waiting for review, a grader ``error`` on C1 with a TA-only note, answers quoted back
  with CSV- and HTML-dangerous text, problems with her submission, E1 and O1 never graded;
- ``ben``: a TA decision on the part P1/why (0 -> 1), and T1 still provisional;
- two ids from a gradebook older than the id rule, ``=cmd|' /C calc'!A0`` and
  ``o'hara, "z"``, which a spreadsheet would run or split if they were not escaped.

``SUBMISSIONS`` and ``OVERRIDES`` are what grading and the TA would record; ``TABLE`` is the
table ``read_table`` must make of them (a test checks that it does), written by hand.
"""

from __future__ import annotations

from grader.gradebook import Override, StoredAnswer
from grader.reports.table import ClassTable, QuestionColumn, StudentRow
from grader.results import CaseResult, QuestionResult, SubmissionResult

EXAM = "demo-exam"
HOSTILE = "=cmd|' /C calc'!A0, <script>alert(1)</script> \"quoted\""
"""Student text that is a formula to a spreadsheet, script to a browser, and carries a
comma and quotes."""
SECRET_NOTE = "worker died on hidden input tensor([[0.3, -1.2]])"
"""A TA-only note: it must reach no student-facing output."""


def _q(
    question_id: str, marks: float, max_marks: float, status: str, **kw: object
) -> QuestionResult:
    return QuestionResult.model_validate(
        {"question_id": question_id, "marks": marks, "max_marks": max_marks, "status": status, **kw}
    )


def _p1(status: str, variance: QuestionResult, why: QuestionResult) -> QuestionResult:
    """P1 from its parts: their marks added up, waiting for review while a part is."""
    pending = variance.needs_review or why.needs_review
    parts = (variance, why)
    return _q("P1", variance.marks + why.marks, 3.0, status, needs_review=pending, parts=parts)


# ----------------------------------------------------------------------------- mia
MIA_M1 = _q(
    "M1",
    1.5,
    1.5,
    "correct",
    expected="A, C",
    solution="A and C: the scores are scaled by $1/\\sqrt{d_k}$.",
    answer_hash="a1",
    question_hash="h-M1",
    seconds=0.01,
)
MIA_N1 = _q("N1", 0.0, 1.0, "invalid", feedback=f"could not read {HOSTILE} as a number")
MIA_T1 = _q(
    "T1",
    1.0,
    2.0,
    "needs_review",
    feedback="provisional: 1 of 2 rubric points found",
    rubric_found=("perm",),
    needs_review=True,
)
MIA_C1 = _q(
    "C1",
    0.0,
    2.0,
    "error",
    feedback="the grader could not run your code; it will be graded again",
    author_note=SECRET_NOTE,
    cases=(
        CaseResult(name="the seed's triple", visible=True, passed=True, status="ok", seconds=0.25),
        CaseResult(
            name="case 2",
            visible=False,
            passed=False,
            status="sandbox_error",
            message="the grader failed on this case",
            seconds=0.5,
        ),
    ),
)


MIA_P1 = _p1(
    "needs_review",
    _q("P1/variance", 2.0, 2.0, "correct", expected="d_k"),
    _q(
        "P1/why",
        0.0,
        1.0,
        "needs_review",
        feedback=f"your answer: {HOSTILE}\nwaiting for a TA",
        needs_review=True,
        author_note=SECRET_NOTE,  # a part's TA note (the cost check's timing note is one)
    ),
)
MIA_PROBLEMS = (
    f"answer for unknown question {HOSTILE!r} ignored",
    "c1.py: line 3 is not Python: <img src=x onerror=alert(1)>",
)

# ----------------------------------------------------------------------------- ben
BEN_M1 = _q("M1", 0.0, 1.5, "incorrect", feedback="B is not correct")
BEN_N1 = _q("N1", 1.0, 1.0, "correct")
BEN_E1 = _q("E1", 1.0, 1.0, "correct")
BEN_O1 = _q("O1", 0.5, 1.0, "partially_correct", feedback="cls belongs before filt")
BEN_T1 = _q("T1", 0.5, 2.0, "needs_review", needs_review=True, rubric_found=("raw",))
BEN_C1 = _q(
    "C1",
    2.0,
    2.0,
    "correct",
    cases=(CaseResult(name="the seed's triple", visible=True, passed=True, status="ok"),),
)
BEN_P1 = _p1(
    "needs_review",
    _q("P1/variance", 2.0, 2.0, "correct"),
    _q("P1/why", 0.0, 1.0, "needs_review", needs_review=True),
)

# ---------------------------------------------------------- ids from an old gradebook
CMD = "=cmd|' /C calc'!A0"
CMD_M1 = _q("M1", 1.5, 1.5, "correct")
CMD_N1 = _q("N1", 0.0, 1.0, "incorrect")
CMD_T1 = _q("T1", 0.0, 2.0, "missing", feedback="not answered")

OHARA = 'o\'hara, "z"'
OHARA_M1 = _q("M1", 1.5, 1.5, "correct")
OHARA_N1 = _q("N1", 1.0, 1.0, "correct")
OHARA_E1 = _q("E1", 0.0, 1.0, "incorrect", feedback="expected an expression in n and r")
OHARA_C1 = _q(
    "C1",
    1.0,
    2.0,
    "partially_correct",
    feedback="passed 1 of 2 cases\n"
    "Your function returns the pairwise probability instead of the ranking log-likelihood.\n"
    "case 2: wrong shape",
    known_mistake="preferences:bradley_terry_prob",
    cases=(
        CaseResult(name="the seed's triple", visible=True, passed=True, status="ok"),
        CaseResult(
            name="large rewards (overflow)",
            visible=False,
            passed=False,
            status="ok",
            message="case 2: wrong shape",
        ),
    ),
)
OHARA_P1 = _p1(
    "correct",
    _q("P1/variance", 2.0, 2.0, "correct"),
    _q("P1/why", 1.0, 1.0, "correct", rubric_found=("sat",)),
)

# ------------------------------------------------------------------ as recorded
SUBMISSIONS = (
    SubmissionResult(
        student="mia",
        exam=EXAM,
        variant=7,
        problems=MIA_PROBLEMS,
        questions=(MIA_M1, MIA_N1, MIA_T1, MIA_C1, MIA_P1),
    ),
    SubmissionResult(
        student="ben",
        exam=EXAM,
        variant=3,
        questions=(BEN_M1, BEN_N1, BEN_E1, BEN_O1, BEN_T1, BEN_C1, BEN_P1),
    ),
    SubmissionResult(student=CMD, exam=EXAM, variant=0, questions=(CMD_M1, CMD_N1, CMD_T1)),
    SubmissionResult(
        student=OHARA,
        exam=EXAM,
        variant=1,
        questions=(OHARA_M1, OHARA_N1, OHARA_E1, OHARA_C1, OHARA_P1),
    ),
)
MIA_T1_OVERRIDE = Override("mia", "T1", 2.0, "both points are there, in other words", "ta-jo")
BEN_WHY_OVERRIDE = Override("ben", "P1/why", 1.0, "", "ta-jo")
OVERRIDES = (MIA_T1_OVERRIDE, BEN_WHY_OVERRIDE)


def folder(student: str) -> str:
    """The folder each submission is recorded with."""
    return f"submissions/{student}"


# ------------------------------------------------------------ the table, by hand
def _a(
    student: str,
    r: QuestionResult,
    marks: float | None = None,
    *,
    pending: bool = False,
    overridden: bool = False,
) -> StoredAnswer:
    """A stored answer: graded marks from ``r``; ``marks`` after a TA override."""
    final = r.marks if marks is None else marks
    return StoredAnswer(
        student, r.question_id, final, r.marks, r.max_marks, r.status, pending, overridden, r
    )


TABLE = ClassTable(
    exam=EXAM,
    questions=(
        QuestionColumn("M1", 1.5),
        QuestionColumn("N1", 1.0),
        QuestionColumn("E1", 1.0),
        QuestionColumn("O1", 1.0),
        QuestionColumn("T1", 2.0),
        QuestionColumn("C1", 2.0),
        QuestionColumn("P1", 3.0),
    ),
    students=(
        # sorted by id: "=" < "b" < "m" < "o"
        StudentRow(
            CMD,
            0,
            (),
            folder(CMD),
            (_a(CMD, CMD_M1), _a(CMD, CMD_N1), _a(CMD, CMD_T1)),
        ),
        StudentRow(
            "ben",
            3,
            (),
            folder("ben"),
            (
                _a("ben", BEN_M1),
                _a("ben", BEN_N1),
                _a("ben", BEN_E1),
                _a("ben", BEN_O1),
                _a("ben", BEN_T1, pending=True),
                _a("ben", BEN_C1),
                # the part's decision replaces its 0: 2 + (1 - 0) = 3; nothing left to review
                _a("ben", BEN_P1, 3.0, overridden=True),
            ),
            (BEN_WHY_OVERRIDE,),
        ),
        StudentRow(
            "mia",
            7,
            MIA_PROBLEMS,
            folder("mia"),
            (
                _a("mia", MIA_M1),
                _a("mia", MIA_N1),
                # the TA's 2 replaces the provisional 1; nothing left to review
                _a("mia", MIA_T1, 2.0, overridden=True),
                _a("mia", MIA_C1),
                _a("mia", MIA_P1, pending=True),
            ),
            (MIA_T1_OVERRIDE,),
        ),
        StudentRow(
            OHARA,
            1,
            (),
            folder(OHARA),
            tuple(_a(OHARA, r) for r in (OHARA_M1, OHARA_N1, OHARA_E1, OHARA_C1, OHARA_P1)),
        ),
    ),
)
