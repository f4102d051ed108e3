"""One recurrent layer, one direction, over a padded batch: forward pass and back-propagation through time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn.input_shape import input_shape_message
from carrousel.core.nn.lengths import check_lengths
from carrousel.core.nn.reference.cells import CELL_STEPS, REFERENCE_CELLS, Array, Grads, Params, StepCache

__all__ = [
    "LayerCache",
    "LayerResult",
    "as_float64",
    "gru_backward",
    "gru_forward",
    "layer_backward",
    "layer_forward",
    "lstm_backward",
    "lstm_forward",
    "reverse_padded",
    "rnn_backward",
    "rnn_forward",
]


def reverse_padded(x: Array, lengths: Array | None) -> Array:
    """Reverses each sequence of ``x`` ``(B, T, F)`` within its own length; padding stays in place.

    The map is its own inverse and its own adjoint, so it also reverses gradients.
    """
    if lengths is None:
        return x[:, ::-1].copy()
    T = x.shape[1]
    t = np.arange(T)[None, :]
    lens = np.asarray(lengths)[:, None]
    idx = np.where(t < lens, lens - 1 - t, t)
    return np.take_along_axis(x, idx[:, :, None], axis=1)


@dataclass
class LayerCache:
    """What :func:`layer_forward` keeps for :func:`layer_backward`."""

    cell: str  # one of REFERENCE_CELLS
    params: Params  # the layer's parameters (float64)
    mask: Array  # (T, B, 1) 1.0 at valid steps, 0.0 past each length (in processing order)
    steps: list[StepCache]  # per-step values saved by the step function
    lengths: Array | None  # (B,) lengths, None when all are T
    reverse: bool  # whether the layer read the sequences backwards


class LayerResult(NamedTuple):
    """Outputs of one layer: ``output`` ``(B, T, H_out)`` (zero past lengths), final ``h`` ``(B, H_out)``,
    final ``c`` ``(B, H)`` (LSTM, else None) and the cache for back-propagation."""

    output: Array
    h: Array
    c: Array | None
    cache: LayerCache


def as_float64(a: Any) -> Array:
    """Any array-like (NumPy array, list, CPU tensor from ``state_dict()``) as a float64 array."""
    return np.asarray(a, dtype=np.float64)


@check_args
def layer_forward(
    cell: str,
    x: Array,
    params: Mapping[str, Any],
    h0: Array | None = None,
    c0: Array | None = None,
    lengths: Array | None = None,
    reverse: bool = False,
) -> LayerResult:
    """Runs one recurrent layer in one direction over a padded batch.

    At step ``t`` with ``m_t = [t < length]``: ``h_t = m_t h'_t + (1 - m_t) h_{t-1}`` (same for ``c``) and
    ``output_t = m_t h'_t``, where ``h'_t`` is the cell's step from ``h_{t-1}``.

    Args:
        cell: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``.
        x: ``(B, T, I)`` padded input.
        params: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (and ``weight_hr``), any array-like.
        h0: ``(B, H_out)`` initial hidden state, None for zeros.
        c0: ``(B, H)`` initial cell state (LSTM), None for zeros.
        lengths: ``(B,)`` valid lengths in ``[1, T]``, None when all are ``T``.
        reverse: read each sequence from its last valid step to its first.

    Returns:
        A :class:`LayerResult`.
    """
    if cell not in CELL_STEPS:
        raise ConfigError(f"unknown reference cell {cell!r}; choose one of: {', '.join(REFERENCE_CELLS)}")
    spec = CELL_STEPS[cell]
    p = {k: as_float64(v) for k, v in params.items()}
    x = as_float64(x)
    if x.ndim != 3 or x.shape[2] != p["weight_ih"].shape[1]:
        raise ShapeError(input_shape_message(tuple(x.shape), p["weight_ih"].shape[1], numpy=True))
    B, T = x.shape[0], x.shape[1]
    hidden = p["weight_hh"].shape[0] // {"lstm": 4, "gru": 3}.get(cell, 1)
    h = as_float64(h0) if h0 is not None else np.zeros((B, p["weight_hh"].shape[1]))
    c = (as_float64(c0) if c0 is not None else np.zeros((B, hidden))) if spec.is_lstm else None
    lens = None if lengths is None else check_lengths(lengths, B, T, numpy=True).numpy()
    if reverse:
        x = reverse_padded(x, lens)
    valid = np.ones((T, B)) if lens is None else (np.arange(T)[:, None] < lens[None, :]).astype(np.float64)
    mask = valid[:, :, None]
    outputs, steps = [], []
    for t in range(T):
        h_new, c_new, step_cache = spec.step(p, x[:, t], h, c)
        m = mask[t]
        outputs.append(m * h_new)
        h = m * h_new + (1.0 - m) * h
        if c is not None and c_new is not None:
            c = m * c_new + (1.0 - m) * c
        steps.append(step_cache)
    output = np.stack(outputs, axis=1)
    if reverse:
        output = reverse_padded(output, lens)
    return LayerResult(output, h, c, LayerCache(cell, p, mask, steps, lens, reverse))


def layer_backward(d_output: Array | None, d_h: Array | None, d_c: Array | None, cache: LayerCache) -> Grads:
    """Back-propagation through time for :func:`layer_forward`.

    Walking ``t = T-1 .. 0`` with the running gradient ``dh`` of the state ``h_t``::

        dh'_t = m_t (dh + d_output_t)           gradient of the step's new state
        dx_t, dh_prev, dc_prev = step_backward(dh'_t, m_t dc)
        dh    = dh_prev + (1 - m_t) dh          a frozen state passes its gradient straight back

    Args:
        d_output: ``(B, T, H_out)`` gradient of the loss w.r.t. the outputs, None for zeros.
        d_h: ``(B, H_out)`` gradient w.r.t. the final hidden state, None for zeros.
        d_c: ``(B, H)`` gradient w.r.t. the final cell state (LSTM), None for zeros.
        cache: the ``cache`` of the matching :func:`layer_forward` call.

    Returns:
        Gradients keyed ``x`` ``(B, T, I)``, ``h0``, ``c0`` (LSTM only) and every parameter name.
    """
    spec, p = CELL_STEPS[cache.cell], cache.params
    T, B = cache.mask.shape[0], cache.mask.shape[1]
    H_out = p["weight_hh"].shape[1]
    grads: Grads = {k: np.zeros_like(v) for k, v in p.items()}
    dout = np.zeros((B, T, H_out)) if d_output is None else as_float64(d_output)
    if cache.reverse:
        dout = reverse_padded(dout, cache.lengths)
    dh = np.zeros((B, H_out)) if d_h is None else as_float64(d_h).copy()
    dc: Array | None = None
    if spec.is_lstm:
        dc = np.zeros((B, p["weight_hh"].shape[0] // 4)) if d_c is None else as_float64(d_c).copy()
    dxs: list[Array] = [np.empty(0)] * T
    for t in reversed(range(T)):
        m = cache.mask[t]
        dx_t, dh_prev, dc_prev = spec.backward(
            p, m * (dh + dout[:, t]), None if dc is None else m * dc, cache.steps[t], grads
        )
        dxs[t] = dx_t
        dh = dh_prev + (1.0 - m) * dh
        if dc is not None and dc_prev is not None:
            dc = dc_prev + (1.0 - m) * dc
    dx = np.stack(dxs, axis=1)
    grads["x"] = reverse_padded(dx, cache.lengths) if cache.reverse else dx
    grads["h0"] = dh
    if dc is not None:
        grads["c0"] = dc
    return grads


def lstm_forward(
    x: Array,
    params: Mapping[str, Any],
    h0: Array | None = None,
    c0: Array | None = None,
    lengths: Array | None = None,
) -> LayerResult:
    """LSTM layer over ``x`` ``(B, T, I)``; see :func:`lstm_step` for the equations and
    :func:`layer_forward` for the arguments."""
    return layer_forward("lstm", x, params, h0, c0, lengths)


def lstm_backward(d_output: Array | None, d_h: Array | None, d_c: Array | None, cache: LayerCache) -> Grads:
    """Gradients of an :func:`lstm_forward` call: ``x``, ``h0``, ``c0`` and every weight and bias."""
    return layer_backward(d_output, d_h, d_c, cache)


def gru_forward(
    x: Array, params: Mapping[str, Any], h0: Array | None = None, lengths: Array | None = None
) -> LayerResult:
    """GRU layer over ``x`` ``(B, T, I)``; see :func:`gru_step` and :func:`layer_forward`."""
    return layer_forward("gru", x, params, h0, None, lengths)


def gru_backward(d_output: Array | None, d_h: Array | None, cache: LayerCache) -> Grads:
    """Gradients of a :func:`gru_forward` call: ``x``, ``h0`` and every weight and bias."""
    return layer_backward(d_output, d_h, None, cache)


def rnn_forward(
    x: Array,
    params: Mapping[str, Any],
    h0: Array | None = None,
    lengths: Array | None = None,
    nonlinearity: str = "tanh",
) -> LayerResult:
    """Elman RNN layer (``"tanh"`` or ``"relu"``) over ``x`` ``(B, T, I)``; see :func:`rnn_step`."""
    return layer_forward(f"rnn_{nonlinearity}", x, params, h0, None, lengths)


def rnn_backward(d_output: Array | None, d_h: Array | None, cache: LayerCache) -> Grads:
    """Gradients of an :func:`rnn_forward` call: ``x``, ``h0`` and every weight and bias."""
    return layer_backward(d_output, d_h, None, cache)
