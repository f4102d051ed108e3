"""One time step of each cell, forward and backward, written from the gate equations (float64 NumPy).

A step function maps ``(params, x_t, h, c)`` to ``(h', c', cache)``; its backward maps the gradient of the
new state ``(dh', dc')`` to ``(dx_t, dh, dc)`` and adds the weight and bias gradients into a dict. Shapes:
``x_t`` ``(B, I)``, ``h`` ``(B, H_out)``, ``c`` ``(B, H)``; parameters in PyTorch's layout (see
:mod:`carrousel.core.nn.reference`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CELL_STEPS",
    "REFERENCE_CELLS",
    "Array",
    "CellSteps",
    "Grads",
    "Params",
    "StepCache",
    "gru_step",
    "lstm_step",
    "rnn_step",
    "sigmoid",
]

Array = np.ndarray
Params = dict[str, Array]
Grads = dict[str, Array]
StepCache = tuple[Array, ...]

REFERENCE_CELLS = ("lstm", "gru", "rnn_tanh", "rnn_relu")


def sigmoid(a: Array) -> Array:
    """Logistic function ``1 / (1 + exp(-a))``, written as ``(1 + tanh(a/2)) / 2`` so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _affine_backward(
    p: Params, d_ax: Array, d_ah: Array, x: Array, h: Array, grads: Grads
) -> tuple[Array, Array]:
    """Backward of ``a_x = x W_ih^T + b_ih`` and ``a_h = h W_hh^T + b_hh``: adds the weight and bias
    gradients to ``grads`` and returns ``(dx, dh)``."""
    grads["weight_ih"] += d_ax.T @ x
    grads["bias_ih"] += d_ax.sum(axis=0)
    grads["weight_hh"] += d_ah.T @ h
    grads["bias_hh"] += d_ah.sum(axis=0)
    return d_ax @ p["weight_ih"], d_ah @ p["weight_hh"]


def lstm_step(p: Params, x: Array, h: Array, c: Array | None) -> tuple[Array, Array, StepCache]:
    """One LSTM step (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000)::

        i  = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)     input gate: how much new content to write
        f  = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)     forget gate: how much old cell to keep
        g  = tanh   (x W_ig^T + b_ig + h W_hg^T + b_hg)     candidate cell content
        o  = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)     output gate: how much cell to show
        c' = f * c + i * g                                  new cell state
        h' = o * tanh(c')                                   new hidden state (times W_hr^T if projected)

    Args:
        p: parameters (see module docstring).
        x: ``(B, I)`` input at this step.
        h: ``(B, H_out)`` previous hidden state.
        c: ``(B, H)`` previous cell state.

    Returns:
        ``h'`` ``(B, H_out)``, ``c'`` ``(B, H)`` and what the backward step needs.
    """
    assert c is not None
    a = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    m = o * tanh_c
    h_new = m @ p["weight_hr"].T if "weight_hr" in p else m
    return h_new, c_new, (x, h, c, i, f, g, o, tanh_c, m)


def _lstm_step_backward(
    p: Params, dh_new: Array, dc_new: Array | None, cache: StepCache, grads: Grads
) -> tuple[Array, Array, Array | None]:
    """Backward of :func:`lstm_step`. Uses ``sigmoid' = s(1-s)`` and ``tanh' = 1 - tanh^2``::

    dm  = dh' W_hr (or dh')         do = dm * tanh(c')
    dc' = dc' + dm * o * (1 - tanh(c')^2)
    di  = dc' * g   df = dc' * c   dg = dc' * i   dc = dc' * f
    da  = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
    """
    assert dc_new is not None
    x, h, c, i, f, g, o, tanh_c, m = cache
    if "weight_hr" in p:
        grads["weight_hr"] += dh_new.T @ m
        dm = dh_new @ p["weight_hr"]
    else:
        dm = dh_new
    do = dm * tanh_c
    dc_total = dc_new + dm * o * (1.0 - tanh_c**2)
    di, df, dg, dc = dc_total * g, dc_total * c, dc_total * i, dc_total * f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    dx, dh = _affine_backward(p, da, da, x, h, grads)
    return dx, dh, dc


def gru_step(p: Params, x: Array, h: Array, c: Array | None = None) -> tuple[Array, None, StepCache]:
    """One GRU step, exactly as PyTorch defines it (Cho et al. 2014; ``r`` gates ``W_hn h + b_hn``)::

        r  = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)          reset gate
        z  = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)          update gate
        n  = tanh   (x W_in^T + b_in + r * (h W_hn^T + b_hn))    candidate state
        h' = (1 - z) * n + z * h

    Args:
        p: parameters (see module docstring).
        x: ``(B, I)`` input at this step.
        h: ``(B, H)`` previous hidden state.
        c: unused (the GRU has no cell state).

    Returns:
        ``h'`` ``(B, H)``, None and what the backward step needs.
    """
    ax = x @ p["weight_ih"].T + p["bias_ih"]
    ah = h @ p["weight_hh"].T + p["bias_hh"]
    ax_r, ax_z, ax_n = np.split(ax, 3, axis=1)
    ah_r, ah_z, ah_n = np.split(ah, 3, axis=1)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)
    return (1.0 - z) * n + z * h, None, (x, h, r, z, n, ah_n)


def _gru_step_backward(
    p: Params, dh_new: Array, dc_new: Array | None, cache: StepCache, grads: Grads
) -> tuple[Array, Array, None]:
    """Backward of :func:`gru_step`::

    dn = dh' (1 - z)    dz = dh' (h - n)    dh = dh' z  (+ the path through the gates)
    da_n = dn (1 - n^2)    dr = da_n * (h W_hn^T + b_hn)
    d(x-side) = [dr r(1-r), dz z(1-z), da_n]    d(h-side) = [dr r(1-r), dz z(1-z), da_n * r]
    """
    x, h, r, z, n, ah_n = cache
    dn, dz, dh_direct = dh_new * (1.0 - z), dh_new * (h - n), dh_new * z
    da_n = dn * (1.0 - n**2)
    da_r = da_n * ah_n * r * (1.0 - r)
    da_z = dz * z * (1.0 - z)
    d_ax = np.concatenate([da_r, da_z, da_n], axis=1)
    d_ah = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dx, dh = _affine_backward(p, d_ax, d_ah, x, h, grads)
    return dx, dh + dh_direct, None


def rnn_step(
    p: Params, x: Array, h: Array, c: Array | None = None, nonlinearity: str = "tanh"
) -> tuple[Array, None, StepCache]:
    """One Elman RNN step: ``h' = phi(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with ``phi`` tanh or relu.

    Args:
        p: parameters (see module docstring).
        x: ``(B, I)`` input at this step.
        h: ``(B, H)`` previous hidden state.
        c: unused.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Returns:
        ``h'`` ``(B, H)``, None and what the backward step needs.
    """
    a = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    h_new = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
    return h_new, None, (x, h, a, h_new)


def _rnn_step_backward(
    p: Params, dh_new: Array, dc_new: Array | None, cache: StepCache, grads: Grads, nonlinearity: str
) -> tuple[Array, Array, None]:
    """Backward of :func:`rnn_step`: ``da = dh' (1 - h'^2)`` for tanh, ``da = dh' [a > 0]`` for relu."""
    x, h, a, h_new = cache
    da = dh_new * (1.0 - h_new**2) if nonlinearity == "tanh" else dh_new * (a > 0)
    dx, dh = _affine_backward(p, da, da, x, h, grads)
    return dx, dh, None


@dataclass(frozen=True)
class CellSteps:
    """A cell's step function, its backward and whether it carries a cell state."""

    step: Callable[[Params, Array, Array, Array | None], tuple[Array, Array | None, StepCache]]
    backward: Callable[[Params, Array, Array | None, StepCache, Grads], tuple[Array, Array, Array | None]]
    is_lstm: bool


CELL_STEPS = {
    "lstm": CellSteps(lstm_step, _lstm_step_backward, True),
    "gru": CellSteps(gru_step, _gru_step_backward, False),
    "rnn_tanh": CellSteps(
        lambda p, x, h, c: rnn_step(p, x, h, c, "tanh"),
        lambda p, dh, dc, k, g: _rnn_step_backward(p, dh, dc, k, g, "tanh"),
        False,
    ),
    "rnn_relu": CellSteps(
        lambda p, x, h, c: rnn_step(p, x, h, c, "relu"),
        lambda p, dh, dc, k, g: _rnn_step_backward(p, dh, dc, k, g, "relu"),
        False,
    ),
}
