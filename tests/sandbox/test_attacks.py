"""Each attack is a real submission; none scores more than an honest wrong answer, and the
runner keeps grading afterwards."""

from __future__ import annotations

import pytest
from sandbox_helpers import HONEST, HONEST_WRONG, attack, inputs, job, score

from grader.sandbox import Limits, SandboxRunner

pytestmark = pytest.mark.sandbox


def run_attack(runner: SandboxRunner, name: str, **kwargs: object) -> list:
    cases = inputs(3)
    outcomes = runner.run(job(attack(name), cases, **kwargs))
    honest_wrong = score(runner.run(job(HONEST_WRONG, cases)), cases)
    assert score(outcomes, cases) <= honest_wrong
    assert score(runner.run(job(HONEST, cases)), cases) == len(cases), "the batch must go on"
    return outcomes


def test_tensor_subclass_with_lying_eq_is_rejected(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "eq_subclass")
    assert {o.status for o in outcomes} == {"bad_output"}
    assert "torch.Tensor subclass" in outcomes[0].message


def test_object_with_custom_eq_is_rejected(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "custom_eq_object")
    assert {o.status for o in outcomes} == {"bad_output"}


def test_monkeypatched_comparisons_do_not_reach_the_grader(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "monkeypatch_compare")
    assert {o.status for o in outcomes} == {"ok"}  # it ran; its value is simply wrong


def test_snooping_finds_no_grader_files_environment_or_expected_values(
    sandbox: SandboxRunner,
) -> None:
    (outcome,) = sandbox.run(job(attack("snoop"), inputs(1, visible=True)))
    found = outcome.value
    for path in [
        "/work/main/questions",
        "/work/main/reference_impls",
        "/work/main/grader",
        "/work/main/submissions",
        "/home",
        "/etc/passwd",
        "/sandbox/_compare.py",
    ]:
        assert found[path] is False, path
    assert set(found["env"]) <= {
        "PATH",
        "HOME",
        "LANG",
        "TMPDIR",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "PYTORCH_NVML_BASED_CUDA_CHECK",
        "PYTHONDONTWRITEBYTECODE",
        "PWD",
        "TORCHINDUCTOR_CACHE_DIR",
        "TRITON_CACHE_DIR",
        "USER",
        "LOGNAME",
    }
    assert not any("pytest" in c or "grader" in c for c in found["cmdlines"])
    assert found["expected_in_gc"] is False
    assert not any("expected" in name for name in found["frame_names"])


def test_importing_reference_impls_fails(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "import_reference")
    assert outcomes[0].status == "exception"
    assert outcomes[0].error_type == "ModuleNotFoundError"
    assert "while being imported" in outcomes[0].message


def test_sys_exit_is_an_exception(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "sys_exit")
    assert [o.error_type for o in outcomes] == ["SystemExit"] * 3


def test_os_exit_ends_each_case_without_a_result(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "os_exit")
    assert [o.status for o in outcomes] == ["crashed"] * 3
    assert outcomes[2].message == "the process ended during case 3 without returning a result"


def test_printing_fake_results_and_forged_frames_changes_nothing(sandbox: SandboxRunner) -> None:
    run_attack(sandbox, "print_fake")


def test_fork_bomb_is_contained(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "fork_bomb")
    assert outcomes[0].status in ("cpu_limit", "timeout")


def test_fork_bomb_in_one_sandbox_does_not_stop_a_concurrent_one(sandbox: SandboxRunner) -> None:
    bomb = job(attack("fork_bomb"), inputs(1))
    honest = [job(HONEST, inputs(3)) for _ in range(3)]
    results = sandbox.run_many([bomb, *honest])
    assert results[0][0].status in ("cpu_limit", "timeout")
    for outcomes in results[1:]:
        assert [o.status for o in outcomes] == ["ok"] * 3


def test_memory_bomb_hits_the_memory_limit(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "memory_bomb")
    assert outcomes[0].status == "memory_limit"
    assert outcomes[0].message == "exceeded 512 MB of memory on case 1"


def test_infinite_loop_hits_the_cpu_limit(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "infinite_loop")
    assert [o.status for o in outcomes] == ["cpu_limit"] * 3
    assert outcomes[2].message == "exceeded 1 s CPU time on case 3"


def test_ignoring_signals_while_sleeping_hits_the_wall_clock_limit(sandbox: SandboxRunner) -> None:
    limits = Limits(cpu_seconds=1.0, wall_seconds=1.0, job_wall_seconds=20.0, memory_mb=512)
    outcomes = run_attack(sandbox, "ignore_sigterm", limits=limits)
    assert [o.status for o in outcomes] == ["timeout"] * 3
    assert outcomes[0].message == "exceeded 1 s wall-clock time on case 1"


def test_huge_output_hits_the_output_limit(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "huge_output")
    assert outcomes[0].status == "output_limit"
    assert outcomes[0].message == "printed more than 16384 bytes on case 1"


def test_network_is_unreachable(sandbox: SandboxRunner) -> None:
    outcomes = run_attack(sandbox, "network")
    assert outcomes[0].status == "exception"
    assert outcomes[0].error_type in ("OSError", "TimeoutError", "ConnectionRefusedError")


def test_nothing_outside_the_private_temp_dir_is_writable(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(attack("write_outside_tmp"), inputs(1)))
    assert outcome.status == "ok"
    assert outcome.value == []


def test_files_threads_and_processes_do_not_survive_into_the_next_submission(
    sandbox: SandboxRunner,
) -> None:
    (first,) = sandbox.run(job(attack("leave_traces"), inputs(1)))
    assert first.status == "ok"
    pid = first.value
    from grader.sandbox import CaseInput

    for _ in range(2):  # whichever warm sandbox the next submission lands in
        (second,) = sandbox.run(job(attack("find_traces"), [CaseInput(args=(pid,), visible=True)]))
        assert second.value == {"files": [], "alive": False}


def test_global_state_does_not_carry_over_to_the_next_submission(sandbox: SandboxRunner) -> None:
    cases = inputs(3)
    sandbox.run(job(attack("poison_state"), cases))
    for _ in range(2):
        outcomes = sandbox.run(job(HONEST, cases))
        assert score(outcomes, cases) == 3
        assert str(outcomes[0].value.dtype) == "torch.float32"


@pytest.mark.parametrize("name", ["use_backward", "use_autograd_grad"])
def test_forbidden_autograd_is_reported(sandbox: SandboxRunner, name: str) -> None:
    outcomes = sandbox.run(job(attack(name), inputs(2), forbid=frozenset({"autograd"})))
    assert [o.status for o in outcomes] == ["forbidden"] * 2
    assert outcomes[0].message == "used autograd, which this question forbids"


def test_reloading_torch_autograd_does_not_restore_it(sandbox: SandboxRunner) -> None:
    # torch aborts on a reload of torch.autograd; either way no gradient comes back
    outcomes = sandbox.run(
        job(attack("reload_autograd"), inputs(2), forbid=frozenset({"autograd"}))
    )
    assert {o.status for o in outcomes} <= {"forbidden", "crashed"}


def test_autograd_works_when_not_forbidden(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(attack("use_backward"), inputs(1)))
    assert outcome.status == "ok"


def test_a_job_that_hangs_on_every_case_is_cut_short(sandbox: SandboxRunner) -> None:
    import time

    cases = inputs(10)
    started = time.monotonic()
    outcomes = sandbox.run(job(attack("infinite_loop"), cases))
    elapsed = time.monotonic() - started
    assert [o.status for o in outcomes] == ["cpu_limit"] * 3 + ["timeout"] * 7
    assert (
        outcomes[3].message
        == "case 4 was not run: skipped after 3 cases in a row exceeded their time limit"
    )
    assert elapsed < 8, "three 1 s CPU limits, not ten"


def test_claiming_the_sandbox_broke_is_still_the_students_own_failure(
    sandbox: SandboxRunner,
) -> None:
    # a `sandbox_error` is never the student's mark and is graded again on every run: a
    # student who could forge one would dodge a zero for ever
    outcomes = run_attack(sandbox, "fake_sandbox_failure")
    assert [o.status for o in outcomes] != ["sandbox_error"] * 3
    assert all(o.status in ("bad_output", "crashed") for o in outcomes), outcomes


def test_forged_case_records_claim_nothing_of_the_supervisors_and_are_the_students_own(
    sandbox: SandboxRunner,
) -> None:
    # A case's result is a binary record whose rest the supervisor forwards unread. One the
    # student writes carries no CPU reading or printed output (only the supervisor's fixed
    # fields do), no verdict of the supervisor's (`sandbox_error` would never be counted),
    # and a malformed one is that case's `bad_output`, never the grader's failure.
    cases = inputs(5)
    outcomes = sandbox.run(job(attack("forge_records"), cases))
    assert [o.status for o in outcomes] == ["ok"] + ["bad_output"] * 4, outcomes
    assert outcomes[0].cpu_seconds is None and outcomes[0].stdout is None
    assert all(o.phase == "protocol" for o in outcomes[1:])
    assert score(outcomes, cases) == 0
    assert score(sandbox.run(job(HONEST, cases)), cases) == len(cases), "the batch must go on"
