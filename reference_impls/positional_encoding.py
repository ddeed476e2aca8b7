"""Positional encodings: sinusoidal, learned, raw integers, and why raw integers fail.

Implements
* ``sinusoidal_encoding``: PE(pos, 2i) = sin(pos / 10000^{2i/D}),
  PE(pos, 2i+1) = cos(pos / 10000^{2i/D})  (Vaswani et al., 2017, section 3.5).
* ``LearnedPositionalEncoding``: a trainable (T_max, D) table (``nn.Embedding``), as in
  BERT and GPT-2; positions >= T_max have no row at all.
* ``integer_encoding``: the naive scheme of mid-sem Question 2 (a)(ii): position p is
  encoded by the value p (1, 2, 3, ...) in every dimension.
* ``raw_integer_diagnostics``: numbers behind the seed's answer "raw integers do not
  generalise to longer sequences and large values bias the model toward later tokens":
  the encoding's norm relative to a token embedding grows linearly with position
  (it swamps the token's content), and positions past the training length produce values
  larger than any seen in training, while the sinusoid stays bounded in [-1, 1].

Checked against: an independent NumPy loop over the paper's formula, the relative-
position property PE(pos + k) = R_k PE(pos) (a fixed rotation per frequency), and the
closed forms of the diagnostics.

Shapes: T positions, D model width.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn as nn

from reference_impls._common import DeviceLike, resolve_device

__all__ = [
    "sinusoidal_encoding",
    "LearnedPositionalEncoding",
    "integer_encoding",
    "RawIntegerDiagnostics",
    "raw_integer_diagnostics",
    "shift_by_rotation",
]


def sinusoidal_encoding(
    T: int, D: int, base: float = 10000.0, device: DeviceLike = None
) -> torch.Tensor:
    """Sinusoidal table for positions 0..T-1: (T, D), D even."""
    if D % 2:
        raise ValueError(f"D={D!r} must be even")
    dev = resolve_device(device)
    pos = torch.arange(T, device=dev, dtype=torch.float32)[:, None]  # (T, 1)
    two_i = torch.arange(0, D, 2, device=dev, dtype=torch.float32)  # 2i: (D/2,)
    omega = base ** (-two_i / D)  # 1 / 10000^{2i/D}: (D/2,)
    pe = torch.empty(T, D, device=dev)
    pe[:, 0::2] = torch.sin(pos * omega)  # PE(pos, 2i)
    pe[:, 1::2] = torch.cos(pos * omega)  # PE(pos, 2i+1)
    return pe


class LearnedPositionalEncoding(nn.Module):
    """P[pos] for pos < T_max, a trainable (T_max, D) table."""

    def __init__(self, T_max: int, D: int, device: DeviceLike = None) -> None:
        super().__init__()
        self.table = nn.Embedding(T_max, D, device=resolve_device(device))  # (T_max, D)

    def forward(self, T: int, start_pos: int = 0) -> torch.Tensor:
        """Encodings of positions start_pos..start_pos+T-1: (T, D).

        Raises ``ValueError`` past T_max: a learned table knows no unseen position.
        """
        T_max = self.table.num_embeddings
        if start_pos + T > T_max:
            raise ValueError(f"positions up to {start_pos + T - 1} requested, table has {T_max}")
        pos = torch.arange(start_pos, start_pos + T, device=self.table.weight.device)  # (T,)
        return self.table(pos)  # (T, D)


def integer_encoding(T: int, D: int, start: int = 1, device: DeviceLike = None) -> torch.Tensor:
    """Raw integer positions start, start+1, ... repeated over D dims: (T, D)."""
    pos = torch.arange(start, start + T, device=resolve_device(device), dtype=torch.float32)
    return pos[:, None].expand(T, D).contiguous()  # (T, D)


class RawIntegerDiagnostics(NamedTuple):
    """What goes wrong with raw integer positions (vs. sinusoids)."""

    positions: torch.Tensor  # (T_test,) positions 1..T_test
    ratio_integer: torch.Tensor  # (T_test,) ||PE_int(p)|| / ||e||: = p sqrt(D)/||e||, grows
    ratio_sinusoidal: torch.Tensor  # (T_test,) ||PE_sin(p)|| / ||e||: = sqrt(D/2)/||e||, flat
    extrapolation_integer: float  # max |PE| over 1..T_test / max |PE| over 1..T_train
    extrapolation_sinusoidal: float  # the same for the sinusoid: <= 1, values stay in [-1, 1]


def raw_integer_diagnostics(
    T_train: int, T_test: int, D: int, token_norm: float = 1.0, device: DeviceLike = None
) -> RawIntegerDiagnostics:
    """Compare integer and sinusoidal encodings of positions 1..T_test for a model
    trained on sequences of length T_train, with token embeddings of norm ``token_norm``.

    ratio: how large the positional signal is next to the token embedding it is added to.
    extrapolation: how much larger the encodings of positions up to T_test get than any
    value seen on positions 1..T_train (T_test / T_train for integers, <= 1 for sinusoids).
    """
    dev = resolve_device(device)
    pe_int = integer_encoding(T_test, D, start=1, device=dev)  # (T_test, D)
    pe_sin = sinusoidal_encoding(T_test + 1, D, device=dev)[1:]  # positions 1..T_test

    def extrapolation(pe: torch.Tensor) -> float:
        return float(pe.abs().max() / pe[:T_train].abs().max())

    return RawIntegerDiagnostics(
        positions=torch.arange(1, T_test + 1, device=dev),
        ratio_integer=pe_int.norm(dim=-1) / token_norm,
        ratio_sinusoidal=pe_sin.norm(dim=-1) / token_norm,
        extrapolation_integer=extrapolation(pe_int),
        extrapolation_sinusoidal=extrapolation(pe_sin),
    )


def shift_by_rotation(pe: torch.Tensor, k: int, base: float = 10000.0) -> torch.Tensor:
    """PE(pos + k) as a fixed linear map of PE(pos): rotate each (sin, cos) pair by k omega_i.

    This is why sinusoids let attention express relative offsets (Vaswani et al., 3.5).

    pe: (T, D) sinusoidal table; returns (T - k, D) predictions of pe[k:].
    """
    D = pe.shape[-1]
    omega = base ** (-torch.arange(0, D, 2, dtype=pe.dtype, device=pe.device) / D)  # (D/2,)
    c, s = torch.cos(k * omega), torch.sin(k * omega)
    sin_p, cos_p = pe[:-k, 0::2], pe[:-k, 1::2]  # (T - k, D/2)
    out = torch.empty_like(pe[:-k])
    out[:, 0::2] = sin_p * c + cos_p * s  # sin(a + b) = sin a cos b + cos a sin b
    out[:, 1::2] = cos_p * c - sin_p * s  # cos(a + b) = cos a cos b - sin a sin b
    return out
