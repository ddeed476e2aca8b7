"""Mid-sem B4(a): Bradley–Terry log-likelihood of a dataset of ranked triples y1 > y2 > y3.

    log L = sum_{(x, y1, y2, y3) in D} [ log sigma(r1 - r2) + log sigma(r1 - r3)
                                        + log sigma(r2 - r3) ]

``preferences.ranking_log_likelihood`` gives one value per ranked row; the paper's log L
sums them over the dataset.

Shapes: rewards (N, 3), row n = r_theta(x_n, y_1), r_theta(x_n, y_2), r_theta(x_n, y_3).
"""

from __future__ import annotations

import torch

from reference_impls.preferences import ranking_log_likelihood as _per_row

__all__ = ["ranking_log_likelihood", "triple_log_likelihood"]


def ranking_log_likelihood(rewards: torch.Tensor) -> torch.Tensor:
    """log L summed over the N ranked triples; rewards (N, 3) best first -> scalar."""
    return _per_row(rewards).sum()  # sum over D of sum_{i<j} log sigma(r_i - r_j)


def triple_log_likelihood(r1: float, r2: float, r3: float) -> float:
    """log L of one triple with rewards r1 > r2 > r3 in rank order, as a float."""
    return float(_per_row(torch.tensor([r1, r2, r3], dtype=torch.float64)))
