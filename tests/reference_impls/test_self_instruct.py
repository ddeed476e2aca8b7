"""Self-Instruct: ROUGE-L against brute force, filters, and the pipeline with a test generator."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impls.self_instruct import (
    PIPELINE_STEPS,
    Instance,
    Task,
    TemplateGenerator,
    filter_instances,
    is_low_quality_instruction,
    rouge_l,
    self_instruct,
)

SEEDS = [
    Task("Give three tips for staying healthy.", (Instance("", "Eat well, sleep, move."),), False),
    Task(
        "Classify the sentiment of the review as positive or negative.",
        (Instance("I loved it", "positive"),),
        True,
    ),  # fmt: skip
    Task("Translate the sentence into French.", (Instance("Good morning", "Bonjour"),), False),
    Task("Summarize the paragraph in one sentence.", (Instance("Long text.", "Short."),), False),
]


def _brute_lcs(a: list[str], b: list[str]) -> int:
    for n in range(min(len(a), len(b)), 0, -1):
        subs = set(itertools.combinations(a, n))
        if any(s in subs for s in itertools.combinations(b, n)):
            return n
    return 0


def test_rouge_l_on_a_hand_worked_example() -> None:
    # LCS("the cat sat on the mat", "the cat on the mat") = 5; P = 5/6, R = 5/5
    assert rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(
        2 * (5 / 6) / (5 / 6 + 1)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("a b c d".split()), min_size=1, max_size=7),
    st.lists(st.sampled_from("a b c d".split()), min_size=1, max_size=7),
)
def test_rouge_l_matches_brute_force_lcs(a: list[str], b: list[str]) -> None:
    lcs = _brute_lcs(a, b)
    expected = 0.0 if lcs == 0 else 2 * lcs / (len(a) + len(b))  # F1 = 2 LCS / (|a| + |b|)
    assert rouge_l(" ".join(a), " ".join(b)) == pytest.approx(expected)
    assert rouge_l(" ".join(a), " ".join(b)) == pytest.approx(rouge_l(" ".join(b), " ".join(a)))


def test_rouge_l_ignores_case_and_punctuation() -> None:
    assert rouge_l("Write a poem!", "write a POEM") == 1.0


def test_low_quality_filter_follows_the_paper_heuristics() -> None:
    assert is_low_quality_instruction("Describe the image below in detail.")  # keyword
    assert is_low_quality_instruction("Summarize.")  # too short
    assert is_low_quality_instruction(" ".join(["word"] * 151))  # too long
    assert is_low_quality_instruction("- list three fruits please")  # starts with punctuation
    assert not is_low_quality_instruction("List three fruits that are red.")
    assert not is_low_quality_instruction("Explain the imagery in this poem.")  # not the word image


def test_instance_filter_drops_empty_duplicate_and_contradictory_instances() -> None:
    kept = filter_instances([
        Instance("a", "1"), Instance("a", "1"), Instance("b", ""), Instance("c", "x"),
        Instance("c", "y"), Instance("d", "2"),
    ])  # fmt: skip
    assert kept == (Instance("a", "1"), Instance("d", "2"))


def test_pipeline_steps_are_in_the_seed_answer_order() -> None:
    assert (
        PIPELINE_STEPS.index("instruction generation")
        < PIPELINE_STEPS.index("classification task identification")
        < PIPELINE_STEPS.index("instance generation")
        < PIPELINE_STEPS.index("filtering")
    )
    assert PIPELINE_STEPS[0] == "seed task pool" and PIPELINE_STEPS[-1] == "fine-tuning"


def test_pipeline_grows_the_pool_with_no_near_duplicates_and_is_deterministic() -> None:
    result = self_instruct(SEEDS, TemplateGenerator(seed=1), target_size=12, seed=0)
    again = self_instruct(SEEDS, TemplateGenerator(seed=1), target_size=12, seed=0)
    assert result == again
    pool = result.pool
    assert pool[: len(SEEDS)] == tuple(SEEDS) and len(pool) == 12
    for i, j in itertools.combinations(range(len(SEEDS), len(pool)), 2):
        assert rouge_l(pool[i].instruction, pool[j].instruction) < 0.7
    assert result.n_rejected_similar > 0
    assert all(not is_low_quality_instruction(t.instruction) for t in pool[len(SEEDS) :])


def test_classification_tasks_get_output_first_instances() -> None:
    class Recorder(TemplateGenerator):
        calls: list[tuple[str, bool]] = []

        def generate_instances(self, instruction: str, output_first: bool) -> list[Instance]:
            self.calls.append((instruction, output_first))
            return super().generate_instances(instruction, output_first)

    gen = Recorder(seed=2)
    result = self_instruct(SEEDS, gen, target_size=10, seed=0)
    for task in result.pool[len(SEEDS) :]:
        assert (task.instruction, task.is_classification) in gen.calls
    assert any(flag for _, flag in gen.calls) and any(not flag for _, flag in gen.calls)
