"""Code answers that share more than the given code explains, found by a fingerprint index.

For each code slot every submission is fingerprinted (``fingerprints.winnow``) and every
k-gram of the code the students were given (the stub and the support modules) is removed,
so shared scaffolding is never evidence. An inverted index (fingerprint -> who holds it)
gives, in one pass, how many fingerprints each pair shares: only pairs that share something
are ever looked at, never all pairs of whole files. A fingerprint held by many students is
an idiom of the course, not a copy, and is not counted (MOSS's ``-m``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

from grader.similarity.fingerprints import Fingerprint, kgram_hashes, winnow
from grader.similarity.model import CodeMatch, CodeRegion, StudentWork
from grader.similarity.tokens import normalized_tokens

__all__ = ["MIN_SHARED", "common_limit", "code_matches"]

MIN_SHARED = 3
"""Fewest shared fingerprints (about 3 x 15 tokens) that can make a pair: less is noise."""


def common_limit(students: int) -> int:
    """Most students that may hold a fingerprint for it to count: 10 (MOSS's default ``-m``)
    or 5% of the class when more; a passage more students wrote is the course's idiom, not
    a copy (so a ring of more copiers than that is seen only through its other passages)."""
    return max(10, math.ceil(0.05 * students))


def _given_hashes(given: Iterable[str]) -> set[int]:
    out: set[int] = set()
    for source in given:
        out.update(kgram_hashes(normalized_tokens(source)))
    return out


def _regions(
    a: Sequence[Fingerprint], b: Sequence[Fingerprint], shared: set[int]
) -> list[CodeRegion]:
    """Matching line ranges, a's order, consecutive matches that continue on both sides merged."""
    first_in_b: dict[int, Fingerprint] = {}
    for fp in b:
        first_in_b.setdefault(fp.hash, fp)
    seen: set[int] = set()
    out: list[CodeRegion] = []
    for fp in a:
        if fp.hash not in shared or fp.hash in seen:
            continue
        seen.add(fp.hash)
        other = first_in_b[fp.hash]
        if out:
            last = out[-1]
            continues_a = fp.first_line <= last.a_last + 1
            continues_b = (
                other.first_line <= last.b_last + 1 and other.last_line >= last.b_first - 1
            )
            if continues_a and continues_b:
                out[-1] = CodeRegion(
                    last.a_first,
                    max(last.a_last, fp.last_line),
                    min(last.b_first, other.first_line),
                    max(last.b_last, other.last_line),
                )
                continue
        out.append(CodeRegion(fp.first_line, fp.last_line, other.first_line, other.last_line))
    return out


def code_matches(
    works: Sequence[StudentWork],
    given: Mapping[str, Sequence[str]],
    threshold: float,
) -> dict[tuple[str, str], list[CodeMatch]]:
    """Pairs (a < b) whose code for some slot shares at least ``threshold`` of either
    student's fingerprints, given code removed; ``given``: slot -> the sources every
    student got for it (stub, support)."""
    limit = common_limit(len(works))
    slots = sorted({slot for w in works for slot in w.code})
    found: dict[tuple[str, str], list[CodeMatch]] = defaultdict(list)
    for slot in slots:
        scaffold = _given_hashes(given.get(slot, ()))
        prints: dict[str, list[Fingerprint]] = {}
        sources: dict[str, str] = {}
        index: dict[int, list[str]] = defaultdict(list)
        for w in works:
            source = w.code.get(slot)
            if source is None:
                continue
            fps = [fp for fp in winnow(normalized_tokens(source)) if fp.hash not in scaffold]
            if not fps:
                continue
            prints[w.student], sources[w.student] = fps, source
            for h in {fp.hash for fp in fps}:
                index[h].append(w.student)
        shared_counts: Counter[tuple[str, str]] = Counter()
        for holders in index.values():
            if 2 <= len(holders) <= limit:
                shared_counts.update(combinations(sorted(holders), 2))
        for (a, b), count in shared_counts.items():
            if count < MIN_SHARED:
                continue
            set_a = {fp.hash for fp in prints[a]}
            set_b = {fp.hash for fp in prints[b]}
            share_a, share_b = count / len(set_a), count / len(set_b)
            if max(share_a, share_b) < threshold:
                continue
            shared = {h for h in set_a & set_b if len(index[h]) <= limit}
            regions = _regions(prints[a], prints[b], shared)
            found[(a, b)].append(
                CodeMatch(
                    slot,
                    round(share_a, 4),
                    round(share_b, 4),
                    tuple(regions),
                    sources[a],
                    sources[b],
                )
            )
    return dict(found)
