"""Student kits and self-check.

A kit is what a student may see: the paper, a stub for every code question, an
``answers.yaml`` template, the question's support modules and the visible cases with
their expected outputs (``kit.json``, a ``KitManifest``). It holds no hidden case, no
answer key, no reference implementation and no secret. ``check_kit`` (``grader.kit_check``)
grades a student's folder against exactly that.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from grader.cases import build_cases, expected_outputs
from grader.keys import resolve
from grader.kit_check import SELF_CHECK_NOTE, check_kit
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
    KitQuestion,
    KitText,
    decode_value,
    encode_value,
    write_manifest,
)
from grader.loading import LoadedBank, LoadedExam
from grader.render import paper_markdown
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

__all__ = ["build_kit", "check_kit", "encode_value", "decode_value", "SELF_CHECK_NOTE"]


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
