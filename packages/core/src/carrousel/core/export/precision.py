"""Reduced-precision inference of a PyTorch network wrapped as a module (bf16 / fp16 autocast).

The precision itself is chosen in one place, :mod:`carrousel.core.device`:
:func:`~carrousel.core.device.inference_dtype` checks it against the device (fp16 needs CUDA/MPS, bf16 a
device with bfloat16, an ONNX module neither) and :func:`~carrousel.core.device.run_in_precision` runs a
call under it, float32 outputs, no non-finite number that float32 would not give. Core's :func:`~carrousel.core.train.predict` uses both
(the domains pass their ``precision`` field to it); :func:`reduced_precision` wraps any other network with
them, e.g. for a domain model's ``runtime`` slot (the network run instead of its own)::

    fitted = replace(fitted, runtime=reduced_precision(fitted.model, "bf16"))

The weights stay float32 (autocast casts per operation), so the wrapper shares them with the network and
costs no memory. On this project's CPU, bf16 is mostly slower than float32 (``benchmarks/bench_precision.py``;
the bio panel's convolution at batch 64 is the exception); on a GPU it takes the cuDNN kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from carrousel.core.device import check_exported_precision, inference_dtype, run_in_precision
from carrousel.core.errors import ConfigError
from carrousel.core.export.choices import InferencePrecision

__all__ = ["ReducedPrecision", "reduced_precision"]


class ReducedPrecision(nn.Module):
    """``module`` run under bf16 / fp16 autocast on its parameters' device; outputs float32.

    Args:
        module: a PyTorch network with parameters (its forward is what runs).
        precision: ``"bf16"`` or ``"fp16"``.

    Raises:
        ConfigError: an unknown precision, one the module's device cannot run, or a module without
            parameters (an ONNX Runtime module runs its own fp32/int8 file).
    """

    def __init__(self, module: nn.Module, precision: InferencePrecision | str) -> None:
        super().__init__()
        self.precision = InferencePrecision(_known(precision))
        param = next(module.parameters(), None)
        check_exported_precision(self.precision.value, exported=param is None)
        self.module = module
        self.dtype = inference_dtype(self.precision.value, _device(module))

    @property
    def config(self) -> Any:
        """The wrapped network's config (for callers that read ``runtime.config``)."""
        return getattr(self.module, "config", None)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's outputs, computed under autocast, floating ones as float32."""
        return self.run(lambda: self.module(*args, **kwargs))

    def run(self, call: Callable[[], Any]) -> Any:
        """``call()`` under this wrapper's autocast, floating outputs as float32 (core's
        :func:`~carrousel.core.device.run_in_precision`): for networks called through other methods than
        ``forward`` (a subclass adds them, e.g. a decoder's ``start`` and ``step``)."""
        return run_in_precision(call, _device(self.module), self.dtype)


def _device(module: nn.Module) -> torch.device:
    param = next(module.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _known(precision: InferencePrecision | str) -> str:
    try:
        return InferencePrecision(precision).value
    except ValueError:
        raise ConfigError(f"unknown precision {precision!r}; use fp32, bf16 or fp16") from None


def reduced_precision(module: nn.Module, precision: InferencePrecision | str) -> nn.Module:
    """``module`` itself for fp32, otherwise a :class:`ReducedPrecision` wrapper of it (checked here).

    Raises:
        ConfigError: see :class:`ReducedPrecision`.
    """
    if _known(precision) == InferencePrecision.FP32:
        return module
    return ReducedPrecision(module, precision)
