"""A large class made from a small labelled one, for the throughput figures.

``perturbed_class(sources, n, seed)`` draws ``n`` answers, each a source answer changed by
one to three edits a student might make (drop a word, swap two neighbouring words, repeat
a word, misspell a word, add a filler phrase before or after), every text distinct, the same
for the same seed. Each answer keeps the index of its source, so its source's question and
label come with it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

__all__ = ["FILLERS", "perturb", "perturbed_class"]

FILLERS = (
    "I think",
    "basically",
    "in short",
    "as seen in the lecture",
    "so yes",
    "to summarise",
    "if I remember correctly",
    "this is the main reason",
    "as far as I know",
    "(see the slides)",
)
"""Phrases students add around an answer."""

_MAX_TRIES = 50


def _drop(words: list[str], rng: random.Random) -> None:
    if len(words) > 2:
        del words[rng.randrange(len(words))]


def _swap(words: list[str], rng: random.Random) -> None:
    if len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]


def _repeat(words: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(words))
    words.insert(i, words[i])


def _misspell(words: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3:
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]


def _prefix(words: list[str], rng: random.Random) -> None:
    words[:0] = (rng.choice(FILLERS) + ",").split()


def _suffix(words: list[str], rng: random.Random) -> None:
    words += rng.choice(FILLERS).split()


EDITS: tuple[Callable[[list[str], random.Random], None], ...] = (
    _drop,
    _swap,
    _repeat,
    _misspell,
    _prefix,
    _suffix,
)


def perturb(text: str, rng: random.Random, edits: int) -> str:
    """``text`` after ``edits`` random edits (``text`` itself if it has no words)."""
    words = text.split()
    if not words:
        return text
    for _ in range(edits):
        rng.choice(EDITS)(words, rng)
    return " ".join(words)


def perturbed_class(sources: Sequence[str], n: int, seed: int = 0) -> list[tuple[str, int]]:
    """``n`` distinct answers ``(text, source index)`` made from the non-blank ``sources``."""
    usable = [i for i, s in enumerate(sources) if s.split()]
    if not usable:
        raise ValueError("no non-blank source answers to perturb")
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    while len(out) < n:
        source = rng.choice(usable)
        for tries in range(_MAX_TRIES):
            text = perturb(sources[source], rng, 1 + min(tries, 4) + rng.randrange(2))
            if text not in seen:
                seen.add(text)
                out.append((text, source))
                break
    return out
