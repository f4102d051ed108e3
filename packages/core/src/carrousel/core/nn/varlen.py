"""Padded batches with unequal lengths on the fused kernels, exact to packing: :func:`run_padded`.

Packing a batch (``pack_padded_sequence``) is how PyTorch runs unequal lengths, and on CPU it is slow:
a packed LSTM leaves oneDNN for ATen's native step loop, whose backward is recorded op by op, and every
step projects its input separately. ``benchmarks/bench_encoder.py`` measures 3.1-7.6x the time of the same
batch without lengths. :func:`run_padded` keeps the padded batch and the unpacked fused kernel, one call
per layer and direction, and gives the packed result:

* **outputs**: every direction runs over the padded batch (trimmed to the longest length); the padded
  steps come after the valid ones, so they cannot change a valid output, and are zeroed afterwards.
* **reverse direction**: each sequence is reversed within its own length (one row gather), run forwards,
  and its outputs reversed back, so it starts at its last valid step, as packing does.
* **final h**: the output at each sequence's last valid step (reversed time for the reverse direction).
* **final c** (LSTM): the layer gets one extra input feature, 1 at padded steps, whose weight column
  drives the forget gate to +``FREEZE`` and the input gate to -``FREEZE``; both sigmoids saturate to
  exactly 1 and 0, so ``c`` stays exactly at its value at the last valid step, and the kernel's final
  ``c`` is the packed one. The saturated gates have zero derivative, so no gradient flows through the
  padded steps either. This holds while ``|W_hh h + b|`` stays far below ``FREEZE`` for the input and
  forget gates, which :func:`saturation_bound` checks (beyond it the encoder packs).
* **padding never leaks**: padded inputs are replaced by zeros first (a NaN there cannot reach a valid
  step or a gradient), and every padded output is zeroed, so the next layer sees zeros.

Gradients are those of packing (the padded steps receive exactly zero); dropout between layers is drawn
as ``nn.LSTM`` draws it, on the whole output of each layer but the top one. A GRU whose backward follows
runs each layer and direction on the fused C++ loop of :mod:`.gru_native` instead of ``torch.gru``
(:func:`~carrousel.core.nn.gru_native.choose_gru_kernel`), with the same outputs and gradients.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.errors import ShapeError
from carrousel.core.nn.gru_native import choose_gru_kernel, native_gru

__all__ = ["FREEZE", "VARLEN_PATHS", "choose_varlen", "reverse_index", "run_padded", "saturation_bound"]

VARLEN_PATHS = ("auto", "padded", "packed")
FREEZE = 1e4  # pre-activation that saturates an LSTM gate to exactly 0 or 1 in every float dtype
_BOUND = 1e3  # largest |W_hh h + b| of the input/forget gates for which the padded LSTM path is exact
_CUDNN_COPY = "RNN module weights are not part of single contiguous chunk"

HiddenState = Tensor | tuple[Tensor, Tensor]


def saturation_bound(rnn: nn.RNNBase) -> float:
    """Largest ``|W_hh h + b_ih + b_hh|`` the input and forget gates of an LSTM can see, over all layers
    and directions (``|h| <= 1``, or the row sums of ``W_hr`` with a projection); 0 for other cells."""
    if rnn.mode != "LSTM":
        return 0.0
    H = rnn.hidden_size
    bound = 0.0
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            for sfx in ("", "_reverse")[: 2 if rnn.bidirectional else 1]:
                w_hh = getattr(rnn, f"weight_hh_l{layer}{sfx}")[: 2 * H].float()
                h_max = 1.0
                if rnn.proj_size:
                    h_max = float(getattr(rnn, f"weight_hr_l{layer}{sfx}").float().abs().sum(1).max())
                total = w_hh.abs().sum(1) * h_max
                if rnn.bias:
                    b = getattr(rnn, f"bias_ih_l{layer}{sfx}") + getattr(rnn, f"bias_hh_l{layer}{sfx}")
                    total = total + b[: 2 * H].float().abs()
                bound = max(bound, float(total.max()))
    return bound


@check_args
def choose_varlen(rnn: nn.RNNBase, x: Tensor, mode: str, grad: bool | None = None) -> tuple[str, str]:
    """Which path a fused module takes for a batch of unequal lengths, and why.

    The automatic rule comes from ``benchmarks/bench_encoder.py`` (1 CPU thread, lengths in [T/2, T]):
    with autograd the padded path is 3.0-5.9x faster than packing (the unpacked backward stays fused or
    at least batched over time). Without autograd packing skips the padded steps, so it wins for GRU/RNN
    and projected LSTMs, which run ATen's loop either way (packed / padded 0.53-0.93x); an unprojected
    LSTM keeps oneDNN padded, which beats ATen's packed loop at every H measured (1.3-1.9x at H <= 128
    and a tie at H=256 on a Xeon; a median 1.8x at H = 64-512, B >= 8, on a Zen 5 EPYC), and where
    oneDNN does not run (switched off, float64: 0.70-0.92x) packing is kept (core README).

    Args:
        rnn: the fused module.
        x: ``(B, T, I)`` input (its device matters).
        mode: ``"auto"``, ``"padded"`` or ``"packed"`` (``RecurrentConfig.varlen``).
        grad: whether autograd is on (default: the grad mode); it records if ``x`` or a weight needs grad.

    Returns:
        ``("padded" | "packed", reason)``.
    """
    if mode == "packed":
        return "packed", 'varlen="packed" was asked for'
    if mode == "padded":
        path, why = "padded", 'varlen="padded" was asked for'
    else:
        path, why = _auto(rnn, x, grad)
    if path == "padded" and rnn.mode == "LSTM":
        bound = saturation_bound(rnn)
        if bound >= _BOUND:
            return "packed", (
                f"the LSTM's recurrent weights reach |W_hh h + b| = {bound:.0f} >= {_BOUND:.0f}, too close to "
                "the gate saturation the padded path relies on"
            )
    return path, why


def _auto(rnn: nn.RNNBase, x: Tensor, grad: bool | None) -> tuple[str, str]:
    if x.device.type == "cuda":
        return "packed", (
            "CUDA: cuDNN runs packed batches natively; the padded path is opt-in there (varlen='padded'), "
            "compare with benchmarks/bench_encoder.py --device cuda"
        )
    grad = torch.is_grad_enabled() if grad is None else grad
    if grad and (x.requires_grad or any(p.requires_grad for p in rnn.parameters())):
        return "padded", (
            "with autograd the padded batch keeps the fused forward and backward, exact to packing and "
            "3.0-5.9x faster than packing on CPU (benchmarks/bench_encoder.py)"
        )
    if rnn.mode == "LSTM" and not rnn.proj_size and _onednn_lstm(x):
        return "padded", (
            "inference with an unprojected LSTM on oneDNN: the padded batch beats packing, which leaves "
            "oneDNN for ATen's loop (about 1.8x on a Zen 5, 1.3-1.9x or a tie on a Xeon; "
            "benchmarks/bench_encoder.py)"
        )
    return "packed", (
        "inference: packing skips the padded steps and, without a backward, measures faster on CPU "
        "where ATen's loop runs either way: GRU/RNN, projected LSTMs, an LSTM off oneDNN "
        "(benchmarks/bench_encoder.py)"
    )


def _onednn_lstm(x: Tensor) -> bool:
    """Whether an unprojected ``nn.LSTM`` on ``x`` runs on oneDNN in inference (oneDNN on; float32, or
    bfloat16 / float16 where the CPU supports them: ATen's ``use_mkldnn``)."""
    if not (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled):
        return False
    dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
    if dtype == torch.bfloat16:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    if dtype == torch.float16:
        return bool(torch.ops.mkldnn._is_mkldnn_fp16_supported())
    return dtype == torch.float32


def reverse_index(lengths: Tensor, T: int) -> Tensor:
    """Flat row index ``(B*T,)`` that reverses each sequence within its length and keeps its padding
    in place; applying it twice is the identity.

    Args:
        lengths: ``(B,)`` valid lengths in ``[1, T]``, on the device of the batch.
        T: time steps of the batch.
    """
    B = lengths.shape[0]
    t = torch.arange(T, device=lengths.device).unsqueeze(0)
    last = lengths.unsqueeze(1) - 1
    idx = torch.where(t <= last, last - t, t)
    return (idx + T * torch.arange(B, device=lengths.device).unsqueeze(1)).reshape(-1)


class _BatchFirst:
    """A view of a time-first module that :func:`run_padded` reads like a batch-first one."""

    batch_first = True

    def __init__(self, rnn: nn.RNNBase) -> None:
        self._rnn = rnn

    def __getattr__(self, name: str) -> object:
        return getattr(self._rnn, name)


def _gather_rows(x: Tensor, flat: Tensor) -> Tensor:
    B, T, n = x.shape
    return x.reshape(B * T, n).index_select(0, flat).view(B, T, n)


def _weights(rnn: nn.RNNBase, layer: int, reverse: bool) -> list[Tensor]:
    sfx = "_reverse" if reverse else ""
    names = [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}"]
    if rnn.bias:
        names += [f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
    if getattr(rnn, "proj_size", 0):
        names.append(f"weight_hr_l{layer}{sfx}")
    return [getattr(rnn, n) for n in names]


def _direction(
    rnn: nn.RNNBase, layer: int, reverse: bool, seq: Tensor, h0: Tensor, c0: Tensor | None, pad: Tensor | None
) -> tuple[Tensor, Tensor | None]:
    """One layer and direction over ``seq`` ``(B, T, n)``; returns all outputs and, for an LSTM, the
    final ``c`` (frozen since each sequence's last valid step)."""
    params = _weights(rnn, layer, reverse)
    train = rnn.training
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CUDNN_COPY)  # cuDNN copies the per-direction weights
        if rnn.mode == "LSTM":
            assert c0 is not None and pad is not None
            H = rnn.hidden_size
            col = params[0].new_zeros(4 * H, 1)
            col[:H] = -FREEZE  # input gate -> 0 on padded steps
            col[H : 2 * H] = FREEZE  # forget gate -> 1: c is carried unchanged
            params[0] = torch.cat([params[0], col], dim=1)
            seq = torch.cat([seq, pad.to(seq.dtype)], dim=2)
            out, _, c = torch.lstm(seq, (h0, c0), params, rnn.bias, 1, 0.0, train, False, True)
            return out, c[0]
        if rnn.mode == "GRU" and choose_gru_kernel(rnn, seq)[0]:
            b = (params[2], params[3]) if rnn.bias else (None, None)
            hs = native_gru(seq.transpose(0, 1), params[0], params[1], b[0], b[1], h0[0])
            return hs.transpose(0, 1), None
        fn = {"GRU": torch.gru, "RNN_TANH": torch.rnn_tanh, "RNN_RELU": torch.rnn_relu}[rnn.mode]
        out, _ = fn(seq, h0, params, rnn.bias, 1, 0.0, train, False, True)
        return out, None


def run_padded(
    rnn: nn.RNNBase, x: Tensor, lengths: Tensor, hx: HiddenState | None = None
) -> tuple[Tensor, HiddenState]:
    """Runs a fused module over a padded batch with lengths, as packing would.

    Args:
        rnn: an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``.
        x: ``(B, T, I)`` right-padded input (``(T, B, I)`` when the module is not ``batch_first``).
        lengths: ``(B,)`` valid lengths in ``[1, T]``, any order.
        hx: initial state as the module takes it (``h`` ``(L*D, B, H_out)``, and ``c`` for an LSTM), or
            None for zeros.

    Returns:
        ``(output, h_n)`` or ``(output, (h_n, c_n))`` exactly as the module returns them for the packed
        batch: output ``(B, T, D*H_out)`` zero past each length, final states at each last valid step.

    Raises:
        ShapeError: when ``x`` is not 3-D or ``lengths`` is not ``(B,)`` integers in ``[1, T]``.
    """
    if x.dim() != 3:
        raise ShapeError(f"x must be a 3-D padded batch, got shape {tuple(x.shape)}")
    if not rnn.batch_first:
        out_t, hn = run_padded(_BatchFirst(rnn), x.transpose(0, 1), lengths, hx)  # type: ignore[arg-type]
        return out_t.transpose(0, 1), hn
    B, T = x.shape[0], x.shape[1]
    lengths = torch.as_tensor(lengths)
    if lengths.shape != (B,) or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ShapeError(
            f"lengths must be ({B},) integers, got {lengths.dtype} of shape {tuple(lengths.shape)}"
        )
    Tm = int(lengths.max())
    if Tm > T or int(lengths.min()) < 1:
        raise ShapeError(f"lengths must lie in [1, {T}], got min {int(lengths.min())} max {Tm}")
    lens = lengths.to(x.device)
    D = 2 if rnn.bidirectional else 1
    is_lstm = rnn.mode == "LSTM"
    h_out = getattr(rnn, "proj_size", 0) or rnn.hidden_size
    valid = (torch.arange(Tm, device=x.device).unsqueeze(0) < lens.unsqueeze(1)).unsqueeze(2)
    pad = (~valid).to(x.dtype) if is_lstm else None
    inp = torch.where(valid, x[:, :Tm], 0.0)  # padding never reaches a valid step or a gradient
    rev = reverse_index(lens, Tm) if D == 2 else None
    rows, last = torch.arange(B, device=x.device), lens - 1
    h_init: Tensor | None = None
    c_init: Tensor | None = None
    if hx is not None:
        h_init, c_init = hx if isinstance(hx, tuple) else (hx, None)
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    out = inp
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            h0 = inp.new_zeros(1, B, h_out) if h_init is None else h_init[k : k + 1]
            c0 = None
            if is_lstm:
                c0 = inp.new_zeros(1, B, rnn.hidden_size) if c_init is None else c_init[k : k + 1]
            seq = inp if d == 0 else _gather_rows(inp, rev)  # type: ignore[arg-type]
            o, c = _direction(rnn, layer, d == 1, seq, h0, c0, pad)
            hs.append(o[rows, last])
            if c is not None:
                cs.append(c)
            outs.append(o if d == 0 else _gather_rows(o, rev))  # type: ignore[arg-type]
        out = torch.where(valid, torch.cat(outs, dim=2) if D == 2 else outs[0], 0.0)
        if layer < rnn.num_layers - 1 and rnn.dropout > 0 and rnn.training:
            out = F.dropout(out, rnn.dropout, training=True)
        inp = out
    if Tm < T:
        out = F.pad(out, (0, 0, 0, T - Tm))
    h_n = torch.stack(hs)
    return out, ((h_n, torch.stack(cs)) if is_lstm else h_n)
