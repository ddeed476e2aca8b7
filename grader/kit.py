"""Student kits and self-check.

A kit is what a student may see: the paper, a stub for every code question, an
``answers.yaml`` template, the question's support modules and the visible cases with
their expected outputs (``kit.json``). It holds no hidden case, no answer key, no
reference implementation and no secret. ``check_kit`` grades a student's folder against
exactly that: code on the visible cases, every other answer for whether it can be read.
Values in ``kit.json`` are tagged JSON (``{"__tensor__": ..., "dtype": ...}``), never pickle.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from grader import checks
from grader.cases import build_cases, expected_outputs
from grader.keys import resolve
from grader.loading import LoadedExam
from grader.render import paper_markdown
from grader.results import CaseResult, QuestionResult, QuestionStatus, SubmissionResult
from grader.sandbox import (
    CaseInput,
    CodeJob,
    Construct,
    Device,
    Limits,
    Runner,
    Tolerance,
    compare,
    resolve_device,
)
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
)
from grader.submissions import read_submission

__all__ = ["build_kit", "check_kit", "encode_value", "decode_value", "SELF_CHECK_NOTE"]

KIT_FORMAT = 1
SELF_CHECK_NOTE = (
    "Self-check: only the visible cases were run and other answers were only checked for being readable. "
    "Hidden cases and answer keys are applied at grading time."
)

_DTYPES = {
    "float64",
    "float32",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "bool",
    "int8",
    "uint8",
    "int16",
}


def encode_value(value: Any) -> Any:
    """A case value as tagged JSON."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        return {
            "__tensor__": t.float().tolist() if t.dtype == torch.bfloat16 else t.tolist(),
            "dtype": str(t.dtype).removeprefix("torch."),
        }
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, Construct):
        return {
            "__construct__": value.fn,
            "args": [encode_value(a) for a in value.args],
            "kwargs": {k: encode_value(v) for k, v in value.kwargs.items()},
        }
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a kit")


def decode_value(value: Any) -> Any:
    """Inverse of ``encode_value``; only allowlisted dtypes are rebuilt."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            dtype = str(value.get("dtype"))
            if dtype not in _DTYPES:
                raise ValueError(f"dtype {dtype!r} is not allowed in a kit")
            return torch.tensor(value["__tensor__"], dtype=getattr(torch, dtype))
        if "__ndarray__" in value:
            dtype = str(value.get("dtype"))
            if dtype not in _DTYPES - {"bfloat16"}:
                raise ValueError(f"dtype {dtype!r} is not allowed in a kit")
            return np.asarray(value["__ndarray__"], dtype=dtype)
        if "__construct__" in value:
            return Construct(
                str(value["__construct__"]),
                tuple(decode_value(a) for a in value.get("args", [])),
                {k: decode_value(v) for k, v in value.get("kwargs", {}).items()},
            )
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def _describe(q: Question, bank: Any, variant: int, qid: str) -> dict[str, Any]:
    rq = resolve(q, variant)
    d: dict[str, Any] = {"id": qid, "type": q.type, "marks": q.marks}
    if isinstance(q, MultipartQuestion):
        d["parts"] = [_describe(p, bank, variant, p.id) for p in q.parts]
    elif isinstance(q, McqQuestion):
        d["options"] = [o.label for o in rq.options]
    elif isinstance(q, NumericQuestion):
        d["shape"] = list(np.shape(np.asarray(rq.key, dtype=float)))
    elif isinstance(q, ExpressionQuestion):
        d["variables"] = {n: v.model_dump(exclude={"description"}) for n, v in q.variables.items()}
        d["functions"] = q.functions
        d["allow_sum"] = q.allow_sum
        d["asymptotic"] = q.equivalence == "asymptotic"
    elif isinstance(q, OrderingQuestion):
        d["steps"] = sorted(q.steps)
    elif isinstance(q, CodeQuestion):
        cases = build_cases(q, bank, rq.params, variant, include_hidden=False)
        expected = expected_outputs(q, cases)
        d.update(
            {
                "file": q.file,
                "function": q.function,
                "device": q.device,
                "forbid": q.forbid,
                "support": [Path(s).name for s in q.support],
                "compare": {
                    "rule": q.compare.rule if q.compare.rule != "custom" else "allclose",
                    "tolerances": {k: v.model_dump() for k, v in q.compare.tolerances.items()},
                },
                "limits": q.limits.model_dump(),
                "cases": [
                    {
                        "name": c.name,
                        "args": [encode_value(a) for a in c.sandbox.args],
                        "expected": encode_value(e),
                    }
                    for c, e in zip(cases, expected, strict=True)
                ],
            }
        )
    return d


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
    questions = []
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
    manifest = {
        "format": KIT_FORMAT,
        "exam": exam.exam.exam,
        "title": exam.exam.title,
        "variant": variant,
        "questions": questions,
    }
    (out / "kit.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    # The submission folder's name is the student's id; ``student:`` is only a cross-check,
    # written when the kit is made for one student.
    template: dict[str, Any] = {"student": student} if student else {}
    template |= {"exam": exam.exam.exam, "answers": answers}
    if variant:
        template["variant"] = variant
    (out / "answers.yaml").write_text(
        '# Fill in your answers. MCQ: [A, D]; numbers: 0.5 or "3/4"; formulas: plain math or LaTeX;\n'
        "# code: the name of your .py file. Run `grader check` here to self-check.\n"
        + yaml.safe_dump(template, sort_keys=False),
        encoding="utf-8",
    )
    written += [out / "kit.json", out / "answers.yaml"]
    return written


def _readable(d: dict[str, Any], answer: Any, qid: str) -> QuestionResult:
    kind = d["type"]
    if kind == "mcq":
        r = checks.check_mcq(answer, options=d["options"], correct=d["options"][:1])
    elif kind == "numeric":
        r = checks.check_numeric(
            answer, expected=np.zeros(d["shape"]).tolist() if d["shape"] else 0.0
        )
    elif kind == "expression":
        names = list(d["variables"])
        expected = (f"O({names[0]})" if d["asymptotic"] else names[0]) if names else "1"
        r = checks.check_expression(
            answer,
            expected=expected,
            variables=d["variables"],
            functions=d["functions"],
            allow_sum=d["allow_sum"],
            mode="asymptotic" if d["asymptotic"] else "exact",
        )
    elif kind == "ordering":
        r = checks.check_ordering(answer, expected=d["steps"])
    else:
        r = None
    if answer is None:
        return QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=d["marks"],
            status="missing",
            feedback="no answer given",
        )
    if r is not None and r.status in ("invalid", "unchecked"):
        return QuestionResult(
            question_id=qid, marks=0.0, max_marks=d["marks"], status=r.status, feedback=r.feedback
        )
    return QuestionResult(
        question_id=qid,
        marks=0.0,
        max_marks=d["marks"],
        status="unchecked",
        feedback="your answer can be read; it is marked at grading time",
    )


def _check_code(
    d: dict[str, Any],
    answer: Any,
    qid: str,
    folder: Path,
    files: dict[str, bytes],
    runner: Runner,
    kit: Path,
) -> QuestionResult:
    name = answer if isinstance(answer, str) and answer.strip() else d["file"]
    base = {"question_id": qid, "max_marks": d["marks"]}
    if name not in files:
        return QuestionResult(
            marks=0.0, status="missing", feedback=f"{name!r} is not in your folder", **base
        )
    support = {s: (kit / s).read_bytes() for s in d["support"]}
    files = {k: v for k, v in files.items() if k not in support}
    if name in support:
        return QuestionResult(
            marks=0.0,
            status="invalid",
            feedback=f"{name!r} is provided by the question; use {d['file']!r}",
            **base,
        )
    cases = [decode_value(c["args"]) for c in d["cases"]]
    limits = Limits(
        cpu_seconds=d["limits"]["cpu_seconds"],
        job_wall_seconds=d["limits"]["wall_seconds"],
        memory_mb=d["limits"]["memory_mb"],
    )
    device: Device = resolve_device(d["device"])
    job = CodeJob(
        files=files,
        entry=name,
        function=d["function"],
        support_files=support,
        limits=limits,
        device=device,
        forbid=frozenset(d["forbid"]),
        cases=[
            CaseInput(args=tuple(a), visible=True, name=c["name"])
            for a, c in zip(cases, d["cases"], strict=True)
        ],
    )
    outcomes = runner.run(job)
    tolerances = {k: Tolerance(v["rtol"], v["atol"]) for k, v in d["compare"]["tolerances"].items()}
    results = []
    for c, out in zip(d["cases"], outcomes, strict=True):
        if out.status != "ok":
            results.append(
                CaseResult(
                    name=c["name"],
                    visible=True,
                    passed=False,
                    status=out.status,
                    message=f"{c['name']}: {out.message}",
                )
            )
            continue
        cmp = compare(
            decode_value(c["expected"]),
            out.value,
            d["compare"]["rule"],
            tolerances,
            device,
            show_values=True,
        )
        results.append(
            CaseResult(
                name=c["name"],
                visible=True,
                passed=cmp.passed,
                status=out.status,
                message="" if cmp.passed else f"{c['name']}: {cmp.message}",
            )
        )
    n = sum(r.passed for r in results)
    lines = [f"passed {n} of {len(results)} visible cases"] + [
        r.message for r in results if not r.passed
    ]
    status: QuestionStatus = (
        "correct"
        if results and n == len(results)
        else ("incorrect" if n == 0 else "partially_correct")
    )
    return QuestionResult(
        marks=0.0, status=status, feedback="\n".join(lines), cases=tuple(results), **base
    )


def _check_one(
    d: dict[str, Any],
    answer: Any,
    qid: str,
    folder: Path,
    files: dict[str, bytes],
    runner: Runner,
    kit: Path,
) -> QuestionResult:
    if d["type"] == "multipart":
        given = answer if isinstance(answer, dict) else {}
        parts = tuple(
            _check_one(p, given.get(p["id"]), f"{qid}/{p['id']}", folder, files, runner, kit)
            for p in d["parts"]
        )
        return QuestionResult(
            question_id=qid,
            marks=0.0,
            max_marks=d["marks"],
            status="unchecked",
            feedback="\n".join(f"[{p.question_id.split('/')[-1]}] {p.feedback}" for p in parts),
            parts=parts,
        )
    if d["type"] == "code":
        return _check_code(d, answer, qid, folder, files, runner, kit)
    return _readable(d, answer, qid)


def check_kit(kit: Path, folder: Path, runner: Runner) -> SubmissionResult:
    """Self-check the answers in ``folder`` against the kit in ``kit`` (visible cases only)."""
    manifest = json.loads((kit / "kit.json").read_text(encoding="utf-8"))
    ids = [d["id"] for d in manifest["questions"]]
    sub = read_submission(folder, exam_id=manifest["exam"], known_questions=ids)
    results = tuple(
        _check_one(d, sub.answers.get(d["id"]), d["id"], folder, dict(sub.files), runner, kit)
        for d in manifest["questions"]
    )
    return SubmissionResult(
        student=sub.student,
        exam=manifest["exam"],
        variant=int(manifest.get("variant", 0)),
        problems=sub.problems,
        questions=results,
    )
