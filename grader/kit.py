"""Student kits and self-check.

A kit is what a student may see: the paper, a stub for every code question, an
``answers.yaml`` template, the question's support modules and the visible cases with
their expected outputs (``kit.json``, a ``KitManifest``). It holds no hidden case, no
answer key, no reference implementation and no secret. ``check_kit`` grades a student's
folder against exactly that: code on the visible cases, through the grader's own code path
(``code_jobs``: the same job, limits, comparison and messages as grading), every other
answer for whether it can be read.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from grader import checks
from grader.cases import build_cases, expected_outputs
from grader.code_jobs import (
    CaseRule,
    CodeSpec,
    NotRunnable,
    entry_file,
    job_limits,
    judge,
    status_of,
    tolerances_of,
)
from grader.keys import resolve
from grader.kit_manifest import (
    KIT_FORMAT,
    KitCase,
    KitCode,
    KitCompare,
    KitExpression,
    KitManifest,
    KitMcq,
    KitMultipart,
    KitNumeric,
    KitOrdering,
    KitPart,
    KitQuestion,
    KitText,
    decode_value,
    encode_value,
    read_manifest,
    write_manifest,
)
from grader.loading import LoadedBank, LoadedExam
from grader.notebooks.slots import kit_slots
from grader.render import paper_markdown
from grader.results import QuestionResult, SubmissionResult
from grader.sandbox import CaseInput, Runner, resolve_device
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    TextQuestion,
)
from grader.submissions import Submission, read_submission

__all__ = ["build_kit", "check_kit", "encode_value", "decode_value", "SELF_CHECK_NOTE"]

SELF_CHECK_NOTE = (
    "Self-check: only the visible cases were run and other answers were only checked for "
    "being readable. Hidden cases and answer keys are applied at grading time."
)


def _describe_code(q: CodeQuestion, bank: LoadedBank, variant: int, qid: str) -> KitCode:
    rq = resolve(q, variant, folders=bank.reference_folders)
    cases = build_cases(q, bank, rq.params, variant, include_hidden=False)
    expected = expected_outputs(q, cases, folders=bank.reference_folders)
    return KitCode(
        type="code",
        id=qid,
        marks=q.marks,
        file=q.file,
        function=q.function,
        device=q.device,
        forbid=list(q.forbid),
        support=[Path(s).name for s in q.support],
        compare=KitCompare(
            # a custom compare is the author's code, which a kit does not carry
            rule=q.compare.rule if q.compare.rule != "custom" else "allclose",
            tolerances=dict(q.compare.tolerances),
        ),
        limits=q.limits,
        determinism=q.determinism,
        cases=[
            KitCase(
                name=c.name,
                args=[encode_value(a) for a in c.sandbox.args],
                expected=encode_value(e),
            )
            for c, e in zip(cases, expected, strict=True)
        ],
    )


def _describe(q: Question, bank: LoadedBank, variant: int, qid: str) -> KitQuestion:
    """What the kit says about ``q``: nothing a student may not see."""
    if isinstance(q, MultipartQuestion):
        parts = [_describe(p, bank, variant, p.id) for p in q.parts]
        return KitMultipart(type="multipart", id=qid, marks=q.marks, parts=parts)  # type: ignore[arg-type]
    if isinstance(q, CodeQuestion):
        return _describe_code(q, bank, variant, qid)
    rq = resolve(q, variant, folders=bank.reference_folders)
    if isinstance(q, McqQuestion):
        return KitMcq(type="mcq", id=qid, marks=q.marks, options=[o.label for o in rq.options])
    if isinstance(q, NumericQuestion):
        shape = list(np.shape(np.asarray(rq.key, dtype=float)))
        return KitNumeric(type="numeric", id=qid, marks=q.marks, shape=shape)
    if isinstance(q, ExpressionQuestion):
        return KitExpression(
            type="expression",
            id=qid,
            marks=q.marks,
            variables={n: v.model_dump(exclude={"description"}) for n, v in q.variables.items()},
            functions=q.functions,
            allow_sum=q.allow_sum,
            asymptotic=q.equivalence == "asymptotic",
        )
    if isinstance(q, OrderingQuestion):
        return KitOrdering(type="ordering", id=qid, marks=q.marks, steps=sorted(q.steps))
    if isinstance(q, TextQuestion):
        return KitText(type="text", id=qid, marks=q.marks)
    raise TypeError(f"a kit cannot describe a {type(q).__name__}")


def _template_answer(q: Question) -> Any:
    if isinstance(q, MultipartQuestion):
        return {p.id: _template_answer(p) for p in q.parts}
    if isinstance(q, CodeQuestion):
        return q.file
    return None


def build_kit(
    exam: LoadedExam, out: Path, variant: int = 0, student: str | None = None
) -> list[Path]:
    """Write a student kit for ``exam`` into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    (out / "paper.md").write_text(paper_markdown(exam, variant, student), encoding="utf-8")
    written.append(out / "paper.md")
    questions: list[KitQuestion] = []
    answers: dict[str, Any] = {}
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        bank = exam.question_bank[qid]
        questions.append(_describe(q, bank, variant, qid))
        answers[qid] = _template_answer(q)
        subs = (
            [q]
            if isinstance(q, CodeQuestion)
            else [p for p in getattr(q, "parts", []) if isinstance(p, CodeQuestion)]
        )
        for code in subs:
            stub = out / code.file
            if not stub.exists():
                stub.write_text(code.stub, encoding="utf-8")
                written.append(stub)
            for rel in code.support:
                dest = out / Path(rel).name
                shutil.copyfile(bank.folder / rel, dest)
                written.append(dest)
    manifest = KitManifest(
        format=KIT_FORMAT,
        exam=exam.exam.exam,
        title=exam.exam.title,
        variant=variant,
        questions=questions,
    )
    write_manifest(manifest, out / "kit.json")
    # The submission folder's name is the student's id; ``student:`` is only a cross-check,
    # written when the kit is made for one student.
    template: dict[str, Any] = {"student": student} if student else {}
    template |= {"exam": exam.exam.exam, "answers": answers}
    if variant:
        template["variant"] = variant
    (out / "answers.yaml").write_text(
        '# Fill in your answers. MCQ: [A, D]; numbers: 0.5 or "3/4"; '
        "formulas: plain math or LaTeX;\n"
        "# code: the name of your .py file. Run `grader check` here to self-check.\n"
        + yaml.safe_dump(template, sort_keys=False),
        encoding="utf-8",
    )
    written += [out / "kit.json", out / "answers.yaml"]
    return written


def _missing(qid: str, marks: float) -> QuestionResult:
    """A blank answer, in grading's words."""
    return QuestionResult(
        question_id=qid, marks=0.0, max_marks=marks, status="missing", feedback="no answer given"
    )


def _readable(d: KitQuestion, answer: Any, qid: str) -> QuestionResult:
    """Whether a non-code answer can be read (checked against a made-up key)."""
    if answer is None:
        return _missing(qid, d.marks)
    r = None
    if isinstance(d, KitMcq):
        r = checks.check_mcq(answer, options=d.options, correct=d.options[:1])
    elif isinstance(d, KitNumeric):
        r = checks.check_numeric(answer, expected=np.zeros(d.shape).tolist() if d.shape else 0.0)
    elif isinstance(d, KitExpression):
        names = list(d.variables)
        expected = (f"O({names[0]})" if d.asymptotic else names[0]) if names else "1"
        r = checks.check_expression(
            answer,
            expected=expected,
            variables=d.variables,
            functions=d.functions,
            allow_sum=d.allow_sum,
            mode="asymptotic" if d.asymptotic else "exact",
        )
    elif isinstance(d, KitOrdering):
        r = checks.check_ordering(answer, expected=d.steps)
    if r is not None and r.status in ("invalid", "unchecked"):
        return QuestionResult(
            question_id=qid, marks=0.0, max_marks=d.marks, status=r.status, feedback=r.feedback
        )
    return QuestionResult(
        question_id=qid,
        marks=0.0,
        max_marks=d.marks,
        status="unchecked",
        feedback="your answer can be read; it is marked at grading time",
    )


def _code_spec(d: KitCode, kit: Path) -> CodeSpec:
    """The code question as grading would run it, from what the kit says about it."""
    return CodeSpec(
        file=d.file,
        function=d.function,
        device=resolve_device(d.device),
        forbid=tuple(d.forbid),
        support={s: (kit / s).read_bytes() for s in d.support},
        limits=job_limits(d.limits),
        rule=CaseRule(d.compare.rule, tolerances_of(d.compare.tolerances), d.determinism),
    )


def _check_code(
    d: KitCode, answer: Any, qid: str, submission: Submission, runner: Runner, kit: Path
) -> QuestionResult:
    """The visible cases run and judged as grading runs and judges them (no marks)."""
    if answer is None:
        return _missing(qid, d.marks)
    spec = _code_spec(d, kit)
    entry = entry_file(spec, answer, submission)
    if isinstance(entry, NotRunnable):
        return entry.result(qid, d.marks)
    cases = [
        CaseInput(args=tuple(decode_value(c.args)), visible=True, name=c.name) for c in d.cases
    ]
    job = spec.job(submission.files, entry, cases)
    outcomes = runner.run(job)
    expected = [decode_value(c.expected) for c in d.cases]
    judged = judge(spec, cases, expected, outcomes, counted="visible cases", files=job.files)
    return QuestionResult(
        question_id=qid,
        marks=0.0,
        max_marks=d.marks,
        status=status_of(judged.fraction),
        feedback="\n".join(judged.lines),
        cases=judged.cases,
    )


def _check_one(
    d: KitQuestion | KitPart,
    answer: Any,
    qid: str,
    submission: Submission,
    runner: Runner,
    kit: Path,
) -> QuestionResult:
    if isinstance(d, KitMultipart):
        given = answer if isinstance(answer, dict) else {}
        parts = tuple(
            _check_one(p, given.get(p.id), f"{qid}/{p.id}", submission, runner, kit)
            for p in d.parts
        )
        return QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=d.marks,
            status="unchecked",
            feedback="\n".join(f"[{p.question_id.split('/')[-1]}] {p.feedback}" for p in parts),
            parts=parts,
        )
    if isinstance(d, KitCode):
        return _check_code(d, answer, qid, submission, runner, kit)
    return _readable(d, answer, qid)


def check_kit(kit: Path, folder: Path, runner: Runner) -> SubmissionResult:
    """Self-check the answers in ``folder`` against the kit in ``kit`` (visible cases only).

    Raises ``SubmissionError`` when ``kit.json`` cannot be read (``read_manifest``)."""
    manifest = read_manifest(kit / "kit.json")
    ids = [d.id for d in manifest.questions]
    sub = read_submission(
        folder, exam_id=manifest.exam, known_questions=ids, code_slots=kit_slots(manifest)
    )
    results = tuple(
        _check_one(d, sub.answers.get(d.id), d.id, sub, runner, kit) for d in manifest.questions
    )
    return SubmissionResult(
        student=sub.student,
        exam=manifest.exam,
        variant=manifest.variant,
        problems=sub.problems,
        questions=results,
    )
