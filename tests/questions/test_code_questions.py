"""Code questions: stubs match their references, references run on the visible cases, every
mutant dies on hidden-like cases, and the KV-cache task's cost check separates O(t) from O(t^2)."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest
import torch

from grader.loading import LoadedExam, resolve_ref
from grader.schema import CodeQuestion, MultipartQuestion
from tests.questions import _cases
from tests.questions._cases import CODE_TASKS
from tests.questions._answers import growth_exponent, outputs_match

TASKS = CODE_TASKS
IDS = [f"{q}/{p}" if p else q for _, q, p in TASKS]
SLOW_TASKS = {"B5a-i-1", "B5a-i-2"}


def get(
    exams: dict[str, LoadedExam], exam_id: str, qid: str, part: str | None
) -> tuple[CodeQuestion, dict[str, Any]]:
    exam = exams[exam_id]
    q = exam.questions[qid]
    if isinstance(q, MultipartQuestion):
        q = next(p for p in q.parts if p.id == part)
    assert isinstance(q, CodeQuestion)
    return q, _cases.load_support(exam.question_bank[qid].folder, q)


def stub_params(q: CodeQuestion) -> list[str]:
    fn = next(
        n for n in ast.parse(q.stub).body if isinstance(n, ast.FunctionDef) and n.name == q.function
    )
    return [a.arg for a in fn.args.args]


@pytest.mark.parametrize("exam_id, qid, part", TASKS, ids=IDS)
def test_stub_reference_cases_and_mutants_share_one_signature(
    exams: dict[str, LoadedExam], exam_id: str, qid: str, part: str | None
) -> None:
    q, _ = get(exams, exam_id, qid, part)
    names = stub_params(q)
    assert list(inspect.signature(resolve_ref(q.reference)).parameters) == names
    for mutant in q.mutants:
        assert list(inspect.signature(resolve_ref(mutant.fn)).parameters) == names
    for case in q.visible:
        assert list(case.args) == names
    assert q.hidden is not None and list(q.hidden.args) == names and q.hidden.count >= 12
    assert 2 <= len(q.visible) <= 3 or (qid == "Q6c" and len(q.visible) >= 1)
    assert len(q.mutants) >= 2


@pytest.mark.parametrize("exam_id, qid, part", TASKS, ids=IDS)
def test_reference_gives_finite_outputs_on_visible_cases(
    exams: dict[str, LoadedExam], exam_id: str, qid: str, part: str | None
) -> None:
    q, support = get(exams, exam_id, qid, part)
    ref = resolve_ref(q.reference)
    for name, args in _cases.visible_cases(q, support):
        out = ref(*args)
        assert isinstance(out, torch.Tensor), name
        assert torch.isfinite(out.double()).all(), name


@pytest.mark.parametrize("exam_id, qid, part", TASKS, ids=IDS)
def test_every_mutant_differs_from_the_reference_on_some_hidden_like_case(
    exams: dict[str, LoadedExam], exam_id: str, qid: str, part: str | None
) -> None:
    q, support = get(exams, exam_id, qid, part)
    ref = resolve_ref(q.reference)
    cases = _cases.hidden_like_cases(q, support, count=8 if qid in SLOW_TASKS else None)
    wanted = [ref(*args) for _, args in cases]
    for mutant in q.mutants:
        if mutant.fn.endswith(":recompute_prefix"):
            continue  # right tokens by design; killed by the complexity check below
        fn = resolve_ref(mutant.fn)
        assert any(
            not outputs_match(fn(*args), want, q.compare.rule)
            for (_, args), want in zip(cases, wanted, strict=True)
        ), mutant


def test_rnn_gradient_matches_hand_computation_and_autograd(exams: dict[str, LoadedExam]) -> None:
    q, support = get(exams, "midsem-2025", "B1a", None)
    ref = resolve_ref(q.reference)
    (_, scalar), *_ = _cases.visible_cases(q, support)
    # h1 = 1, h2 = 1.5; dL/dh2 = 2 (3 - 1) = 4; dL/dh1 = 2 (2 - 0) + 0.5 * 4 = 6;
    # dL/dA = 6 h0 + 4 h1 = 4
    assert ref(*scalar).item() == pytest.approx(4.0)
    for _, (A, B, b, C, x, y_hat) in _cases.hidden_like_cases(q, support, count=4):
        A_ = A.clone().requires_grad_(True)
        h, loss = torch.zeros_like(b), 0.0
        for t in range(x.shape[0]):
            h = A_ @ h + B @ x[t] + b
            loss = loss + 0.5 * ((C @ h - y_hat[t]) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, A_)
        assert torch.allclose(ref(A, B, b, C, x, y_hat), grad)


def test_cached_and_uncached_references_generate_the_same_tokens(
    exams: dict[str, LoadedExam],
) -> None:
    q, support = get(exams, "midsem-2025", "B5a-i-2", None)
    no_cache = resolve_ref("exam_tasks.b5a:generate_no_cache")
    with_cache = resolve_ref(q.reference)
    cases = _cases.visible_cases(q, support) + _cases.hidden_like_cases(q, support, count=6)
    for name, args in cases:
        assert torch.equal(no_cache(*args), with_cache(*args)), name
    eos_case = next(args for name, args in cases if "eos" in name)
    out = with_cache(*eos_case)
    assert int(out[-1]) == eos_case[0].eos_id and len(out) < eos_case[2]


def test_kv_cache_complexity_check_passes_the_reference_and_kills_the_recompute_mutant(
    exams: dict[str, LoadedExam],
) -> None:
    q, support = get(exams, "midsem-2025", "B5a-i-2", None)
    assert q.complexity is not None
    ref_slope = growth_exponent(resolve_ref(q.reference), q, support)
    recompute_slope = growth_exponent(resolve_ref("mutants.b5a_i_2:recompute_prefix"), q, support)
    assert 0.9 < ref_slope < 1.5  # total FLOPs ~ a T + b T^2 over T = 8..64
    assert recompute_slope > ref_slope + q.complexity.slack + 0.5
