"""The parameter and buffer shapes of a network, known before anything is allocated.

A bundle's config says which network to build; its weights file says which shapes it holds. Checking
that they agree BEFORE allocating the network (a damaged or hostile config may ask for billions of
parameters) means building it on PyTorch's ``meta`` device, where tensors have shapes and no storage.

On ``meta``, PyTorch runs the random initialisers (``normal_``, ``uniform_``...) through its Python
reference implementations, and the first such call imports ``torch._dynamo`` (about 1.2 s on this
machine, more than a third of a prediction command's start-up). A meta tensor has no values to
initialise, so :func:`state_shapes` builds the network with those in-place initialisers answered by
returning the tensor unchanged: the shapes are the same, and the compiler stack is never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

__all__ = ["state_shapes"]

# In-place tensor methods that keep their tensor's shape: on a meta tensor they have nothing to compute
# (so do the ``torch.nn.init`` functions ending in ``_``, matched by module and name).
_INIT_OPS = frozenset(
    {
        "normal_",
        "uniform_",
        "zero_",
        "fill_",
        "bernoulli_",
        "exponential_",
        "geometric_",
        "log_normal_",
        "cauchy_",
        "random_",
        "clamp_",
        "copy_",
        "mul_",
        "add_",
        "div_",
        "sub_",
        "erfinv_",
    }
)


class _NoMetaInit(TorchFunctionMode):
    """Answers the shape-keeping in-place initialisers on meta tensors with the tensor itself."""

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        initialiser = name in _INIT_OPS or (
            getattr(func, "__module__", "") == "torch.nn.init" and name.endswith("_")
        )
        target = args[0] if args else kwargs.get("tensor")  # torch.nn.init passes it by keyword
        if initialiser and isinstance(target, Tensor) and target.is_meta:
            return target
        return func(*args, **kwargs)


def state_shapes(build: Callable[[], nn.Module]) -> dict[str, tuple[int, ...]]:
    """The shape of every entry of the state dict of ``build()``, without allocating its weights.

    Args:
        build: makes the network (e.g. ``lambda: Net(config)``); it is called once, on the meta device.
            Whatever it raises propagates unchanged.

    Returns:
        ``{state-dict key: shape}``, as ``build().state_dict()`` would give on any device.
    """
    with torch.device("meta"), _NoMetaInit():
        probe = build()
    return {k: tuple(v.shape) for k, v in probe.state_dict().items()}
