"""Device selection, non-blocking transfers and autocast.

``pick_device("auto")`` picks CUDA, then Apple MPS, then CPU. ``move_to`` moves nested batches with
``non_blocking=True`` (effective when the source tensors are in pinned memory, which a DataLoader gives
where :func:`pin_memory_for` says so: for CUDA, and ``move_to(..., pin=True)`` for batches that come
from elsewhere), floating tensors converted to the model's :func:`floating_dtype`; :func:`move_batch` is
both, as the trainer, the evaluation loop, ``predict`` and the learning-rate sweep call it. ``autocast`` gives a
bf16/fp16 autocast context that is a no-op for ``"fp32"``. For inference, :func:`inference_dtype` is the one
check of a precision against a device (one-line errors for what the device cannot run; train commands
ask the same through :func:`check_precision`) and
:func:`run_in_precision` runs a call under it, never letting non-finite outputs out that float32 would not
give (the call is rerun in float32 then).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import platform
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence

from carrousel.core.args import check_args
from carrousel.core.config import DEVICE_CHOICES, check_device
from carrousel.core.errors import ConfigError
from carrousel.core.export.choices import precision_source
from carrousel.core.option_names import option

__all__ = [
    "DEVICE_CHOICES",
    "Precision",
    "autocast",
    "check_device",
    "check_exported_precision",
    "check_inference",
    "check_precision",
    "evaluating",
    "floating_dtype",
    "grad_scaler",
    "inference_dtype",
    "move_batch",
    "move_to",
    "pick_device",
    "pin_memory_for",
    "resolve_dtype",
    "run_in_precision",
    "wide_float",
]

Precision = Literal["fp32", "bf16", "fp16"]

logger = logging.getLogger(__name__)
_INFERENCE_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def pick_device(prefer: str | torch.device | None = "auto") -> torch.device:
    """Returns the device to use.

    Args:
        prefer: ``"auto"`` (or None) picks cuda, then mps, then cpu; otherwise a device string such as
            ``"cpu"`` or ``"cuda:1"``.

    Raises:
        ConfigError: when the requested device is not available here.
    """
    if isinstance(prefer, torch.device):
        return prefer
    if prefer in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(prefer)
    except RuntimeError:
        raise ConfigError(f"unknown device {prefer!r}; use {DEVICE_CHOICES}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {prefer!r} requested but CUDA is not available; use {option('device', 'cpu')}"
        )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"device {prefer!r} requested but MPS is not available; use {option('device', 'cpu')}"
        )
    return dev


def wide_float(device: torch.device) -> torch.dtype:
    """The widest floating dtype ``device`` computes in: float64, except on Apple MPS (no float64 there:
    any float64 tensor on it raises), where it is float32. For sums and scores kept on the device
    (beam scores, running statistics, metric states)."""
    return torch.float32 if device.type == "mps" else torch.float64


def pin_memory_for(device: str | torch.device | None) -> bool:
    """Whether a DataLoader feeding ``device`` should page-lock its batches (``pin_memory=True``): only for
    CUDA, where :func:`move_to`'s ``non_blocking`` copy needs pinned memory to be asynchronous (from
    pageable memory it is synchronous). CPU, Apple MPS and the rest gain nothing from it.

    Args:
        device: a ``torch.device`` or a device string (``"cuda:1"``, ``"mps"``); ``"auto"`` (or None) is
            CUDA when it is available here, as :func:`pick_device` picks.

    Raises:
        ConfigError: a device string torch does not know.
    """
    if device is None or device == "auto":
        return torch.cuda.is_available()
    if isinstance(device, str):
        try:
            device = torch.device(device)
        except RuntimeError:
            raise ConfigError(f"unknown device {device!r}; use {DEVICE_CHOICES}") from None
    return device.type == "cuda"


def floating_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype of ``model``'s first floating-point parameter (float32 when it has none, e.g. an ONNX
    Runtime network): the dtype the trainer and ``predict`` give floating inputs (``model.double()`` gets
    float64 batches; integer token ids and lengths keep their dtype)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


@check_args
def move_to(
    obj: Any,
    device: torch.device,
    non_blocking: bool = True,
    dtype: torch.dtype | None = None,
    pin: bool = False,
    numpy: bool = False,
) -> Any:
    """Moves tensors inside nested dicts, lists, tuples and dataclasses to ``device``; with ``dtype``,
    floating-point tensors are converted to it too (integer, boolean and complex ones keep theirs).

    With ``numpy`` (what :func:`move_batch` passes), NumPy arrays and scalars of a numeric or boolean dtype
    become tensors first (``torch.from_numpy``, sharing memory where it can) and then follow the tensors'
    rules: float64 arrays take ``dtype``, ``int64`` ids stay ``int64``. Arrays of strings or objects are left
    as they are (a task may read them).

    With ``pin`` (what the training and evaluation loops pass where :func:`pin_memory_for` says so: CUDA),
    a CPU tensor not yet in page-locked memory is first copied into a contiguous page-locked one, as a
    pinning ``DataLoader`` would have given it: batches built in advance (a list of tensors, not a loader)
    are then copied asynchronously too (from pageable memory the driver may first wait for the device's
    queued work, and stages the copy itself). A loader's pinned batches are not copied again.
    """
    non_blocking = non_blocking and device.type == "cuda"
    if numpy and isinstance(obj, np.ndarray | np.generic):
        obj = _from_numpy(obj)

    if isinstance(obj, torch.Tensor):
        if pin and obj.device.type == "cpu" and obj.layout == torch.strided and not obj.is_pinned():
            obj = _page_locked(obj)
        return obj.to(
            device, dtype if dtype is not None and obj.is_floating_point() else obj.dtype, non_blocking
        )
    if isinstance(obj, PackedSequence):  # its batch_sizes must stay on the CPU
        to = dtype if dtype is not None and obj.data.is_floating_point() else obj.data.dtype
        return obj.to(device=device, dtype=to, non_blocking=non_blocking)  # type: ignore[call-arg]

    def _again(item: Any) -> Any:
        return move_to(item, device, non_blocking, dtype, pin, numpy)

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = dataclasses.fields(obj)
        return dataclasses.replace(obj, **{f.name: _again(getattr(obj, f.name)) for f in fields})
    if isinstance(obj, Mapping):
        moved = {k: _again(v) for k, v in obj.items()}
        if isinstance(obj, MutableMapping):  # keeps the type and state (e.g. a defaultdict's factory)
            out = copy.copy(obj)
            out.update(moved)
            return out
        return moved
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(_again(v) for v in obj))
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        return type(obj)(_again(v) for v in obj)  # type: ignore[call-arg]
    return obj


def move_batch(batch: Any, device: torch.device, dtype: torch.dtype | None) -> Any:
    """A batch on its way into a model on ``device``: :func:`move_to` with ``dtype`` for its floating
    tensors (the model's :func:`floating_dtype`), page-locked first where :func:`pin_memory_for` says so
    (CUDA; a loader's pinned tensors are not copied again). The one rule of the trainer's, the evaluation
    loop's, ``predict``'s and the learning-rate sweep's batches; ``move_to`` itself pins only when asked.
    NumPy arrays in the batch (a loader or iterable yielding ``ndarray`` s, or tuples and dicts of them)
    become tensors first, under the same rules (``move_to``'s ``numpy``)."""
    return move_to(batch, device, dtype=dtype, pin=pin_memory_for(device), numpy=True)


def _from_numpy(array: np.ndarray | np.generic) -> Any:
    """A NumPy array or scalar of a numeric or boolean dtype as a tensor (a scalar as a 0-d tensor); any
    other (strings, objects, dates) unchanged. A read-only, reversed-stride or byte-swapped array is copied
    first (``torch.from_numpy`` refuses the last two and warns on the first)."""
    if array.dtype.kind not in "biufc":
        return array
    array = np.asarray(array)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if not array.flags.writeable or any(s < 0 for s in array.strides):
        array = np.array(array, copy=True)
    return torch.from_numpy(array)


def _page_locked(tensor: torch.Tensor) -> torch.Tensor:
    """A contiguous copy of a CPU ``tensor`` in page-locked memory (a non-contiguous view, such as a slice
    of a longer stream, would otherwise be copied again, into pageable memory, by ``Tensor.to``)."""
    out = torch.empty(tensor.shape, dtype=tensor.dtype, pin_memory=True)
    return out.copy_(tensor)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """The loss scaler of fp16 training on ``device``: fp16 autocast on a GPU (CUDA or Apple MPS) needs one,
    or small gradients flush to zero in its backward pass; None for fp32, bf16 (float32's exponent range)
    and the CPU (where :func:`resolve_dtype` maps fp16 to bf16; the Trainer refuses fp16 there)."""
    if precision == "fp16" and device.type in ("cuda", "mps"):
        return torch.amp.GradScaler(device.type)
    return None


def resolve_dtype(precision: Precision, device: torch.device) -> torch.dtype | None:
    """Returns the autocast dtype for ``precision`` on ``device``, or None for full precision."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        # fp16 autocast on CPU is poorly supported; bf16 is the CPU's reduced precision.
        return torch.float16 if device.type in ("cuda", "mps") else torch.bfloat16
    raise ConfigError(f"unknown precision {precision!r}; use fp32, bf16 or fp16")


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """``model`` in evaluation mode (dropout off, batch-norm statistics frozen) under ``torch.no_grad``, for
    an inference pass; its own mode is back afterwards, training or not, an exception included. Here rather
    than in :mod:`carrousel.core.train.inference` (which re-exports it) so that ONNX export and the runtime
    that loads an exported model do not import the training package."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def autocast(device: torch.device, precision: Precision = "fp32") -> Iterator[None]:
    """Autocast context for ``precision`` on ``device``; a no-op for fp32."""
    dtype = resolve_dtype(precision, device)
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


def inference_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of an inference ``precision`` on ``device`` (None: float32); unlike training's
    :func:`resolve_dtype` it never substitutes one format for another.

    Raises:
        ConfigError: an unknown precision, or one the device cannot run (fp16 on the CPU, bf16 on a CUDA
            GPU without bfloat16).
    """
    if precision not in _INFERENCE_DTYPES:
        raise ConfigError(f"unknown precision {precision!r}; use fp32, bf16 or fp16")
    dtype = _INFERENCE_DTYPES[precision]
    source = precision_source()  # the flag, or the --config file's key, as the command set it
    if dtype is torch.float16 and device.type == "cpu":
        raise ConfigError(
            f"{source.said('fp16')} needs a CUDA or MPS device; on the CPU use {source.fix('bf16')}"
        )
    if dtype is torch.bfloat16 and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError(
            f"{source.said('bf16')}: {device} has no bfloat16 support; use {source.fix('fp16')}"
        )
    return dtype


def check_precision(precision: str, device: str | torch.device | None = "auto") -> None:
    """Refuses, before any work, a training or inference ``precision`` that ``device`` cannot run: the
    rules of :func:`inference_dtype` (fp16 needs CUDA or MPS, bf16 on CUDA a GPU with bfloat16), for the
    ``--precision`` of a train command, before any data is read (the Trainer refuses fp16 on the CPU too,
    but only when it starts; :func:`resolve_dtype` alone maps it to bf16). A bf16 request on an x86 CPU without bfloat16
    instructions is allowed with a warning (emulated, it is usually slower than fp32). The messages name
    where the precision came from: the ``--precision`` flag, or the ``--config`` file's key that a command
    names with :func:`~carrousel.core.export.choices.precision_from`.

    Args:
        precision: ``"fp32"``, ``"bf16"`` or ``"fp16"``.
        device: the device, or its name as the command was given it (``"auto"`` is resolved here).

    Raises:
        ConfigError: an unknown precision, a device that is not here, or a precision it cannot run.
    """
    where = pick_device(device)
    if inference_dtype(precision, where) is torch.bfloat16 and where.type == "cpu" and _cpu_emulates_bf16():
        source = precision_source()
        logger.warning(
            "%s: this CPU has no bfloat16 instructions (AVX512-BF16 or AMX), so bf16 is emulated and usually "
            "slower than fp32 here; use %s",
            source.said("bf16"),
            source.fix("fp32"),
        )


def _cpu_emulates_bf16() -> bool:
    """True on an x86 CPU that torch reports without AVX512-BF16 and AMX (oneDNN then emulates bfloat16);
    False elsewhere or when torch cannot tell (ARM's bf16 is not asked about)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    probes = [
        getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    ]
    try:
        return all(callable(p) for p in probes) and not any(p() for p in probes)  # type: ignore[misc]
    except Exception:  # a private torch probe that changed: no warning rather than a failure
        return False


@check_args
def check_exported_precision(precision: str, exported: bool) -> None:
    """Refuses bf16 / fp16 for an exported model (an ONNX Runtime network: its file is fp32 or int8).

    Raises:
        ConfigError: ``exported`` and a precision other than fp32, in one line.
    """
    if exported and precision != "fp32":
        raise ConfigError(
            f"{option('precision', precision)} runs a PyTorch network; an exported (ONNX) model runs its own "
            f"fp32/int8 file: use {option('precision', 'fp32')} with it"
        )


@check_args
def check_inference(precision: str, device: torch.device, exported: bool = False) -> torch.dtype | None:
    """:func:`check_exported_precision` then :func:`inference_dtype`: what a model loader checks once.

    Raises:
        ConfigError: see both.
    """
    check_exported_precision(precision, exported)
    return inference_dtype(precision, device)


def _floats(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out] if out.is_floating_point() else []
    if isinstance(out, tuple | list):
        return [t for o in out for t in _floats(o)]
    if isinstance(out, Mapping):
        return [t for o in out.values() for t in _floats(o)]
    return []


def _to_float32(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return out.float() if out.is_floating_point() else out
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a named tuple (a State...) keeps its type
        return type(out)(*(_to_float32(o) for o in out))
    if isinstance(out, tuple):
        return tuple(_to_float32(o) for o in out)
    if isinstance(out, list):
        return [_to_float32(o) for o in out]
    if isinstance(out, dict):
        return {k: _to_float32(v) for k, v in out.items()}
    return out


def run_in_precision(call: Callable[[], Any], device: torch.device, dtype: torch.dtype | None) -> Any:
    """``call()`` under ``dtype`` autocast on ``device`` (as it is for None), floating outputs as float32.

    When a reduced-precision output holds a NaN or infinity (a bfloat16/float16 overflow), the call is run
    again in float32 and that result returned (logged as a warning): reduced precision never adds
    non-finite numbers. Outputs: tensors, or tuples (named ones keep their type) / lists / dicts of them.
    """
    if dtype is None:
        return call()
    with torch.autocast(device_type=device.type, dtype=dtype):
        out = call()
    if all(bool(torch.isfinite(t).all()) for t in _floats(out)):
        return _to_float32(out)
    logger.warning("non-finite outputs under %s autocast: this batch is run again in float32", dtype)
    return call()
