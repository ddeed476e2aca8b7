"""The one small module every reference topic may share: devices, seeds, dtypes."""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "generator", "DeviceLike"]

DeviceLike = torch.device | str | None


def resolve_device(device: DeviceLike = None, *tensors: torch.Tensor) -> torch.device:
    """The device to compute on.

    ``device`` wins when given; otherwise the device of the first tensor argument;
    otherwise CPU. ``"cuda"`` without a GPU raises a clear error instead of torch's.
    """
    if device is not None:
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {str(device)!r} requested but no CUDA device is available")
        return dev
    for t in tensors:
        if isinstance(t, torch.Tensor):
            return t.device
    return torch.device("cpu")


def generator(seed: int, device: DeviceLike = None) -> torch.Generator:
    """A seeded ``torch.Generator`` on ``device`` so that draws are reproducible per seed."""
    g = torch.Generator(device=resolve_device(device))
    g.manual_seed(int(seed))
    return g
