"""Where the network runs: a CUDA GPU when one is visible, the CPU otherwise."""

from __future__ import annotations

import torch

from lamella.core.errors import ModuleError

__all__ = ["DEVICES", "choose_device"]

DEVICES = ("auto", "cpu", "cuda")


def choose_device(requested: str = "auto") -> torch.device:
    """The device for ``requested`` ('auto', 'cpu' or 'cuda').

    'auto' takes the first CUDA GPU the process sees (the runner passes a step the GPUs it
    granted through ``CUDA_VISIBLE_DEVICES``), else the CPU; 'cuda' without a GPU fails in
    one line rather than silently training on the CPU for hours.

    Examples
    --------
    >>> choose_device("cpu")
    device(type='cpu')
    """
    if requested not in DEVICES:
        raise ModuleError(f"parameter 'device': '{requested}' is not a device; use one of "
                          f"{', '.join(DEVICES)}")
    if requested == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise ModuleError("parameter 'device': 'cuda' was asked for but this process sees no "
                          "CUDA GPU (no GPU granted, or a CPU-only PyTorch); use 'auto' or 'cpu'")
    return torch.device("cuda") if available else torch.device("cpu")
