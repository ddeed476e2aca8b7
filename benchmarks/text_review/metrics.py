"""Agreement between two markings of the same answers: the benchmark's figures.

Pure functions of equal-length sequences. A figure that is undefined (a constant marking
for Pearson's r, no positive prediction for precision, chance agreement of 1 for kappa) is
``nan``, never a made-up number; ``fmt`` prints it as ``n/a``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "cohen_kappa",
    "exact_share",
    "fmt",
    "mean_absolute_error",
    "pearson",
    "precision_recall",
]


def _pair(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need two non-empty sequences of one length, got {a.shape} and {b.shape}")
    return a, b


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r = cov(x, y) / (sd(x) sd(y)); ``nan`` when either is constant."""
    a, b = _pair(x, y)
    da, db = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(da @ da) * float(db @ db))
    return float(da @ db) / denominator if denominator > 0 else math.nan


def mean_absolute_error(x: Sequence[float], y: Sequence[float]) -> float:
    """mean |x_i - y_i|."""
    a, b = _pair(x, y)
    return float(np.abs(a - b).mean())


def exact_share(x: Sequence[float], y: Sequence[float]) -> float:
    """The share of i with x_i == y_i (to 1e-9)."""
    a, b = _pair(x, y)
    return float((np.abs(a - b) < 1e-9).mean())


def cohen_kappa(x: Sequence[bool], y: Sequence[bool]) -> float:
    """Cohen's kappa of two yes/no markings: (p_o - p_e) / (1 - p_e), with p_o the observed
    agreement and p_e = p_x p_y + (1 - p_x)(1 - p_y) the agreement expected by chance from
    each marking's share of yes; ``nan`` when p_e = 1 (both constant and equal)."""
    a, b = _pair([float(v) for v in x], [float(v) for v in y])
    observed = float((a == b).mean())
    px, py = float(a.mean()), float(b.mean())
    chance = px * py + (1 - px) * (1 - py)
    return (observed - chance) / (1 - chance) if chance < 1 else math.nan


def precision_recall(predicted: Sequence[bool], actual: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of ``predicted`` against ``actual``: TP / (TP + FP) and
    TP / (TP + FN); each ``nan`` when its denominator is 0."""
    p, a = _pair([float(v) for v in predicted], [float(v) for v in actual])
    hits = float((p * a).sum())
    return (
        hits / float(p.sum()) if p.sum() else math.nan,
        hits / float(a.sum()) if a.sum() else math.nan,
    )


def fmt(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, ``n/a`` for nan."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"
