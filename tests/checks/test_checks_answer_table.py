"""Table-driven: student-style answers (right in many forms, wrong, malformed) for every type.

Each row is (question, answer, expected status). Questions are the seed papers' where there
is one: MCQ A1-A4, the numeric answers, and the expressions and bounds of parts B.
"""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks import check_expression, check_mcq, check_numeric, check_ordering, check_text
from grader.results import CheckResult

P: dict[str, object] = {"positive": True}
PI: dict[str, object] = {"positive": True, "integer": True}

QUESTIONS: dict[str, tuple[Any, dict[str, Any]]] = {
    # ---- MCQ (seed papers A1-A4; all options A-E)
    "A1": (check_mcq, {"options": ["A", "B", "C", "D", "E"], "correct": ["A", "D"]}),
    "A2": (check_mcq, {"options": ["A", "B", "C", "D"], "correct": ["A", "D"]}),
    "A3": (check_mcq, {"options": ["A", "B", "C", "D"], "correct": ["B", "D"]}),
    "A4": (check_mcq, {"options": ["A", "B", "C", "D", "E"], "correct": ["A", "E"]}),
    # ---- numeric
    "context_vector": (check_numeric, {"expected": [0.8, 0.5, 0.0], "atol": 1e-6}),
    "advantage": (check_numeric, {"expected": -0.145, "rtol": 1e-6}),
    "advantage_2": (check_numeric, {"expected": -1.49875, "rtol": 1e-6}),
    "lora_r": (check_numeric, {"expected": 4}),
    "param_count": (check_numeric, {"expected": 124356864, "rtol": 0.0}),
    "variance": (check_numeric, {"expected": 1}),
    "matrix": (check_numeric, {"expected": [[1, 0], [0, 1]]}),
    "prob": (check_numeric, {"expected": 0.5, "atol": 0.01, "rtol": 0.0}),
    # ---- expressions
    "var_s": (check_expression, {"expected": "d_k", "variables": {"d_k": P}}),
    "perplexity": (
        check_expression,
        {"expected": "(p_1*p_2*p_3)^(-1/3)", "variables": {"p_1": P, "p_2": P, "p_3": P}},
    ),
    "lora_params": (check_expression, {"expected": "2*n*r", "variables": {"n": PI, "r": PI}}),
    "kv_cache": (
        check_expression,
        {
            "expected": "L*H*(m+T)*d_k*b",
            "variables": {"L": PI, "H": PI, "m": PI, "T": PI, "d_k": PI, "b": P},
            "mode": "multiplicative_constant",
        },
    ),
    "kv_cache_exact": (
        check_expression,
        {
            "expected": "2*L*H*(m+T)*d_k*b",
            "variables": {"L": PI, "H": PI, "m": PI, "T": PI, "d_k": PI, "b": P},
        },
    ),
    "optimal_reward": (
        check_expression,
        {
            "expected": "beta*log(pi_star/pi_ref) + c",
            "variables": {
                "beta": {"positive": True, "constant": True, "aliases": ["β"]},
                "pi_star": {"positive": True, "aliases": ["\\pi^*", "pi*", "π*"]},
                "pi_ref": {"positive": True, "aliases": ["\\pi_{\\text{ref}}", "pi_0"]},
                "c": {"constant": True, "aliases": ["C", "Z", "const"]},
            },
            "mode": "additive_constant",
        },
    ),
    "bradley_terry": (
        check_expression,
        {
            "expected": "log(sigma(r1-r2)) + log(sigma(r1-r3)) + log(sigma(r2-r3))",
            "variables": {"r1": {"real": True}, "r2": {"real": True}, "r3": {"real": True}},
        },
    ),
    "zero_stage1": (
        check_expression,
        {
            "expected": "2*P + 2*P + 12*P/N",
            "variables": {
                "P": {"positive": True, "aliases": ["\\Psi", "Ψ"]},
                "N": {**PI, "aliases": ["N_d"]},
            },
        },
    ),
    "sum_squares": (
        check_expression,
        {"expected": "sum(i^2, i, 1, n)", "variables": {"n": PI}, "allow_sum": True},
    ),
    # ---- as written in questions/midsem-2025 (aliases written as applications, descriptions)
    "bank_bradley_terry": (
        check_expression,
        {
            "expected": "log(sigma(r_1 - r_2)) + log(sigma(r_1 - r_3)) + log(sigma(r_2 - r_3))",
            "functions": ["log", "exp", "sigma"],
            "variables": {
                f"r_{k}": {"aliases": [f"r_\\theta(x, y_{k})"], "description": f"reward of y_{k}"}
                for k in (1, 2, 3)
            },
        },
    ),
    "bank_importance_weight": (
        check_expression,
        {
            "expected": "pi_theta/pi_ref",
            "variables": {
                "pi_theta": {"positive": True, "aliases": ["\\pi_\\theta", "pi_θ", "π_θ"]},
                "pi_ref": {
                    "positive": True,
                    "aliases": ["\\pi_{ref}", "\\pi_{\\text{ref}}", "π_ref"],
                },
            },
        },
    ),
    "bank_B2d_heads": (
        check_expression,
        {
            "expected": "O(n^2*d + n*d^2)",
            "mode": "asymptotic",
            "variables": {"n": PI, "d": {**PI, "aliases": ["d_model", "d_{model}"]}, "h": PI},
        },
    ),
    # ---- big-O (B2d-i/ii attention cost; B5a-ii decoding cost)
    "B2d": (
        check_expression,
        {"expected": "O(n^2 d + n d^2)", "variables": {"n": P, "d": P}, "mode": "asymptotic"},
    ),
    "B5a_kv": (
        check_expression,
        {"expected": "O(L d T)", "variables": {"L": P, "d": P, "T": P}, "mode": "asymptotic"},
    ),
    "B5a_no_cache": (
        check_expression,
        {"expected": "O(L d T^2)", "variables": {"L": P, "d": P, "T": P}, "mode": "asymptotic"},
    ),
    "sorting": (
        check_expression,
        {"expected": "O(n log n)", "variables": {"n": P}, "mode": "asymptotic"},
    ),
    # ---- ordering
    "pipeline": (check_ordering, {"expected": ["A", "B", "C", "D"]}),
    "pipeline_partial": (check_ordering, {"expected": ["A", "B", "C", "D"], "partial": True}),
    "rlhf_steps": (check_ordering, {"expected": ["sft", "reward_model", "ppo"]}),
    # ---- text
    "kl_penalty": (
        check_text,
        {
            "rubric": [
                {
                    "id": "kl",
                    "marks": 1,
                    "description": "names the KL penalty",
                    "keywords": [["kl"], ["kullback"]],
                },
                {
                    "id": "ref",
                    "marks": 1,
                    "description": "says it keeps the policy close to the reference model",
                    "keywords": [["reference", "close"], ["sft model", "close"]],
                },
            ]
        },
    ),
}

C, PC, X, INV, UN, REV = (
    "correct",
    "partially_correct",
    "incorrect",
    "invalid",
    "unchecked",
    "needs_review",
)

ROWS: list[tuple[str, object, str]] = [
    # ---------------------------------------------------------------- MCQ A1 {A, D}
    ("A1", ["A", "D"], C),
    ("A1", ["D", "A"], C),
    ("A1", "A, D", C),
    ("A1", "AD", C),
    ("A1", "a,d", C),
    ("A1", "d a", C),
    ("A1", "A and D", C),
    ("A1", "{A, D}", C),
    ("A1", "[a, d]", C),
    ("A1", "A;D", C),
    ("A1", ["a", "D", "A"], C),
    ("A1", ["A"], PC),
    ("A1", "A, B, D", PC),
    ("A1", "B, C", X),
    ("A1", "ABCDE", X),
    ("A1", [], X),
    ("A1", "", X),
    ("A1", None, X),
    ("A1", "A, F", INV),
    ("A1", "A, 7", INV),
    ("A1", "option A", INV),
    ("A1", 42, INV),
    ("A1", {"A": True}, INV),
    ("A1", [["A"]], INV),
    ("A1", [True], INV),
    # ---------------------------------------------------------- MCQ A2 {A, D}, A3 {B, D}, A4 {A, E}
    ("A2", "AD", C),
    ("A2", "DA", C),
    ("A2", "A, E", INV),
    ("A2", "B", X),
    ("A3", "B, D", C),
    ("A3", ["b", "d"], C),
    ("A3", "BD", C),
    ("A3", "B", PC),
    ("A3", "AD", X),
    ("A4", "A, E", C),
    ("A4", "ea", C),
    ("A4", ["E", "A"], C),
    ("A4", "A, D", X),
    ("A4", "A, D, E", PC),
    # -------------------------------------------------------- numeric: context vector [0.8, 0.5, 0]
    ("context_vector", [0.8, 0.5, 0], C),
    ("context_vector", [0.8, 0.5, 0.0], C),
    ("context_vector", ["4/5", "1/2", "0"], C),
    ("context_vector", "[0.8, 0.5, 0]", C),
    ("context_vector", "0.8, 0.5, 0", C),
    ("context_vector", [0.8000001, 0.5, 0], C),
    ("context_vector", [0.8, 0.5], X),
    ("context_vector", [[0.8, 0.5, 0]], X),
    ("context_vector", 0.8, X),
    ("context_vector", [0.8, 0.5, 0.1], PC),
    ("context_vector", [0.5, 0.8, 0], PC),
    ("context_vector", [0.1, 0.1, 0.1], X),
    ("context_vector", [0.8, "half", 0], INV),
    ("context_vector", "0.8 0.5 0", INV),
    # ---------------------------------------------------------------- numeric: advantage -0.145
    ("advantage", -0.145, C),
    ("advantage", "-0.145", C),
    ("advantage", "3.855 - 4", C),
    ("advantage", "-29/200", C),
    ("advantage", "−0.145", C),
    ("advantage", "-1.45e-1", C),
    ("advantage", "-14.5%", C),
    ("advantage", "= -0.145", C),
    ("advantage", "(3.855 - 4)", C),
    ("advantage", "-(29/200)", C),
    ("advantage", 0.145, X),
    ("advantage", "-0.14", X),
    ("advantage", "-0.1450001", C),
    ("advantage", "-0.145 + 1e-3", X),
    ("advantage", "minus 0.145", INV),
    ("advantage", "-0.145.2", INV),
    ("advantage", "1/0", INV),
    ("advantage", True, INV),
    ("advantage", float("nan"), INV),
    ("advantage", float("inf"), INV),
    ("advantage", "9**9**9**9", UN),
    ("advantage", "1e999", UN),
    ("advantage", "", X),
    # ------------------------------------------------------- numeric: -1.49875, r = 4, 124356864, 1
    ("advantage_2", "-1.49875", C),
    ("advantage_2", "-1199/800", C),
    ("advantage_2", -1.49875, C),
    ("advantage_2", "-1.5", X),
    ("lora_r", 4, C),
    ("lora_r", "4", C),
    ("lora_r", 4.0, C),
    ("lora_r", "2^2", C),
    ("lora_r", "2**2", C),
    ("lora_r", "sqrt(16)", C),
    ("lora_r", "r = 4", C),
    ("lora_r", 8, X),
    ("lora_r", "four", INV),
    ("param_count", 124356864, C),
    ("param_count", "124,356,864", C),
    ("param_count", "124_356_864", C),
    ("param_count", "124 356 864", C),
    ("param_count", "1.24356864e8", C),
    ("param_count", "124356864", C),
    ("param_count", 124356865, X),
    ("param_count", "124,356,86", X),
    ("param_count", "1.24e8", X),
    ("variance", 1, C),
    ("variance", "1.0", C),
    ("variance", "2/2", C),
    ("variance", "100%", C),
    ("variance", 0, X),
    ("variance", "1,5", X),
    ("variance", "d_k / d_k", INV),
    ("matrix", [[1, 0], [0, 1]], C),
    ("matrix", "[[1, 0], [0, 1]]", C),
    ("matrix", [1, 0, 0, 1], X),
    ("matrix", [[1, 0], [0, 2]], PC),
    ("matrix", [[1, 0], [0]], X),
    ("prob", 0.505, C),
    ("prob", "1/2", C),
    ("prob", 0.52, X),
    # ---------------------------------------------------------------- expression: Var(S) = d_k
    ("var_s", "d_k", C),
    ("var_s", "d_{k}", C),
    ("var_s", "dk", C),
    ("var_s", "Var(S) = d_k", C),
    ("var_s", "\\sqrt{d_k}^2", C),
    ("var_s", "d_k^2", X),
    ("var_s", "sqrt(d_k)", X),
    ("var_s", "1", X),
    ("var_s", "d", INV),
    ("var_s", "d_k +", INV),
    # --------------------------------------------------------------- expression: trigram perplexity
    ("perplexity", "(p_1 p_2 p_3)^{-1/3}", C),
    ("perplexity", "1/(p1 p2 p3)^(1/3)", C),
    ("perplexity", "\\left(p_1 p_2 p_3\\right)^{-1/3}", C),
    ("perplexity", "\\frac{1}{\\sqrt[3]{p_1 p_2 p_3}}", C),
    ("perplexity", "exp(-(log(p1)+log(p2)+log(p3))/3)", C),
    ("perplexity", "(p_1 \\cdot p_2 \\cdot p_3)^{-\\frac{1}{3}}", C),
    ("perplexity", "(p1p2p3)^(1/3)", X),
    ("perplexity", "(p_1 p_2 p_3)^{-1}", X),
    ("perplexity", "(p_1 p_2 p_3)^{-1/3", INV),
    # ---------------------------------------------------------------- expression: LoRA params 2nr
    ("lora_params", "2*n*r", C),
    ("lora_params", "2 n r", C),
    ("lora_params", "2nr", C),
    ("lora_params", "2rn", C),
    ("lora_params", "nr + rn", C),
    ("lora_params", "2 \\cdot n \\cdot r", C),
    ("lora_params", "2 × n × r", C),
    ("lora_params", "n*r*2", C),
    ("lora_params", "n r", X),
    ("lora_params", "n^2", X),
    ("lora_params", "2 n r + 1", X),
    ("lora_params", "2 n d", INV),
    ("lora_params", "__import__('os').system('ls')", INV),
    ("lora_params", "lambda: 1", INV),
    ("lora_params", 5, X),
    ("lora_params", ["2nr"], INV),
    # ---------------------------------------------------------------- expression: KV cache memory
    ("kv_cache", "2 L H (m+T) d_k b", C),
    ("kv_cache", "L H (m + T) d_k b", C),
    ("kv_cache", "2 \\cdot L \\cdot H \\cdot (m + T) \\cdot d_k \\cdot b", C),
    ("kv_cache", "L H m d_k b + L H T d_k b", C),
    ("kv_cache", "2LH(m+T)d_kb", C),
    ("kv_cache", "L H T d_k b", X),
    ("kv_cache", "L H (m+T) d_k", X),
    ("kv_cache", "0", X),
    ("kv_cache_exact", "2 L H (m+T) d_k b", C),
    ("kv_cache_exact", "L H (m+T) d_k b", X),
    # ----------------------------------------------- expression: optimal reward (additive constant)
    ("optimal_reward", "beta*log(pi_star/pi_ref)", C),
    ("optimal_reward", "beta*log(pi_star/pi_ref) + c", C),
    ("optimal_reward", "\\beta \\log \\frac{\\pi^*}{\\pi_{ref}}", C),
    ("optimal_reward", "\\beta \\log \\frac{\\pi^*}{\\pi_{\\text{ref}}} + C", C),
    ("optimal_reward", "\\beta \\log \\frac{\\pi^{*}}{\\pi_\\text{ref}}", C),
    ("optimal_reward", "β log(π*/π_ref)", C),
    ("optimal_reward", "beta log(pi*/pi_ref) + Z", C),
    ("optimal_reward", "beta*(log(pi*) - log(pi_ref))", C),
    (
        "optimal_reward",
        "r(x,y) = \\beta\\log\\frac{\\pi^*(y|x)}{\\pi_{ref}(y|x)} + \\beta \\log Z",
        C,
    ),
    ("optimal_reward", "beta*log(pi_star/pi_ref) + 5", C),
    ("optimal_reward", "log(pi_star/pi_ref)", X),
    ("optimal_reward", "beta*log(pi_ref/pi_star)", X),
    ("optimal_reward", "beta*pi_star/pi_ref", X),
    ("optimal_reward", "beta*log(pi_star/pi_theta)", INV),
    # ----------------------------------------------------- expression: Bradley-Terry log-likelihood
    ("bradley_terry", "log(sigma(r1-r2)) + log(sigma(r1-r3)) + log(sigma(r2-r3))", C),
    ("bradley_terry", "\\log\\sigma(r_1-r_2)+\\log\\sigma(r_1-r_3)+\\log\\sigma(r_2-r_3)", C),
    ("bradley_terry", "-log(1+exp(r2-r1)) - log(1+exp(r3-r1)) - log(1+exp(r3-r2))", C),
    ("bradley_terry", "log(sigma(r1-r2)*sigma(r1-r3)*sigma(r2-r3))", C),
    (
        "bradley_terry",
        "ln(sigmoid(r_1 - r_2)) + ln(sigmoid(r_1 - r_3)) + ln(sigmoid(r_2 - r_3))",
        C,
    ),
    ("bradley_terry", "log(sigma(r1-r2)) + log(sigma(r1-r3))", X),
    ("bradley_terry", "log(sigma(r2-r1)) + log(sigma(r3-r1)) + log(sigma(r3-r2))", X),
    ("bradley_terry", "tanh(r1 - r2)", INV),
    # -------------------------------------------------------------- expression: ZeRO stage 1 memory
    ("zero_stage1", "2P + 2P + 12P/N", C),
    ("zero_stage1", "4 \\Psi + \\frac{12\\Psi}{N_d}", C),
    ("zero_stage1", "(4N+12)P/N", C),
    ("zero_stage1", "4P + 12P/N", C),
    ("zero_stage1", "16P/N", X),
    ("zero_stage1", "16 P", X),
    # --------------------------------------------------------------- expression: sums where allowed
    ("sum_squares", "n(n+1)(2n+1)/6", C),
    ("sum_squares", "\\sum_{i=1}^{n} i^2", C),
    ("sum_squares", "sum(i^2, i, 1, n)", C),
    ("sum_squares", "n^3/3", X),
    # ---------------------------------------------------------------- the question bank's own keys
    (
        "bank_bradley_terry",
        "\\log\\sigma(r_\\theta(x, y_1) - r_\\theta(x, y_2))"
        " + \\log\\sigma(r_\\theta(x,y_1) - r_\\theta(x, y_3))"
        " + \\log\\sigma(r_{\\theta}(x, y_{2}) - r_\\theta(x, y_3))",
        C,
    ),
    ("bank_bradley_terry", "log(sigma(r1-r2))+log(sigma(r1-r3))+log(sigma(r2-r3))", C),
    ("bank_bradley_terry", "log(sigma(r_theta(x, y_1) - r_theta(x, y_4)))", INV),
    ("bank_importance_weight", "\\frac{\\pi_\\theta(a_t | s_t)}{\\pi_{\\text{ref}}(a_t | s_t)}", C),
    ("bank_importance_weight", "π_θ/π_ref", C),
    ("bank_importance_weight", "w_t = pi_theta / pi_ref", C),
    ("bank_importance_weight", "exp(log(pi_theta) - log(pi_ref))", C),
    ("bank_importance_weight", "pi_ref/pi_theta", X),
    ("bank_B2d_heads", "O(n^2 d_{model} + n d_model^2)", C),
    ("bank_B2d_heads", "O(h n^2 d/h + n d^2)", C),
    ("bank_B2d_heads", "O(n^2 d h)", X),
    # ---------------------------------------------------------------- big-O
    ("B2d", "O(n^2 d + n d^2)", C),
    ("B2d", "O(d n^2 + d^2 n)", C),
    ("B2d", "O(3 n^2 d + 8 n d^2 + n d)", C),
    ("B2d", "\\mathcal{O}(n^2 d + n d^2)", C),
    ("B2d", "O(n^2 d) + O(n d^2)", C),
    ("B2d", "n^2 d + n d^2", C),
    ("B2d", "O(n d (n + d))", C),
    ("B2d", "O(n²d + nd²)", C),
    ("B2d", "O(n^2 d)", X),
    ("B2d", "O(n^3 + d^3)", X),
    ("B2d", "O(n^2 d^2)", X),
    ("B2d", "O(2^n)", UN),
    ("B2d", "O(n^2 d + ", INV),
    ("B5a_kv", "O(L d T)", C),
    ("B5a_kv", "O(T L d)", C),
    ("B5a_kv", "O(LdT + Ld)", C),
    ("B5a_kv", "O(L d T^2)", X),
    ("B5a_no_cache", "O(L d T^2)", C),
    ("B5a_no_cache", "O(L d T^3)", X),
    ("B5a_no_cache", "O(T^2 L d + T L d)", C),
    ("sorting", "O(n \\log n)", C),
    ("sorting", "O(n log(n^2))", C),
    ("sorting", "O(n \\log_2 n)", C),
    ("sorting", "O(n log_2 n)", C),
    ("sorting", "O(n \\log n + n)", C),
    ("sorting", "O(n)", X),
    ("sorting", "O(n^2)", X),
    # ---------------------------------------------------------------- ordering
    ("pipeline", ["A", "B", "C", "D"], C),
    ("pipeline", "A, B, C, D", C),
    ("pipeline", "A > B > C > D", C),
    ("pipeline", "a -> b -> c -> d", C),
    ("pipeline", "A→B→C→D", C),
    ("pipeline", "ABCD", C),
    ("pipeline", "A B C D", C),
    ("pipeline", "A, C, B, D", X),
    ("pipeline", "A, B, C", X),
    ("pipeline", "A, B, C, E", INV),
    ("pipeline", "A, B, B, D", INV),
    ("pipeline", 7, INV),
    ("pipeline_partial", "A, C, B, D", PC),
    ("pipeline_partial", "D, C, B, A", PC),
    ("pipeline_partial", "A, B, C", PC),
    ("rlhf_steps", ["SFT", "reward_model", "PPO"], C),
    ("rlhf_steps", "sft > reward_model > ppo", C),
    ("rlhf_steps", "ppo, sft, reward_model", X),
    # ---------------------------------------------------------------- text
    ("kl_penalty", "The KL penalty keeps the policy close to the reference model.", REV),
    ("kl_penalty", "It is a Kullback-Leibler term.", REV),
    ("kl_penalty", "Something unrelated.", REV),
    ("kl_penalty", "", X),
    ("kl_penalty", {"answer": "kl"}, INV),
]


def _row_id(row: tuple[str, object, str]) -> str:
    question, answer, status = row
    return f"{question}-{status}-{str(answer)[:40]}"


def test_table_has_at_least_150_rows() -> None:
    assert len(ROWS) >= 150


@pytest.mark.parametrize(("question", "answer", "status"), ROWS, ids=[_row_id(r) for r in ROWS])
def test_student_answer_gets_expected_status(question: str, answer: object, status: str) -> None:
    checker, config = QUESTIONS[question]
    result = checker(answer, **config)
    assert isinstance(result, CheckResult)
    assert result.status == status, result.feedback
    if status == "correct":
        assert result.fraction == 1.0
    if status in ("incorrect", "invalid", "unchecked"):
        assert result.fraction == 0.0
    if status == "partially_correct":
        assert 0.0 < result.fraction < 1.0
    assert result.feedback
