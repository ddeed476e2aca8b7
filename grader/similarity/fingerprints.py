"""Winnowed k-gram fingerprints (Schleimer, Wilkerson and Aiken, SIGMOD 2003; MOSS).

Every run of ``k`` consecutive normalized tokens is hashed; of every window of ``w``
consecutive hashes the smallest is kept (the rightmost one on a tie), each kept hash once.
The guarantee from the paper: any match of at least ``t = w + k - 1`` tokens shares at least
one fingerprint, and a match shorter than ``k`` shares none, so noise is ignored while a
copied passage is always seen. A fingerprint remembers the lines its k-gram spans, to show
the matching region.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import NamedTuple

from grader.similarity.tokens import Token

__all__ = ["Fingerprint", "K", "WINDOW", "kgram_hashes", "winnow"]

K = 9
"""Tokens per k-gram: shorter common idioms (``for N in range ( N ) :``) are not evidence."""
WINDOW = 4
"""Hashes per winnowing window: a match of ``K + WINDOW - 1`` tokens is always found."""


class Fingerprint(NamedTuple):
    """A kept k-gram hash and the source lines (first, last) its tokens came from."""

    hash: int
    first_line: int
    last_line: int


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[int]:
    """The hash of every k-gram of ``tokens`` (all of them, not only the winnowed ones)."""
    texts = [t.text for t in tokens]
    # crc32 rather than hash(): the same file gives the same fingerprints in every process
    return [zlib.crc32("\x1f".join(texts[i : i + k]).encode()) for i in range(len(texts) - k + 1)]


def winnow(tokens: Sequence[Token], k: int = K, window: int = WINDOW) -> list[Fingerprint]:
    """The winnowed fingerprints of ``tokens`` in source order (empty when shorter than k).

    Robust winnowing: in each window the minimum hash, the rightmost on a tie, is selected,
    and a position already selected by the previous window is not selected again."""
    hashes = kgram_hashes(tokens, k)
    if not hashes:
        return []
    picked: list[int] = []  # positions of selected k-grams
    if len(hashes) <= window:
        picked.append(min(range(len(hashes)), key=lambda i: (hashes[i], i)))
    else:
        for start in range(len(hashes) - window + 1):
            best = start
            for i in range(start + 1, start + window):
                if hashes[i] <= hashes[best]:
                    best = i
            if not picked or picked[-1] != best:
                picked.append(best)
    return [Fingerprint(hashes[i], tokens[i].line, tokens[i + k - 1].line) for i in picked]
