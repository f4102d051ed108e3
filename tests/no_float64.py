"""A torch function mode that fails on float64 tensors: what an Apple MPS device refuses, checked on the CPU."""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

__all__ = ["NoFloat64"]


class NoFloat64(TorchFunctionMode):
    """Fails on any float64 tensor an operation returns."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for leaf in tree_leaves(out):
            if isinstance(leaf, torch.Tensor) and leaf.dtype == torch.float64:
                raise AssertionError(f"{getattr(func, '__name__', func)} made a float64 tensor")
        return out
