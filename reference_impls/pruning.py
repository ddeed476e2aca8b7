"""Unstructured magnitude pruning: runtime and perplexity against the pruned fraction p.

Implements mid-sem Question 6 (b) on the small GPT of ``reference_impls.gpt`` (the one
documented exception to "import only ``_common``"): ``magnitude_mask`` masks the p% of
entries of smallest |w| within one weight tensor; ``prune_`` applies it to every weight
matrix of the model (Linear weights and the tied embedding; LayerNorm gains and biases,
being vectors, are left alone). ``pruning_curve`` trains a character-level GPT on the
tiny corpus in ``data/tiny_corpus.txt`` from a seed, prunes copies of it for each p and
returns runtime and held-out perplexity:

* runtime stays flat: masked weights are zeros inside dense matrices, and a dense matmul
  costs the same whatever the values (the FLOP count is identical for every p);
* perplexity PPL = exp(mean_t -log p(x_t | x_<t)) stays nearly flat for small p (small
  weights carry little signal) and climbs steeply for large p.

Checked against: the exact count of masked entries per tensor, the untouched vectors,
and the shape of the curve (flat, then rising).

Shapes: B batch, T sequence length, V vocabulary (characters of the corpus).
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from reference_impls._common import DeviceLike, generator, resolve_device
from reference_impls.gpt import GPT, GPTConfig

__all__ = [
    "CORPUS_PATH",
    "load_corpus",
    "magnitude_mask",
    "prune_",
    "train_char_gpt",
    "perplexity",
    "PruningPoint",
    "pruning_curve",
]

CORPUS_PATH = Path(__file__).parent / "data" / "tiny_corpus.txt"


def load_corpus() -> str:
    """The few-KB training text shipped with the package."""
    return CORPUS_PATH.read_text(encoding="utf-8")


def magnitude_mask(w: torch.Tensor, p: float) -> torch.Tensor:
    """Boolean mask of w's shape, False at the round(p/100 * numel) entries of smallest |w|."""
    if not 0 <= p <= 100:
        raise ValueError(f"p must be a percentage in [0, 100], got {p!r}")
    k = round(p / 100 * w.numel())  # entries to mask
    order = w.abs().flatten().argsort(stable=True)  # ascending |w|: (N,)
    keep = torch.ones(w.numel(), dtype=torch.bool, device=w.device)
    keep[order[:k]] = False
    return keep.view_as(w)


@torch.no_grad()
def prune_(model: torch.nn.Module, p: float) -> dict[str, torch.Tensor]:
    """Mask p% of every weight matrix (parameters with >= 2 dims) in place; return the masks."""
    masks = {}
    for name, w in model.named_parameters():  # a tied weight appears once
        if w.dim() >= 2:
            masks[name] = magnitude_mask(w, p)
            w.mul_(masks[name])  # w <- w * m
    return masks


def _encode(text: str, vocab: list[str], device: torch.device) -> torch.Tensor:
    stoi = {c: i for i, c in enumerate(vocab)}
    return torch.tensor([stoi[c] for c in text], device=device)  # (N,)


def train_char_gpt(
    seed: int = 0, steps: int = 160, device: DeviceLike = None
) -> tuple[GPT, torch.Tensor]:
    """Train a small character-level GPT on the first 90% of the corpus.

    Returns the model (eval mode) and the held-out last 10% as ids (N_val,).
    """
    dev = resolve_device(device)
    text = load_corpus()
    vocab = sorted(set(text))
    data = _encode(text, vocab, dev)  # (N,)
    n_train = int(0.9 * len(data))
    train, val = data[:n_train], data[n_train:]
    cfg = GPTConfig(n_layer=2, n_head=4, d_model=64, d_ff=256, vocab_size=len(vocab), block_size=32)
    model = GPT(cfg, seed=seed, device=dev)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    g, B, T = generator(seed, "cpu"), 16, cfg.block_size
    for _ in range(steps):
        start = torch.randint(n_train - T - 1, (B, 1), generator=g).to(dev)  # (B, 1)
        rows = start + torch.arange(T + 1, device=dev)  # (B, T + 1)
        x, y = train[rows[:, :-1]], train[rows[:, 1:]]  # (B, T) each, y shifted by one
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval(), val


@torch.no_grad()
def perplexity(model: GPT, ids: torch.Tensor) -> float:
    """PPL = exp(mean -log p(x_t | x_<t)) over non-overlapping windows of ids (N,)."""
    T = model.cfg.block_size
    n = (len(ids) - 1) // T
    x = ids[: n * T].view(n, T)  # (n, T)
    y = ids[1 : n * T + 1].view(n, T)  # (n, T)
    return math.exp(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item())


@torch.no_grad()
def _runtime(model: GPT, ids: torch.Tensor, repeats: int = 10) -> float:
    """Fastest of ``repeats`` timed forward passes over a (8, T) batch (noise only adds)."""
    T = model.cfg.block_size
    x = ids[:T].repeat(8, 1)  # (8, T)
    times = []
    for _ in range(repeats):
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        t0 = time.perf_counter()
        model(x)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        times.append(time.perf_counter() - t0)
    return min(times)


@torch.no_grad()
def _flops(model: GPT, ids: torch.Tensor) -> int:
    """FLOPs of the same forward pass, counted by ``FlopCounterMode``."""
    x = ids[: model.cfg.block_size].repeat(8, 1)  # (8, T)
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


class PruningPoint(NamedTuple):
    """One point of the pruning curve."""

    p: float  # requested percentage of masked entries per weight matrix
    sparsity: float  # measured fraction of zeros over all weight matrices
    runtime_s: float  # forward time of a (8, T) batch (best of 10)
    flops: int  # FLOPs of that forward: the dense matmuls do not shrink with p
    perplexity: float  # held-out character perplexity


def pruning_curve(
    ps: list[float], seed: int = 0, device: DeviceLike = None, steps: int = 160
) -> list[PruningPoint]:
    """Train once from ``seed``, then for each p prune a copy and measure it."""
    model, val = train_char_gpt(seed, steps, device)
    _runtime(model, val)  # warm-up
    points = []
    for p in ps:
        pruned = copy.deepcopy(model)
        masks = prune_(pruned, p)
        zeros = sum(int((~m).sum()) for m in masks.values())
        total = sum(m.numel() for m in masks.values())
        points.append(
            PruningPoint(
                p,
                zeros / total,
                _runtime(pruned, val),
                _flops(pruned, val),
                perplexity(pruned, val),
            )
        )
    return points
