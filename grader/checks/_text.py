"""Free-text answers: a provisional score from rubric keywords, for a TA to review.

Each rubric point is ``{id, marks, description, keywords}``. ``keywords`` lists
*alternatives*; an alternative is a list of words or phrases that must all appear (a
plain string is an alternative of one phrase). Matching ignores case and punctuation
(``KL-divergence`` matches ``kl divergence``) and applies a light stemmer, so
``penalises``, ``penalised`` and ``penalising`` match ``penalise``. A phrase matches as a
contiguous run of words.

The result is always ``needs_review`` (except for a blank answer): ``fraction`` is the
share of rubric marks whose points were found, ``rubric_found`` their ids. A TA's decision,
kept by the grading pipeline, overrides it. Keyword matching cannot see negation ("this
is *not* a KL penalty" still matches), which is why a TA reviews every answer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

from grader.checks._common import blank, describe_value, invalid, is_blank
from grader.results import CheckResult

__all__ = ["check_text", "stem"]

_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


def stem(word: str) -> str:
    """A light stemmer: strip one common English suffix and a trailing 'e'."""
    word = word.lower()
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower())]


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    if not phrase:
        return True
    n = len(phrase)
    return any(list(words[i : i + n]) == list(phrase) for i in range(len(words) - n + 1))


_Alternatives = list[list[list[str]]]


def _validate_rubric(
    rubric: Sequence[Mapping[str, object]],
) -> list[tuple[str, float, str, _Alternatives]]:
    points = []
    seen: set[str] = set()
    for k, point in enumerate(rubric):
        point_id, marks = point.get("id"), point.get("marks", 1.0)
        description, keywords = point.get("description", ""), point.get("keywords", [])
        if not isinstance(point_id, str) or not point_id or point_id in seen:
            raise ValueError(f"rubric point {k} needs a distinct string 'id', got {point_id!r}")
        seen.add(point_id)
        if (
            isinstance(marks, bool)
            or not isinstance(marks, int | float)
            or not math.isfinite(marks)
            or marks < 0
        ):
            raise ValueError(
                f"rubric point {point_id!r}: 'marks' must be a non-negative number, got {marks!r}"
            )
        if not isinstance(keywords, list | tuple) or not keywords:
            raise ValueError(f"rubric point {point_id!r}: 'keywords' must be a non-empty list")
        alternatives: _Alternatives = []
        for alternative in keywords:
            phrases = [alternative] if isinstance(alternative, str) else alternative
            if not isinstance(phrases, list | tuple) or not all(
                isinstance(p, str) for p in phrases
            ):
                raise ValueError(
                    f"rubric point {point_id!r}: each keyword alternative is a phrase or list of phrases"
                )
            alternatives.append([_words(phrase) for phrase in phrases])
        points.append((point_id, float(marks), str(description), alternatives))
    if not points:
        raise ValueError("a text question needs at least one rubric point")
    return points


def _as_text(answer: object) -> str | None:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, int | float):
        return str(answer)
    if isinstance(answer, list | tuple) and all(isinstance(item, str) for item in answer):
        return "\n".join(str(item) for item in answer)
    return None


def check_text(
    answer: object,
    *,
    rubric: Sequence[Mapping[str, object]],
    max_length: int = 20_000,
) -> CheckResult:
    """Match a free-text answer against rubric keywords; provisional, for TA review.

    Raises ValueError for a malformed rubric (an authoring error); never for an answer.
    """
    points = _validate_rubric(rubric)
    if is_blank(answer):
        return blank()
    text = _as_text(answer)
    if text is None:
        return invalid(f"expected text, got {describe_value(answer)}")
    note = ""
    if len(text) > max_length:
        text = text[:max_length]
        note = f" Only the first {max_length} characters were read."
    words = _words(text)
    found = [
        (point_id, marks, description)
        for point_id, marks, description, alternatives in points
        if any(
            all(_contains(words, phrase) for phrase in alternative) for alternative in alternatives
        )
    ]
    total = sum(marks for _, marks, _, _ in points)
    fraction = sum(marks for _, marks, _ in found) / total if total else 0.0
    found_ids = {point_id for point_id, _, _ in found}
    missing = [
        description or point_id
        for point_id, _, description, _ in points
        if point_id not in found_ids
    ]
    parts = ["Provisional score; a TA will review this answer."]
    if found:
        parts.append(
            "Points found: "
            + "; ".join(description or point_id for point_id, _, description in found)
            + "."
        )
    if missing:
        parts.append("Points not found: " + "; ".join(missing) + ".")
    return CheckResult(
        status="needs_review",
        fraction=min(1.0, max(0.0, fraction)),
        feedback=" ".join(parts) + note,
        rubric_found=tuple(point_id for point_id, _, _ in found),
    )
