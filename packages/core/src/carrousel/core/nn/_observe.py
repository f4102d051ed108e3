"""The profiler side of :func:`carrousel.core.nn.backend.explain_backend`: which kernels a run used."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.nn.cells import LoopLayer

__all__ = ["observe_kernels"]

_NATIVE_GRU = (
    "carrousel_cells::gru_fwd"  # the fused C++ GRU loop (gru_native.py), one call per layer and direction
)

_FUSED_OPS = ("aten::lstm", "aten::gru", "aten::rnn_tanh", "aten::rnn_relu", _NATIVE_GRU)


@check_args
def observe_kernels(module: nn.Module, x: Tensor, lengths: Tensor | None, grad: bool) -> tuple[str, ...]:
    """Runs ``module(x[, lengths])`` once under the profiler; returns the kernel of every fused recurrent
    call in time order, then ``"python_loop"`` once per loop-layer call."""
    from torch.profiler import ProfilerActivity, profile

    loops: list[int] = []
    hooks = [
        m.register_forward_hook(lambda *_: loops.append(1))
        for m in module.modules()
        if isinstance(m, LoopLayer)
    ]
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if x.device.type == "cuda" else [])
    order: list[tuple[float, str]] = []
    try:
        with torch.set_grad_enabled(grad), profile(activities=activities) as prof:
            if lengths is None:
                module(x)
            else:
                module(x, lengths)
    finally:
        for h in hooks:
            h.remove()
    for ev in prof.events():
        if ev.name not in _FUSED_OPS:
            continue
        names = _descendants(ev)
        kernel = (
            "native_gru"
            if ev.name == _NATIVE_GRU
            else "onednn"
            if "aten::mkldnn_rnn_layer" in names
            else "cudnn"
            if "aten::_cudnn_rnn" in names
            else "aten"
        )
        order.append((ev.time_range.start, kernel))
    order.sort()
    return tuple(k for _, k in order) + ("python_loop",) * len(loops)


def _descendants(ev: Any) -> set[str]:
    seen: set[str] = set()
    stack = list(ev.cpu_children)
    while stack:
        e = stack.pop()
        seen.add(e.name)
        stack.extend(e.cpu_children)
    return seen
