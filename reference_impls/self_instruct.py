"""The Self-Instruct data pipeline (Wang et al., 2023), with a pluggable generator.

Mid-semester paper, Question 3(b). Starting from a small pool of human-written seed tasks:

    1. instruction generation   prompt the LM with 8 pool instructions (6 seed, 2 generated)
    2. classification task identification   is the new instruction a classification task?
    3. instance generation      output-first for classification tasks (label, then input),
                                input-first otherwise (input, then output)
    4. filtering                drop an instruction whose ROUGE-L with any pool instruction is
                                >= 0.7, or that is low quality (too short/long, mentions
                                images/files/..., starts with punctuation or a non-letter);
                                drop empty, duplicate or contradictory instances
    then add the task to the pool, repeat; finally 5. fine-tune the LM on the pool.

The LM is behind the ``InstructionGenerator`` protocol; ``TemplateGenerator`` is its
deterministic, seeded test twin. ROUGE-L is implemented here (LCS-based F-measure over
lower-cased alphanumeric tokens, as in the ``rouge_score`` package the paper used) and
checked against a brute-force LCS.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = [
    "PIPELINE_STEPS", "FILTER_KEYWORDS", "Instance", "Task", "InstructionGenerator",
    "TemplateGenerator", "rouge_l", "is_low_quality_instruction", "filter_instances",
    "SelfInstructResult", "self_instruct",
]  # fmt: skip

PIPELINE_STEPS: tuple[str, ...] = (
    "seed task pool",
    "instruction generation",
    "classification task identification",
    "instance generation",
    "filtering",
    "fine-tuning",
)
"""The steps in order (the seed answer's order; the paper's Figure 2 is steps 2-5)."""

FILTER_KEYWORDS: tuple[str, ...] = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
    "map", "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
)  # fmt: skip
"""Instructions mentioning these cannot be done by a text-only LM (the paper's list)."""


@dataclass(frozen=True)
class Instance:
    """One (input, output) example of a task; input may be empty."""

    input: str
    output: str


@dataclass(frozen=True)
class Task:
    """An instruction with its instances and its classification flag."""

    instruction: str
    instances: tuple[Instance, ...]
    is_classification: bool


class InstructionGenerator(Protocol):
    """What the pipeline needs from the LM (few-shot prompting in the paper)."""

    def generate_instructions(self, demonstrations: Sequence[str], n: int) -> list[str]:
        """New instructions given in-context example instructions."""
        ...

    def is_classification(self, instruction: str) -> bool:
        """Whether the instruction asks for a label from a small set of classes."""
        ...

    def generate_instances(self, instruction: str, output_first: bool) -> list[Instance]:
        """Instances for the instruction; label first when ``output_first``."""
        ...


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Longest common subsequence by dynamic programming, O(|a| |b|)."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: str, reference: str, beta: float = 1.0) -> float:
    """ROUGE-L F-measure: P = LCS/|cand|, R = LCS/|ref|, F = (1 + beta^2) P R / (R + beta^2 P)."""
    c, r = _tokens(candidate), _tokens(reference)
    lcs = _lcs_length(c, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(c), lcs / len(r)
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)


def is_low_quality_instruction(instruction: str, min_words: int = 3, max_words: int = 150) -> bool:
    """The paper's heuristics: length, forbidden keywords, first character."""
    text = instruction.strip()
    n_words = len(text.split())
    if n_words < min_words or n_words > max_words:
        return True
    words = " " + " ".join(_tokens(text)) + " "
    if any(f" {k} " in words for k in FILTER_KEYWORDS):
        return True
    return not text[0].isascii() or not text[0].isalpha()  # punctuation or non-English start


def filter_instances(instances: Sequence[Instance], max_chars: int = 1000) -> tuple[Instance, ...]:
    """Drop empty or too long outputs, exact duplicates, and inputs seen with another output."""
    outputs_per_input: dict[str, set[str]] = {}
    for inst in instances:
        outputs_per_input.setdefault(inst.input.strip(), set()).add(inst.output.strip())
    kept: list[Instance] = []
    for inst in instances:
        out = inst.output.strip()
        if not out or len(out) > max_chars or inst in kept:
            continue
        if len(outputs_per_input[inst.input.strip()]) > 1:  # same input, different outputs
            continue
        kept.append(inst)
    return tuple(kept)


class TemplateGenerator:
    """A deterministic stand-in for the LM: instructions from templates, seeded choices."""

    VERBS = ("Write", "Summarize", "Classify", "Translate", "Explain", "List", "Rewrite", "Decide")
    TOPICS = ("a news headline", "the sentiment of a review", "a recipe", "a poem about rain",
              "an email to a colleague", "whether a sentence is sarcastic",
              "a math word problem", "the main idea of a paragraph", "a product description",
              "an image of a cat")  # fmt: skip
    CLASS_WORDS = ("classify", "decide", "whether", "sentiment", "true or false", "which")

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def generate_instructions(self, demonstrations: Sequence[str], n: int) -> list[str]:
        return [
            f"{self.rng.choice(self.VERBS)} {self.rng.choice(self.TOPICS)} "
            f"in {self.rng.randint(1, 5)} sentences."
            for _ in range(n)
        ]

    def is_classification(self, instruction: str) -> bool:
        text = instruction.lower()
        return any(k in text for k in self.CLASS_WORDS)

    def generate_instances(self, instruction: str, output_first: bool) -> list[Instance]:
        k = self.rng.randint(0, 9)
        if output_first:  # label first, then an input with that label
            label = self.rng.choice(("positive", "negative"))
            return [Instance(input=f"example {k} that is {label}", output=label)]
        return [Instance(input=f"input {k}", output=f"response to input {k}")]


class SelfInstructResult(NamedTuple):
    """The final pool and what the filters removed."""

    pool: tuple[Task, ...]
    """Seed tasks followed by the accepted generated tasks, in order of acceptance."""
    n_rejected_similar: int
    """Instructions dropped by ROUGE-L >= threshold against the pool."""
    n_rejected_low_quality: int
    """Instructions dropped by the heuristics or for lack of valid instances."""


def self_instruct(
    seed_tasks: Sequence[Task],
    generator: InstructionGenerator,
    target_size: int,
    max_rounds: int = 100,
    per_round: int = 4,
    n_seed_demos: int = 6,
    n_machine_demos: int = 2,
    rouge_threshold: float = 0.7,
    seed: int = 0,
) -> SelfInstructResult:
    """Grow the task pool to ``target_size`` tasks (or stop after ``max_rounds`` rounds)."""
    rng = random.Random(seed)
    pool, machine = list(seed_tasks), []
    n_similar = n_low = 0
    for _ in range(max_rounds):
        if len(pool) >= target_size:
            break
        demos = rng.sample([t.instruction for t in seed_tasks], min(n_seed_demos, len(seed_tasks)))
        demos += rng.sample(machine, min(n_machine_demos, len(machine)))
        for instruction in generator.generate_instructions(demos, per_round):  # step 1
            if len(pool) >= target_size:
                break
            if is_low_quality_instruction(instruction):  # step 4 (instruction heuristics)
                n_low += 1
                continue
            if any(rouge_l(instruction, t.instruction) >= rouge_threshold for t in pool):
                n_similar += 1  # step 4 (near-duplicate of the pool)
                continue
            is_cls = generator.is_classification(instruction)  # step 2
            instances = filter_instances(  # step 3, then step 4 on the instances
                generator.generate_instances(instruction, output_first=is_cls)
            )
            if not instances:
                n_low += 1
                continue
            pool.append(Task(instruction, instances, is_cls))
            machine.append(instruction)
    return SelfInstructResult(tuple(pool), n_similar, n_low)
