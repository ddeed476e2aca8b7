from grader.similarity import DEFAULT_THRESHOLD, analyse
from grader.similarity.code_pairs import code_matches
from grader.similarity.model import StudentWork

STUB = '''import torch


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    """Mean DPO loss over the batch.

    logp_pos, logp_neg: (B,) log-probabilities under the policy;
    ref_logp_pos, ref_logp_neg: (B,) under the reference model.
    """
    raise NotImplementedError
'''

SOLUTION = '''import torch


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    """Mean DPO loss over the batch."""
    pos = logp_pos - ref_logp_pos
    neg = logp_neg - ref_logp_neg
    margins = []
    for p, n in zip(pos, neg):
        margins.append(beta * (p - n))
    margin = torch.stack(margins)
    loss = -torch.nn.functional.logsigmoid(margin)
    return loss.mean() + 0.0 * torch.sum(pos * neg) / max(len(pos), 1)
'''

DISGUISED = """import torch

def dpo_loss(a, b, c, d, beta=1.0):
    # my own work
    neg = b - d
    pos = a - c
    margins = [beta * (x - y) for x, y in zip(pos, neg)]

    margin = torch.stack(margins)
    out = -torch.nn.functional.logsigmoid(margin)   # the loss
    return (out.mean() + 0.0 * torch.sum(pos * neg) / max(len(pos), 1))
"""

INDEPENDENT = """import torch.nn.functional as F


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    chosen = beta * (logp_pos - ref_logp_pos)
    rejected = beta * (logp_neg - ref_logp_neg)
    return F.softplus(rejected - chosen).mean()
"""


def work(student: str, code: str) -> StudentWork:
    return StudentWork(student, 0, {}, {"B4d-ii": code})


def test_students_who_hand_in_only_the_stub_never_match() -> None:
    works = [work(f"s{i}", STUB) for i in range(4)]
    assert code_matches(works, {"B4d-ii": [STUB]}, threshold=0.01) == {}


def test_the_stub_inside_two_different_solutions_is_not_evidence() -> None:
    a = STUB.replace("    raise NotImplementedError\n", "    return (logp_pos - logp_neg).mean()\n")
    b = STUB.replace("    raise NotImplementedError\n", INDEPENDENT.split(":\n", 1)[1])
    assert code_matches([work("a", a), work("b", b)], {"B4d-ii": [STUB]}, 0.01) == {}


def test_a_disguised_copy_is_found_with_its_share_both_ways_and_its_regions() -> None:
    works = [work("orig", SOLUTION), work("copy", DISGUISED), work("indep", INDEPENDENT)]
    found = code_matches(works, {"B4d-ii": [STUB]}, threshold=DEFAULT_THRESHOLD)
    assert list(found) == [("copy", "orig")]
    (match,) = found[("copy", "orig")]
    assert min(match.share_a, match.share_b) >= DEFAULT_THRESHOLD
    assert match.regions
    for r in match.regions:
        assert 1 <= r.a_first <= r.a_last <= len(DISGUISED.splitlines())
        assert 1 <= r.b_first <= r.b_last <= len(SOLUTION.splitlines())


def test_an_independent_correct_solution_is_not_flagged() -> None:
    report = analyse(
        "e", [work("orig", SOLUTION), work("indep", INDEPENDENT)], {}, {"B4d-ii": [STUB]}
    )
    assert report.pairs == ()


def test_copies_of_a_copy_form_a_group_of_three() -> None:
    works = [work("orig", SOLUTION), work("copy", DISGUISED), work("copy2", DISGUISED + "\n# x\n")]
    report = analyse("e", works, {"B4d-ii": "code"}, {"B4d-ii": [STUB]})
    assert len(report.pairs) == 3
    assert report.clusters == (("copy", "copy2", "orig"),)
