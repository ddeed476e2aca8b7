"""grader.code_jobs: one preparation, comparison and wording of a code job for grading and
self-check; structure (``CaseOutcome.ran``/``phase``/``index``), not parsed text, decides
which cases were never run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from grader.code_jobs import CaseRule, CodeSpec, NotRunnable, entry_file, job_limits, judge
from grader.errors import InfrastructureError
from grader.sandbox import CaseInput, CaseOutcome, Tolerance, check_determinism
from grader.schema.questions import LimitsSpec
from grader.submissions import Submission

NOT_RUN = "the job used up its 20 s wall-clock limit"
SKIPPED = "skipped after 3 cases in a row exceeded their time limit"


def spec(**overrides: Any) -> CodeSpec:
    fields: dict[str, Any] = {
        "file": "attn.py",
        "function": "attend",
        "device": "cpu",
        "forbid": (),
        "support": {"tiny.py": b"X = 1\n"},
        "limits": job_limits(LimitsSpec()),
        "rule": CaseRule("allclose", {}),
    }
    return CodeSpec(**{**fields, **overrides})


def cases(n: int, visible: int = 0) -> list[CaseInput]:
    return [
        CaseInput(args=(i,), visible=i < visible, name=f"named {i + 1}" if i < visible else "")
        for i in range(n)
    ]


def ok(i: int, value: Any) -> CaseOutcome:
    return CaseOutcome(name="", index=i, status="ok", message="", value=value)


def not_run(i: int, phase: str = "job") -> CaseOutcome:
    reason = NOT_RUN if phase == "job" else SKIPPED
    return CaseOutcome(
        name="",
        index=i,
        status="timeout",
        message=f"case {i + 1} was not run: {reason}",
        phase=phase,  # type: ignore[arg-type]
    )


def timed_out(i: int) -> CaseOutcome:
    return CaseOutcome(
        name="",
        index=i,
        status="timeout",
        message=f"exceeded 5 s wall-clock time on case {i + 1}",
        phase="case",
    )


def test_a_run_of_hidden_cases_never_called_is_one_line() -> None:
    outcomes = [ok(0, 1.0), timed_out(1), *(not_run(i) for i in range(2, 6))]
    judged = judge(spec(), cases(6), [1.0] * 6, outcomes)
    assert judged.lines == (
        "passed 1 of 6 cases",
        "case 2: exceeded 5 s wall-clock time on case 2",
        f"cases 3-6 were not run: {NOT_RUN}",
        "limits per case: 1 s CPU, 5 s wall-clock, 4096 MB memory",
    )
    assert [c.message for c in judged.cases[2:]] == [
        f"case {i} was not run: {NOT_RUN}" for i in range(3, 7)
    ]


def test_cases_not_run_for_different_reasons_are_said_apart() -> None:
    outcomes = [not_run(0, "skipped"), not_run(1, "skipped"), not_run(2, "job")]
    judged = judge(spec(), cases(3), [1.0] * 3, outcomes)
    assert judged.lines[1:] == (
        f"cases 1-2 were not run: {SKIPPED}",
        f"case 3 was not run: {NOT_RUN}",
    )


def test_only_a_timeout_in_a_not_run_phase_counts_as_never_called() -> None:
    # the phase comes from inside the sandbox: on any other status it says nothing about
    # whether the case ran, and such cases keep their own lines
    raised = [
        CaseOutcome(name="", index=i, status="exception", message=f"raised on case {i + 1}")
        for i in range(2)
    ]
    forged = [replace(o, phase="job") for o in raised]
    assert all(o.ran for o in forged)
    judged = judge(spec(), cases(2), [1.0] * 2, forged)
    assert judged.lines[1:] == ("cases 1-2: raised",)


def test_a_visible_case_not_run_keeps_its_name_and_its_own_line() -> None:
    outcomes = [not_run(0), not_run(1), not_run(2)]
    judged = judge(spec(), cases(3, visible=2), [1.0] * 3, outcomes)
    assert judged.lines[1:] == (
        f"named 1: case 1 was not run: {NOT_RUN}",
        f"named 2: case 2 was not run: {NOT_RUN}",
        f"case 3 was not run: {NOT_RUN}",
    )


def test_a_wrong_value_is_named_by_its_case_and_counted_by_the_callers_noun() -> None:
    judged = judge(spec(), cases(2, visible=1), [1.0, 1.0], [ok(0, 2.0), ok(1, 2.0)], counted="x")
    assert judged.lines[0] == "passed 0 of 2 x"
    assert judged.lines[1].startswith("named 1: ")
    assert judged.lines[2].startswith("case 2: ")
    assert judged.fraction == 0.0


def test_a_forbidden_api_is_said_first_and_flagged() -> None:
    used = CaseOutcome(name="", index=0, status="forbidden", message="used autograd, which ...")
    judged = judge(spec(forbid=("autograd",)), cases(2), [1.0, 1.0], [used, ok(1, 1.0)])
    assert judged.forbidden
    assert judged.lines[0] == (
        "the code uses an API this question forbids (autograd); no marks for this question"
    )
    assert judged.fraction == 0.5  # the caller gives no marks; the cases are as they ran


def test_a_sandbox_failure_is_the_graders_error_not_a_failed_case() -> None:
    broken = CaseOutcome(name="", index=0, status="sandbox_error", message="it broke")
    with pytest.raises(InfrastructureError, match="the sandbox failed on 1 case"):
        judge(spec(), cases(1), [1.0], [broken])


def test_determinism_is_judged_by_the_questions_rule_and_tolerances() -> None:
    first = ok(0, torch.ones(3))
    noisy = replace(first, repeat_value=torch.ones(3) + 1e-7)  # a GPU reduction's last bits
    random = replace(first, repeat_value=torch.ones(3) + 0.3)  # an unseeded sample
    rule = CaseRule("allclose", {}, determinism=True)
    assert rule.verdict(torch.ones(3), noisy, "cpu", visible=True).passed
    verdict = rule.verdict(torch.ones(3), random, "cpu", visible=True)
    assert verdict.message == "gave a different result when run twice on the same input"
    exact = {"float32": Tolerance(rtol=0.0, atol=0.0)}
    assert not check_determinism(noisy, "allclose", exact, "cpu").passed


def test_each_case_gets_three_times_its_cpu_seconds_of_wall_clock_and_at_least_five() -> None:
    slow = job_limits(LimitsSpec(cpu_seconds=4.0, wall_seconds=30.0, memory_mb=1024))
    assert (slow.cpu_seconds, slow.wall_seconds, slow.job_wall_seconds, slow.memory_mb) == (
        4.0,
        12.0,
        30.0,
        1024,
    )
    assert job_limits(LimitsSpec(cpu_seconds=0.5)).wall_seconds == 5.0


def test_a_students_copy_of_a_support_module_is_replaced_by_the_questions() -> None:
    files = {"attn.py": b"def attend(x): return x\n", "tiny.py": b"X = 'forged'\n"}
    job = spec().job(files, "attn.py", cases(1))
    assert dict(job.files) == {"attn.py": files["attn.py"]}
    assert job.support_files == {"tiny.py": b"X = 1\n"}
    assert not job.repeat_for_determinism


def test_only_the_questions_cases_run_twice_for_determinism_never_a_cost_probe() -> None:
    twice = spec(rule=CaseRule("allclose", {}, determinism=True))
    assert twice.job({}, "attn.py", cases(1)).repeat_for_determinism
    assert not twice.job({}, "attn.py", cases(1), flops=True).repeat_for_determinism


def submission(files: dict[str, bytes], problems: dict[str, str] | None = None) -> Submission:
    return Submission(
        folder=Path("."),
        student="s",
        exam=None,
        variant=None,
        answers={},
        files=files,
        file_problems=problems or {},
    )


@pytest.mark.parametrize(
    ("answer", "files", "expected"),
    [
        ("attn.py", {"attn.py": b""}, "attn.py"),
        (None, {"attn.py": b""}, "attn.py"),
        ("mine.py", {"mine.py": b""}, "mine.py"),
        (
            "../x.py",
            {},
            NotRunnable(
                "invalid",
                "'../x.py' must be the name of a .py file in your submission folder, "
                "without folders",
            ),
        ),
        (
            3,
            {},
            NotRunnable(
                "invalid",
                "the answer to a code question is the name of your .py file "
                "(for example 'attn.py')",
            ),
        ),
        (
            None,
            {},
            NotRunnable(
                "missing", "'attn.py' is not in your submission; write your function in 'attn.py'"
            ),
        ),
        (
            "tiny.py",
            {"tiny.py": b""},
            NotRunnable(
                "invalid",
                "'tiny.py' is a module the question provides; put your function in 'attn.py'",
            ),
        ),
    ],
)
def test_the_entry_file_or_why_nothing_can_run(
    answer: Any, files: dict[str, bytes], expected: str | NotRunnable
) -> None:
    assert entry_file(spec(), answer, submission(files)) == expected


def test_an_unreadable_file_is_invalid_with_the_reason_it_was_not_taken() -> None:
    found = entry_file(spec(), None, submission({}, {"attn.py": "attn.py is a symbolic link"}))
    assert found == NotRunnable("invalid", "attn.py is a symbolic link")


def raised(i: int, visible: bool = False, **fields: Any) -> CaseOutcome:
    where = " at line 2 of attn.py" if visible else ""
    return CaseOutcome(
        name="",
        index=i,
        status="exception",
        message=f"raised TypeError{where} on case {i + 1}",
        error_type="TypeError",
        **fields,
    )


def test_identical_hidden_failures_are_one_line_naming_the_cases() -> None:
    outcomes = [ok(0, 1.0), *(raised(i) for i in range(1, 14)), ok(14, 5.0)]
    judged = judge(spec(), cases(15), [1.0] * 15, outcomes)
    assert judged.lines[1] == "cases 2-14: raised TypeError"
    assert judged.lines[2].startswith("case 15: ")
    assert len(judged.lines) == 3


def test_many_kinds_of_failure_stay_within_six_lines() -> None:
    outcomes = [ok(i, float(i)) for i in range(10)]
    judged = judge(spec(), cases(10, visible=10), [100.0] * 10, outcomes)
    assert len(judged.lines) <= 6
    assert judged.lines[-1] == "... and 6 more failing case(s)"


def test_the_first_failing_visible_case_shows_its_input_expected_and_got() -> None:
    judged = judge(
        spec(), cases(3, visible=2), [1.0, 7.5, 1.0], [ok(0, 1.0), ok(1, 2.25), ok(2, 9.0)]
    )
    shown = judged.lines[1].split("\n")
    assert shown[0].startswith("named 2: ")
    assert shown[1:] == ["  input: (1)", "  expected: 7.5", "  got: 2.25"]


def test_a_visible_failure_in_the_students_code_quotes_their_line() -> None:
    files = {"attn.py": b"def attend(x):\n    return x + 'a'\n"}
    failed = raised(0, True, error_line=2, error_file="attn.py")
    judged = judge(spec(), cases(1, visible=1), [1.0], [failed], files=files)
    assert judged.lines[1].split("\n")[-1] == "  line 2 of attn.py: return x + 'a'"


def test_hidden_case_names_are_kept_for_tas_and_said_to_students_only_when_allowed() -> None:
    named = [CaseInput(args=(0,), visible=False, name="large values (overflow)")]
    for shown, label in ((False, "case 1"), (True, "large values (overflow)")):
        judged = judge(spec(), named, [1.0], [ok(0, 2.0)], names_shown=[shown])
        assert judged.cases[0].name == "large values (overflow)"
        assert judged.lines[1].startswith(f"{label}: ")
        assert judged.cases[0].message.startswith(f"{label}: ")


def test_a_limit_hit_on_a_visible_case_says_the_limits_and_the_time_it_ran() -> None:
    slow = replace(timed_out(0), seconds=5.31)
    judged = judge(spec(), cases(1, visible=1), [1.0], [slow])
    assert judged.lines[-1] == (
        "limits per case: 1 s CPU, 5 s wall-clock, 4096 MB memory; named 1 ran 5.31 s"
    )


def test_expected_and_got_that_agree_to_four_digits_are_shown_in_full() -> None:
    judged = judge(spec(), cases(1, visible=1), [1.0], [ok(0, 1.00001)])
    assert judged.lines[1].split("\n")[2:] == ["  expected: 1.0", "  got: 1.00001"]
