"""Which kernel runs each recurrent layer, and why: :func:`explain_backend`.

PyTorch picks an RNN kernel at call time from the input and its own settings; a model never says which it
got. The rules below follow PyTorch's ``aten/src/ATen/native/RNN.cpp`` (``use_cudnn``, ``use_mkldnn``
and the ``lstm`` / ``gru`` / ``rnn_*`` entry points) and were checked with the profiler on torch 2.14:

* CUDA: cuDNN when ``torch.backends.cudnn.enabled``, cuDNN is available and the dtype is float16, float32
  or float64; bfloat16 needs cuDNN >= 9.13 and a GPU of compute capability 8.0 or newer. cuDNN also runs
  packed sequences and LSTM projections. Otherwise ATen's native CUDA step loop.
* CPU, LSTM: oneDNN (mkldnn) when ``torch.backends.mkldnn`` is available and enabled, the LSTM has no
  projection (``proj_size`` 0), the input is not a packed batch of unequal lengths, and the dtype is
  float32, bfloat16 (CPU with bf16 support) or float16 (CPU with fp16 support, and only without autograd;
  under CPU autocast the check does not see autograd, and a float16 training run then fails inside
  oneDNN). Otherwise ATen's native C++ step loop.
* CPU, GRU and RNN: always ATen's native C++ step loop (PyTorch has no oneDNN path for them).
* carrousel's own step loop (:mod:`carrousel.core.nn.cells`; kernel key ``"python_loop"``) for custom cells
  (``ln_lstm``, ``peephole_lstm``), zoneout, recurrent dropout and ``backend="loop"``: the fused C++ loop
  where the extension applies, else Python; the entry's reasons say which.

Unequal lengths run packed or padded (:mod:`carrousel.core.nn.varlen`); each entry says which and why.

With ``verify=True`` the module also runs once under :mod:`torch.profiler`, and the kernels it actually
used are compared with the prediction.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import ShapeError
from carrousel.core.nn._observe import observe_kernels
from carrousel.core.nn.autocast_dtypes import cpu_fp16_autocast_lstm_fails
from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.gru_native import choose_gru_kernel
from carrousel.core.nn.input_shape import input_shape_message
from carrousel.core.nn.lengths import check_lengths
from carrousel.core.nn.native import native_applies
from carrousel.core.nn.recurrent import RecurrentEncoder
from carrousel.core.nn.varlen import choose_varlen

__all__ = ["KERNELS", "BackendReport", "LayerBackend", "explain_backend"]

logger = logging.getLogger(__name__)

KERNELS = {
    "cudnn": "cuDNN fused RNN kernel",
    "onednn": "oneDNN (mkldnn) fused LSTM kernel",
    "aten": "ATen native fused step loop (C++)",
    "native_gru": "carrousel fused C++ GRU loop with a hand-written backward (csrc/gru_cells.cpp)",
    "python_loop": "carrousel step loop (cells.py)",  # the key predates the C++ loop; str() says which runs
}
_PLAIN = "a plain torch.nn RNN module"
_CPP_STEPS = "steps run with a hand-written backward in the "  # + native_applies' reason: the C++ loop runs


@dataclass(frozen=True)
class LayerBackend:
    """The kernel of one fused module or loop layer.

    Attributes:
        module: dotted name of the recurrent module inside the inspected one ("" for itself).
        layers: layer numbers it covers, 1-based (``"1-2"`` for a two-layer fused module).
        cell: cell name (``lstm``, ``gru``, ``ln_lstm``...).
        directions: 1, or 2 when bidirectional.
        kernel: a key of :data:`KERNELS`.
        reasons: why that kernel (and not a faster one) runs.
        varlen: ``"padded"`` or ``"packed"`` for an encoder's fused module given unequal lengths, else None.
    """

    module: str
    layers: str
    cell: str
    directions: int
    kernel: str
    reasons: tuple[str, ...]
    varlen: str | None = None

    @property
    def calls(self) -> int:
        """Kernel calls per forward: one per layer and direction on the padded path or the C++ GRU loop,
        else one."""
        first, _, last = self.layers.partition("-")
        per_layer = self.varlen == "padded" or self.kernel == "native_gru"
        return (int(last or first) - int(first) + 1) * self.directions if per_layer else 1


@dataclass(frozen=True)
class BackendReport:
    """What :func:`explain_backend` found.

    Attributes:
        device: device of the input.
        dtype: dtype the recurrent kernels compute in (the autocast dtype under autocast).
        grad: whether autograd was assumed on (it matters for float16 on CPU).
        packed: whether the lengths differ (each fused entry's ``varlen`` says how they run).
        layers: one :class:`LayerBackend` per fused module or loop layer, in execution order.
        notes: warnings and hints that apply to the whole module.
        observed: with ``verify=True``, the kernel of every recurrent call seen by the profiler.
        verified: with ``verify=True``, whether ``observed`` matches the prediction; else None.
    """

    device: str
    dtype: str
    grad: bool
    packed: bool
    layers: tuple[LayerBackend, ...]
    notes: tuple[str, ...] = ()
    observed: tuple[str, ...] | None = None
    verified: bool | None = None

    @property
    def kernels(self) -> tuple[str, ...]:
        """Predicted kernel per entry of ``layers``."""
        return tuple(layer.kernel for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        d = asdict(self)
        d["layers"] = [dict(asdict(layer), reasons=list(layer.reasons)) for layer in self.layers]
        d["notes"] = list(self.notes)
        d["observed"] = None if self.observed is None else list(self.observed)
        return d

    def __str__(self) -> str:
        head = f"recurrent backend on {self.device}, {self.dtype}, autograd {'on' if self.grad else 'off'}"
        head += ", unequal lengths" if self.packed else ""
        lines = [head]
        if not self.layers:
            lines.append("  (no recurrent layers found)")
        for e in self.layers:
            name = f"{e.module}: " if e.module else ""
            bi = " x2 directions" if e.directions == 2 else ""
            how = f" ({e.varlen} batch)" if e.varlen else ""
            if e.kernel == "python_loop":  # was "Python step loop" above a reason naming the C++ loop
                how = ", C++ steps" if any(r.startswith(_CPP_STEPS) for r in e.reasons) else ", Python steps"
            lines.append(f"  {name}layer {e.layers} {e.cell}{bi} -> {KERNELS[e.kernel]}{how}")
            lines.extend(f"      because {r}" for r in e.reasons)
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.observed is not None:
            verdict = "matches the prediction" if self.verified else "DIFFERS from the prediction"
            lines.append(f"  observed with the profiler: {', '.join(self.observed) or 'nothing'} ({verdict})")
        return "\n".join(lines)


def _compute_dtype(x: Tensor) -> torch.dtype:
    if torch.is_autocast_enabled(x.device.type):
        return torch.get_autocast_dtype(x.device.type)
    return x.dtype


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _cuda_kernel(dtype: torch.dtype, device: torch.device) -> tuple[str, list[str]]:
    if not torch.backends.cudnn.enabled:
        return "aten", ["torch.backends.cudnn.enabled is False"]
    if not torch.backends.cudnn.is_available():
        return "aten", ["this PyTorch build has no cuDNN"]
    if dtype == torch.bfloat16:
        version = torch.backends.cudnn.version() or 0
        major = torch.cuda.get_device_capability(device)[0]
        if version >= 91300 and major >= 8:
            return "cudnn", ["bfloat16 on cuDNN >= 9.13 and compute capability >= 8.0"]
        return "aten", [
            f"bfloat16 RNNs need cuDNN >= 9.13 and capability >= 8.0 (cuDNN {version}, sm {major}x)"
        ]
    if dtype not in (torch.float16, torch.float32, torch.float64):
        return "aten", [f"cuDNN does not take {_dtype_name(dtype)}"]
    return "cudnn", [f"CUDA input, cuDNN enabled, {_dtype_name(dtype)}"]


def _cpu_kernel(kind: str, dtype: torch.dtype, packed: bool, proj: int, grad: bool) -> tuple[str, list[str]]:
    if kind != "lstm":
        return "aten", [f"PyTorch has a oneDNN path for LSTM only, not for {kind.upper()}"]
    if not torch.backends.mkldnn.is_available():
        return "aten", ["this PyTorch build has no oneDNN (mkldnn)"]
    if not torch.backends.mkldnn.enabled:
        return "aten", ["torch.backends.mkldnn.enabled is False"]
    why: list[str] = []
    if proj:
        why.append(f"proj_size={proj}: oneDNN's LSTM has no projection")
    if packed:
        why.append("lengths differ, so the LSTM gets a packed sequence, which PyTorch runs natively")
    if dtype == torch.bfloat16 and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        why.append("bfloat16 needs a CPU with bf16 support for oneDNN")
    elif dtype == torch.float16 and grad:
        why.append("float16 runs on oneDNN for inference only (autograd is on)")
    elif dtype == torch.float16 and not torch.ops.mkldnn._is_mkldnn_fp16_supported():
        why.append("float16 needs a CPU with fp16 support for oneDNN")
    elif dtype not in (torch.float32, torch.bfloat16, torch.float16):
        why.append(f"oneDNN's LSTM does not take {_dtype_name(dtype)}")
    if why:
        return "aten", why
    return "onednn", [f"CPU LSTM without projection, unpacked, {_dtype_name(dtype)}, oneDNN enabled"]


def _fused_entry(
    name: str, rnn: nn.RNNBase, layers: str, cell: str, x: Tensor, varlen: str, grad: bool, extra: list[str]
) -> LayerBackend:
    dtype = _compute_dtype(x)
    path, why_path = choose_varlen(rnn, x, varlen, grad) if varlen else ("", "")  # "": lengths are equal
    extra = [*extra, f"lengths differ and run as a {path} batch: {why_path}"] if path else extra
    packed = path == "packed"
    if extra[-1:] != [_PLAIN] and rnn.mode == "LSTM" and grad and dtype == torch.float16:
        with torch.set_grad_enabled(True):
            if cpu_fp16_autocast_lstm_fails(x):  # the encoder steps around it, see recurrent.py
                dtype = next(rnn.parameters()).dtype
                extra = [
                    *extra,
                    "CPU autocast float16 fails in oneDNN's LSTM when training, so the "
                    f"encoder runs this LSTM in {_dtype_name(dtype)}",
                ]
    kind = {"LSTM": "lstm", "GRU": "gru"}.get(rnn.mode, "rnn")
    if x.device.type == "cuda":
        kernel, why = _cuda_kernel(dtype, x.device)
    elif x.device.type == "cpu":
        # Under CPU autocast PyTorch's float16 check does not see autograd (observed on torch 2.14).
        seen_grad = grad and not torch.is_autocast_enabled("cpu")
        kernel, why = _cpu_kernel(kind, dtype, packed, getattr(rnn, "proj_size", 0), seen_grad)
        if kind == "gru" and not packed and extra[-1:] != [_PLAIN]:
            native, why_native = choose_gru_kernel(rnn, x, grad)
            kernel, why = ("native_gru", [*why, why_native]) if native else (kernel, [*why, why_native])
    else:
        kernel, why = "aten", [f"device type {x.device.type!r}: no cuDNN or oneDNN rule known here"]
    return LayerBackend(
        name, layers, cell, 2 if rnn.bidirectional else 1, kernel, (*extra, *why), path or None
    )


def _loop_reasons(enc: RecurrentEncoder) -> list[str]:
    cfg = enc.config
    why: list[str] = []
    if cfg.cell not in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
        why.append(f"cell {cfg.cell!r} has no fused kernel in PyTorch")
    if cfg.zoneout > 0:
        why.append(f"zoneout={cfg.zoneout} mixes the previous state into every step")
    if cfg.recurrent_dropout > 0:
        active = "" if enc.training else " (inactive in eval mode, but the layer is built for the loop)"
        why.append(f"recurrent_dropout={cfg.recurrent_dropout} masks h_(t-1) at every step{active}")
    if cfg.backend == "loop":
        why.append('backend="loop" was asked for')
    return why


def _packed(x: Tensor, lengths: Tensor | None) -> bool:
    if lengths is None:
        return False
    return bool((check_lengths(lengths, x.shape[0], x.shape[1]) != x.shape[1]).any())


def _loop_kind(layer: LoopLayer, x: Tensor) -> str:
    """Which step loop a hand-written-backward layer runs: the fused C++ one or Python's, and why."""
    py = "ln_lstm_loop.py" if layer.cell_name == "ln_lstm" else "lstm_loop.py"
    if not getattr(layer, "native", True):
        return f"steps run with a hand-written backward in Python ({py}; LoopLayer.native=False)"
    ok, reason = native_applies(x)
    if ok:
        return f"{_CPP_STEPS}{reason}"
    if layer.cell_name == "ln_lstm":  # ln_lstm_loop.py measured slower than autograd: opt-in only
        return f"steps recorded by autograd (no fused C++ loop: {reason})"
    return f"steps run with a hand-written backward in Python ({py}): {reason}"


def _predict(module: nn.Module, x: Tensor, lengths: Tensor | None, grad: bool) -> list[LayerBackend]:
    packed = _packed(x, lengths)
    entries: list[LayerBackend] = []
    inside: set[int] = set()
    for name, sub in module.named_modules():
        if id(sub) in inside:
            continue
        if isinstance(sub, RecurrentEncoder):
            inside.update(id(m) for m in sub.modules())
            cfg = sub.config
            varlen = cfg.varlen if packed else ""
            if sub.rnn is not None:
                span = f"1-{cfg.num_layers}" if cfg.num_layers > 1 else "1"
                entries.append(_fused_entry(name, sub.rnn, span, cfg.cell, x, varlen, grad, []))
                continue
            for i, layer in enumerate(sub.layers):
                if isinstance(layer, LoopLayer):
                    D = len(layer.cells)
                    why = _loop_reasons(sub)
                    if layer.fused_loop:
                        why.append(_loop_kind(layer, x))
                    entries.append(LayerBackend(name, str(i + 1), cfg.cell, D, "python_loop", tuple(why)))
                else:
                    extra = ["residual=True: one fused module per layer, residual added in between"]
                    entries.append(_fused_entry(name, layer, str(i + 1), cfg.cell, x, varlen, grad, extra))  # type: ignore[arg-type]
        elif isinstance(sub, nn.RNNBase):
            inside.add(id(sub))
            cell = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}[sub.mode]
            span = f"1-{sub.num_layers}" if sub.num_layers > 1 else "1"
            entries.append(_fused_entry(name, sub, span, cell, x, "", grad, [_PLAIN]))
    return entries


def _notes(
    module: nn.Module, x: Tensor, lengths: Tensor | None, entries: list[LayerBackend], grad: bool
) -> list[str]:
    notes: list[str] = []
    params = [p for p in module.parameters() if p.is_floating_point()]
    autocast = torch.is_autocast_enabled(x.device.type)
    if params and params[0].dtype != x.dtype and not autocast:
        notes.append(
            f"input is {_dtype_name(x.dtype)} but the parameters are {_dtype_name(params[0].dtype)}: "
            f"the forward pass will fail; convert one of them or run under autocast"
        )
    on_onednn = any(e.kernel == "onednn" and _PLAIN in e.reasons for e in entries)
    if autocast and grad and x.device.type == "cpu" and _compute_dtype(x) == torch.float16 and on_onednn:
        notes.append(
            "CPU autocast to float16 with autograd on fails inside oneDNN's LSTM on torch 2.14 "
            "('could not create a primitive descriptor'); use bfloat16 autocast, or float16 for inference"
        )
    if any(e.kernel == "aten" and e.varlen == "packed" and e.cell == "lstm" for e in entries):
        notes.append(
            "a packed LSTM on CPU runs ATen's native loop, several times slower than oneDNN on an unpacked "
            "batch (benchmarks/bench_encoder.py measures it); varlen='padded' keeps oneDNN, exactly"
        )
    if lengths is not None and not _packed(x, lengths):
        notes.append("all lengths equal T, so the encoder drops them and nothing is packed")
    if any(e.kernel == "python_loop" for e in entries):
        if x.device.type == "cuda":
            notes.append(
                "the Python loop launches several small kernels per step; on GPU it is far slower "
                "than cuDNN, more so at small batch"
            )
        if lengths is not None:
            notes.append(
                "the Python loop does not pack: it runs to the longest length and zeroes the padding"
            )
    return notes


@check_args
def explain_backend(
    module: nn.Module,
    x: Tensor,
    lengths: Tensor | None = None,
    *,
    grad: bool | None = None,
    verify: bool = False,
) -> BackendReport:
    """Says which kernel each recurrent layer of ``module`` runs on for input ``x``, and why.

    Args:
        module: a :class:`RecurrentEncoder`, a ``torch.nn`` RNN, or any module that contains them. Nested
            encoders are assumed to see ``x``'s device and dtype and the same lengths.
        x: ``(B, T, I)`` example input (only its device, dtype and time length matter unless ``verify``).
        lengths: ``(B,)`` valid lengths, as they would be passed to the encoder.
        grad: whether autograd will be on; default: the current grad mode.
        verify: also run ``module(x)`` (or ``module(x, lengths)``) once under the profiler and record the
            kernels actually used in ``observed`` / ``verified``.

    Returns:
        A :class:`BackendReport`; ``str(report)`` reads as a short explanation, ``to_dict()`` is JSON-ready.
    """
    if x.dim() != 3:  # the feature count: an encoder's config's, a torch.nn RNN's, else not judged
        size = getattr(getattr(module, "config", module), "input_size", None)
        raise ShapeError(input_shape_message(tuple(x.shape), size if isinstance(size, int) else None))
    grad = torch.is_grad_enabled() if grad is None else grad
    entries = _predict(module, x, lengths, grad)
    notes = _notes(module, x, lengths, entries, grad)
    observed: tuple[str, ...] | None = None
    verified: bool | None = None
    if verify:
        try:
            observed = observe_kernels(module, x, lengths, grad)
        except (RuntimeError, ValueError) as err:  # e.g. a dtype mismatch: report it instead of raising
            notes.append(f"the verification run failed: {type(err).__name__}: {str(err).splitlines()[0]}")
            observed = ()
        predicted = [e.kernel for e in entries if e.kernel != "python_loop" for _ in range(e.calls)]
        predicted += ["python_loop"] * sum(e.kernel == "python_loop" for e in entries)
        verified = sorted(observed) == sorted(predicted)
        if not verified:
            logger.warning(
                "explain_backend: observed kernels %s differ from predicted %s", observed, predicted
            )
    return BackendReport(
        device=str(x.device),
        dtype=_dtype_name(_compute_dtype(x)),
        grad=grad,
        packed=_packed(x, lengths),
        layers=tuple(entries),
        notes=tuple(notes),
        observed=observed,
        verified=verified,
    )
