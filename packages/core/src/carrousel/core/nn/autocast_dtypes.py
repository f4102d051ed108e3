"""Which dtype mismatches autocast resolves, for the encoder's input and state checks."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["autocast_covers", "cpu_fp16_autocast_lstm_fails"]


def autocast_covers(a: torch.dtype, b: torch.dtype, device_type: str) -> bool:
    """Whether autocast on ``device_type`` runs an op on tensors of dtypes ``a`` and ``b`` together: it is
    enabled there and neither is float64, which autocast never casts (under CPU bfloat16 autocast a float64
    input reached ``torch.lstm`` and failed there: "expected m1 and m2 to have the same dtype")."""
    return torch.is_autocast_enabled(device_type) and torch.float64 not in (a, b)


def cpu_fp16_autocast_lstm_fails(x: Tensor) -> bool:
    """Whether a fused LSTM on ``x`` would hit oneDNN's float16 failure: CPU autocast to float16 with
    autograd on makes ``nn.LSTM`` pick oneDNN, which cannot build that training primitive (torch 2.14)."""
    return (
        x.device.type == "cpu"
        and torch.is_autocast_enabled("cpu")
        and torch.get_autocast_dtype("cpu") == torch.float16
        and torch.is_grad_enabled()
        and torch.backends.mkldnn.is_available()
        and bool(torch.backends.mkldnn.enabled)
    )
