"""Wrong DPO losses for mid-sem B4(d)(ii); sequence log-probs (B,) x4 and beta -> scalar."""

from __future__ import annotations

import torch.nn.functional as F

__all__ = ["wrong_sign", "no_beta", "summed"]


def _margin(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg):  # type: ignore[no-untyped-def]
    return (logp_pos - ref_logp_pos) - (logp_neg - ref_logp_neg)


def wrong_sign(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):  # type: ignore[no-untyped-def]
    """WRONG: sign of beta flipped, -mean log sigma(-beta margin): prefers the rejected response."""
    return -F.logsigmoid(-beta * _margin(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg)).mean()


def no_beta(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):  # type: ignore[no-untyped-def]
    """WRONG: ignores beta (the paper's boxed form, right only for beta = 1)."""
    return -F.logsigmoid(_margin(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg)).mean()


def summed(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):  # type: ignore[no-untyped-def]
    """WRONG: sums over the preference pairs instead of averaging (1/|D| missing)."""
    return -F.logsigmoid(beta * _margin(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg)).sum()
