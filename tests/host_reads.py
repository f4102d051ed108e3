"""Counts the host reads of "device" tensors on the CPU: the calls that, on a GPU, make the host wait for the
device (a host-device synchronisation). A tensor marked with :func:`on_device` (and every tensor computed
from it) records each ``item``, ``tolist``, ``numpy``, ``cpu``, ``to("cpu")``, ``int``/``float``/``bool``/
``index`` conversion, ``nonzero`` and boolean-mask index it undergoes; what a read gives back is a plain
(host) tensor again, whose own reads cost nothing and are not counted."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import torch

__all__ = ["host_reads", "on_device"]

_READS = {"item", "tolist", "numpy", "cpu", "__int__", "__float__", "__bool__", "__index__", "nonzero"}


def _to_host(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a ``Tensor.to`` call names the CPU."""
    where = [*args[1:], kwargs.get("device")]
    return any(w == "cpu" or (isinstance(w, torch.device) and w.type == "cpu") for w in where)


def _bool_index(args: tuple[Any, ...]) -> bool:
    """Whether a ``__getitem__`` call indexes with a boolean tensor (its size is read on the host)."""
    index = args[1] if len(args) > 1 else None
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, torch.Tensor) and p.dtype == torch.bool for p in parts)


class _OnDevice(torch.Tensor):
    """A CPU tensor standing for one on a GPU."""

    reads: ClassVar[list[str] | None] = None  # the open count of :func:`host_reads`

    @classmethod
    def __torch_function__(
        cls,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        read = (
            name in _READS
            or (name == "to" and _to_host(args, kwargs))
            or (name == "__getitem__" and _bool_index(args))
        )
        if read and cls.reads is not None:
            cls.reads.append(name)
        out = super().__torch_function__(func, types, args, kwargs)
        if read and name in ("cpu", "to") and isinstance(out, torch.Tensor):
            with torch._C.DisableTorchFunctionSubclass():
                return out.as_subclass(torch.Tensor)
        return out


def on_device(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` marked as lying on the device: its host reads are counted by :func:`host_reads`."""
    return tensor.as_subclass(_OnDevice)


@contextlib.contextmanager
def host_reads() -> Iterator[list[str]]:
    """The names of the host reads of marked tensors made inside the block, in order."""
    reads: list[str] = []
    _OnDevice.reads = reads
    try:
        yield reads
    finally:
        _OnDevice.reads = None
