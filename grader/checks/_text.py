"""Free-text answers: a provisional score from rubric keywords, for a TA to review.

Each rubric point is ``{id, marks, description, keywords}``. ``keywords`` lists
*alternatives*; an alternative is a list of words or phrases that must all appear (a
plain string is an alternative of one phrase). Matching ignores case and punctuation
(``KL-divergence`` matches ``kl divergence``) and applies a light stemmer, so
``penalises``, ``penalised`` and ``penalising`` match ``penalise``. A non-ASCII symbol
(``∇``, ``∑``) counts as a word of its own. A phrase matches as a contiguous run of words.
Keywords are optional: a point with only a ``description`` (and perhaps ``examples`` and
``counter_examples``) cannot be found by keywords, so it is left to the text model or a TA
and the feedback says so (``keywordless_points`` lists such points; ``grader validate``
warns about them when the model is not active). A point with neither keywords nor a
description could never be matched: ``text_config_problems`` reports it.

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

from grader.checks._common import (
    ConfigProblem,
    blank,
    describe_value,
    invalid,
    is_blank,
    raise_config_problems,
)
from grader.results import CheckResult

__all__ = ["check_text", "keywordless_points", "stem", "text_config_problems"]

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
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


def _is_symbol(char: str) -> bool:
    """A non-ASCII mathematical or other symbol (``∇``, ``∑``, ``→``): a word of its own."""
    return ord(char) > 127 and unicodedata.category(char) in ("Sm", "So")


def _words(text: str) -> list[str]:
    """Stemmed words and symbols; punctuation (``-``, ``'``, ``+``) only separates words."""
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    return [stem(t) for t in tokens if _WORD.fullmatch(t) or _is_symbol(t)]


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    if not phrase:
        return True
    n = len(phrase)
    return any(list(words[i : i + n]) == list(phrase) for i in range(len(words) - n + 1))


_Alternatives = list[list[list[str]]]
_Point = tuple[str, float, str, _Alternatives]


def _rubric_points(rubric: object) -> tuple[list[_Point], list[ConfigProblem]]:
    """The rubric's points ready for matching (a keywordless point has no alternatives),
    and every problem with it: a point needs keywords or a description, or nothing could
    ever match it."""
    problems: list[ConfigProblem] = []
    if not isinstance(rubric, list | tuple) or not rubric:
        return [], [ConfigProblem(("rubric",), "a text question needs at least one rubric point")]
    points: list[_Point] = []
    seen: set[str] = set()
    for k, point in enumerate(rubric):
        if not isinstance(point, Mapping):
            problems.append(
                ConfigProblem(
                    ("rubric", k),
                    f"rubric point {k + 1} must be a mapping with id, marks, description and "
                    f"keywords, got {point!r}",
                )
            )
            continue
        point_id, marks = point.get("id"), point.get("marks", 1.0)
        description, keywords = point.get("description", ""), point.get("keywords", [])
        name = f"rubric point {k + 1}" + (
            f" ({point_id!r})" if isinstance(point_id, str) and point_id else ""
        )
        if not isinstance(point_id, str) or not point_id or point_id in seen:
            problems.append(
                ConfigProblem(
                    ("rubric", k, "id"), f"{name} needs a distinct string 'id', got {point_id!r}"
                )
            )
        else:
            seen.add(point_id)
        if (
            isinstance(marks, bool)
            or not isinstance(marks, int | float)
            or not math.isfinite(marks)
            or marks < 0
        ):
            problems.append(
                ConfigProblem(
                    ("rubric", k, "marks"),
                    f"{name}: 'marks' must be a non-negative number, got {marks!r}",
                )
            )
            marks = 0.0
        if keywords is None or isinstance(keywords, list | tuple) and not keywords:
            if not isinstance(description, str) or not description.strip():
                problems.append(
                    ConfigProblem(
                        ("rubric", k, "keywords"),
                        f"{name} has neither keywords nor a description, so nothing can match "
                        "it; give it a description (the text model and TAs read it) or "
                        "keywords: [[word or phrase, ...], ...]",
                    )
                )
                continue
            points.append((str(point_id), float(marks), description, []))
            continue
        if not isinstance(keywords, list | tuple):
            problems.append(
                ConfigProblem(
                    ("rubric", k, "keywords"),
                    f"{name}: 'keywords' must be a list of alternatives, got {keywords!r}",
                )
            )
            continue
        alternatives: _Alternatives = []
        for j, alternative in enumerate(keywords):
            phrases = [alternative] if isinstance(alternative, str) else alternative
            if not isinstance(phrases, list | tuple) or not all(
                isinstance(p, str) for p in phrases
            ):
                problems.append(
                    ConfigProblem(
                        ("rubric", k, "keywords", j),
                        f"{name}: each keyword alternative is a phrase or a list of phrases, "
                        f"got {alternative!r}",
                    )
                )
                continue
            words = [_words(phrase) for phrase in phrases]
            if not words or not all(words):
                problems.append(
                    ConfigProblem(
                        ("rubric", k, "keywords", j),
                        f"{name}: keyword alternative {j + 1} ({alternative!r}) has an empty "
                        "phrase, which every answer would match; give each phrase at least one "
                        "word",
                    )
                )
                continue
            alternatives.append(words)
        points.append((str(point_id), float(marks), str(description), alternatives))
    return points, problems


def keywordless_points(rubric: Sequence[Mapping[str, object]]) -> list[tuple[int, str]]:
    """(index, id) of every rubric point without keywords: the keyword rubric cannot find
    them, only the text model or a TA."""
    return [
        (k, str(point.get("id")))
        for k, point in enumerate(rubric)
        if isinstance(point, Mapping) and not point.get("keywords")
    ]


def text_config_problems(
    *,
    rubric: Sequence[Mapping[str, object]],
    max_length: int = 20_000,
) -> list[ConfigProblem]:
    """Every problem with ``check_text``'s configuration: the check it runs before reading
    an answer (``grader validate`` calls it too)."""
    problems = _rubric_points(rubric)[1]
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
        problems.append(
            ConfigProblem(
                ("max_length",), f"max_length must be a positive integer, got {max_length!r}"
            )
        )
    return problems


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

    Raises ``ConfigError`` (a ValueError) for a malformed rubric, such as a point without
    keywords (an authoring error; see ``text_config_problems``); never for an answer.
    """
    raise_config_problems(text_config_problems(rubric=rubric, max_length=max_length))
    points = _rubric_points(rubric)[0]
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
        for point_id, _, description, alternatives in points
        if point_id not in found_ids and alternatives
    ]
    unmatched = [description or point_id for point_id, _, description, alts in points if not alts]
    parts = ["Provisional score; a TA will review this answer."]
    if found:
        parts.append(
            "Points found: "
            + "; ".join(description or point_id for point_id, _, description in found)
            + "."
        )
    if missing:
        parts.append("Points not found: " + "; ".join(missing) + ".")
    if unmatched:
        parts.append(
            "Points the keywords cannot check (the text model or a TA decides them): "
            + "; ".join(unmatched)
            + "."
        )
    return CheckResult(
        status="needs_review",
        fraction=min(1.0, max(0.0, fraction)),
        feedback=" ".join(parts) + note,
        rubric_found=tuple(point_id for point_id, _, _ in found),
    )
