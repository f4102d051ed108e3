"""Stacked, bidirectional networks on the reference layers, and copying weights in from PyTorch modules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.nn.reference.cells import Array, Grads, Params
from carrousel.core.nn.reference.layer import LayerCache, as_float64, layer_backward, layer_forward

__all__ = [
    "StackCache",
    "StackGrads",
    "StackResult",
    "locate_parameter",
    "stack_backward",
    "stack_forward",
    "stack_params",
]


_FUSED_NAME = re.compile(
    r"(?:^|\.)(?:layers\.(\d+)\.)?(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$"
)
_LOOP_NAME = re.compile(
    r"(?:^|\.)layers\.(\d+)\.cells\.(\d+)\.(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)$"
)


def locate_parameter(name: str) -> tuple[int, int, str]:
    """Maps a PyTorch parameter name to ``(layer, direction, key)``.

    Understands ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` names (``weight_ih_l1_reverse``) and both paths of
    :class:`~carrousel.core.nn.RecurrentEncoder`: ``rnn.weight_ih_l0``, ``layers.2.weight_hh_l0_reverse``
    (one fused module per layer) and ``layers.1.cells.0.bias_ih`` (step loop).

    Raises:
        ConfigError: for a name the reference has no counterpart for (e.g. layer-norm or peephole weights).
    """
    if m := _LOOP_NAME.search(name):
        return int(m.group(1)), int(m.group(2)), m.group(3)
    if m := _FUSED_NAME.search(name):
        return int(m.group(1) or 0) + int(m.group(3)), int(bool(m.group(4))), m.group(2)
    raise ConfigError(f"parameter {name!r} has no counterpart in the NumPy reference (plain cells only)")


def stack_params(named: Mapping[str, Any]) -> list[list[Params]]:
    """Copies weights into the reference layout ``layers[layer][direction][key]`` (float64).

    Args:
        named: parameter name to array-like, e.g. ``{k: v.cpu().numpy() for k, v in module.state_dict()}``
            of an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` or a :class:`~carrousel.core.nn.RecurrentEncoder`.
    """
    found: dict[tuple[int, int], Params] = {}
    for name, value in named.items():
        layer, direction, key = locate_parameter(name)
        found.setdefault((layer, direction), {})[key] = as_float64(value)
    L = 1 + max(k[0] for k in found)
    D = 1 + max(k[1] for k in found)
    return [[found[(layer, d)] for d in range(D)] for layer in range(L)]


@dataclass
class StackCache:
    """What :func:`stack_forward` keeps for :func:`stack_backward`."""

    layers: list[list[LayerCache]]  # [layer][direction] caches
    residual: list[bool]  # whether each layer added its input to its output


class StackResult(NamedTuple):
    """Outputs of a stack: ``output`` ``(B, T, D*H_out)``, final ``h`` ``(L*D, B, H_out)`` and ``c``
    ``(L*D, B, H)`` (LSTM, else None), layer-major as in PyTorch, and the cache."""

    output: Array
    h: Array
    c: Array | None
    cache: StackCache


class StackGrads(NamedTuple):
    """Gradients of a stack: ``x`` ``(B, T, I)``, ``h0``, ``c0`` (LSTM, else None) and
    ``layers[layer][direction][key]`` for every weight and bias."""

    x: Array
    h0: Array
    c0: Array | None
    layers: list[list[Grads]]


@check_args
def stack_forward(
    cell: str,
    x: Array,
    layers: Sequence[Sequence[Mapping[str, Any]]],
    h0: Array | None = None,
    c0: Array | None = None,
    lengths: Array | None = None,
    residual: bool = False,
) -> StackResult:
    """Runs a stacked, optionally bidirectional recurrent network (no dropout: evaluation mode).

    Each layer runs its directions on the same input and concatenates their outputs; with ``residual`` a
    layer above the first adds its input to its output when the sizes match, as the encoder does.

    Args:
        cell: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``.
        x: ``(B, T, I)`` padded input.
        layers: ``layers[layer][direction]`` parameters (see :func:`stack_params`); direction 1 is reverse.
        h0: ``(L*D, B, H_out)`` initial hidden states, None for zeros.
        c0: ``(L*D, B, H)`` initial cell states (LSTM), None for zeros.
        lengths: ``(B,)`` valid lengths, None when all are ``T``.
        residual: residual connections between layers.

    Returns:
        A :class:`StackResult`.
    """
    D = len(layers[0])
    inp = as_float64(x)
    hs, cs, caches, res = [], [], [], []
    for li, dirs in enumerate(layers):
        outs, layer_caches = [], []
        for d, params in enumerate(dirs):
            k = li * D + d
            r = layer_forward(
                cell,
                inp,
                params,
                None if h0 is None else h0[k],
                None if c0 is None else c0[k],
                lengths,
                reverse=d == 1,
            )
            outs.append(r.output)
            hs.append(r.h)
            if r.c is not None:
                cs.append(r.c)
            layer_caches.append(r.cache)
        out = np.concatenate(outs, axis=2)
        add = residual and li > 0 and out.shape[2] == inp.shape[2]
        inp = out + inp if add else out
        caches.append(layer_caches)
        res.append(add)
    return StackResult(inp, np.stack(hs), np.stack(cs) if cs else None, StackCache(caches, res))


def stack_backward(
    d_output: Array | None, d_h: Array | None, d_c: Array | None, cache: StackCache
) -> StackGrads:
    """Back-propagation through a :func:`stack_forward` call, from the top layer down.

    Args:
        d_output: ``(B, T, D*H_out)`` gradient w.r.t. the top outputs, None for zeros.
        d_h: ``(L*D, B, H_out)`` gradient w.r.t. the final hidden states, None for zeros.
        d_c: ``(L*D, B, H)`` gradient w.r.t. the final cell states (LSTM), None for zeros.
        cache: the ``cache`` of the matching :func:`stack_forward` call.

    Returns:
        A :class:`StackGrads`.
    """
    D = len(cache.layers[0])
    top = cache.layers[-1][0]
    B, T = top.mask.shape[1], top.mask.shape[0]
    d_in = (
        np.zeros((B, T, D * top.params["weight_hh"].shape[1])) if d_output is None else as_float64(d_output)
    )
    dh0: list[Array] = []
    dc0: list[Array] = []
    grads: list[list[Grads]] = []
    for li in reversed(range(len(cache.layers))):
        dirs = cache.layers[li]
        widths = [c.params["weight_hh"].shape[1] for c in dirs]
        splits = np.split(d_in, np.cumsum(widths)[:-1], axis=2)
        layer_grads = [
            layer_backward(d_out, None if d_h is None else d_h[k], None if d_c is None else d_c[k], lc)
            for k, lc, d_out in zip(range(li * D, (li + 1) * D), dirs, splits, strict=True)
        ]
        d_x = np.sum([g.pop("x") for g in layer_grads], axis=0)  # both directions read the same input
        d_in = d_x + d_in if cache.residual[li] else d_x  # the skip path adds the output's gradient
        grads.insert(0, layer_grads)
    for layer_grads in grads:
        for g in layer_grads:
            dh0.append(g.pop("h0"))
            if "c0" in g:
                dc0.append(g.pop("c0"))
    return StackGrads(d_in, np.stack(dh0), np.stack(dc0) if dc0 else None, grads)
