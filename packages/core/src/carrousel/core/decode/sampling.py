"""Stochastic decoding: temperature, top-k and nucleus (top-p) sampling from next-step logits.

:func:`sample_next` draws one label per row of ``(N, V)`` logits; ``temperature=0`` is greedy. Filters
apply in the usual order (temperature, then top-k, then top-p, Holtzman et al. 2020), and a
``torch.Generator`` makes the draw reproducible. :func:`filter_logits` exposes the filtering alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.device import wide_float
from carrousel.core.errors import ConfigError, ShapeError

__all__ = ["filter_logits", "sample_next"]


def _check(temperature: float, top_k: int, top_p: float) -> None:
    if not (math.isfinite(temperature) and temperature >= 0):
        raise ConfigError(f"temperature must be a finite number >= 0, got {temperature}")
    if top_k < 0:
        raise ConfigError(f"top_k must be >= 0 (0: no limit), got {top_k}")
    if not (math.isfinite(top_p) and 0.0 < top_p <= 1.0):
        raise ConfigError(f"top_p must be in (0, 1], got {top_p}")


@check_args
def filter_logits(logits: Tensor, top_k: int = 0, top_p: float = 1.0, banned: Sequence[int] = ()) -> Tensor:
    """Sets to ``-inf`` the logits outside the top ``k`` and outside the nucleus of mass ``top_p``.

    Args:
        logits: ``(N, V)``.
        top_k: keep the ``k`` largest per row (0: all).
        top_p: keep the smallest set of largest logits whose probability reaches ``top_p`` (1: all); the
            most likely label is always kept.
        banned: labels never to be chosen (e.g. padding).

    Returns:
        ``(N, V)`` filtered logits (a new tensor).
    """
    if logits.dim() != 2:
        raise ShapeError(f"logits must be (rows, labels), got shape {tuple(logits.shape)}")
    _check(1.0, top_k, top_p)
    out = logits.clone()
    if banned:
        out[:, list(banned)] = float("-inf")
    if 0 < top_k < out.shape[-1]:
        kth = torch.topk(out, top_k, dim=-1).values[:, -1:]
        out = out.masked_fill(out < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(out, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # mass of the strictly more likely labels
        drop_sorted = before >= top_p
        drop_sorted[:, 0] = False
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        out = out.masked_fill(drop, float("-inf"))
    return out


@check_args
def sample_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    banned: Sequence[int] = (),
) -> Tensor:
    """Draws one label per row from ``(N, V)`` next-step logits.

    Args:
        logits: ``(N, V)`` unnormalised scores.
        temperature: divides the logits before the filters; below 1 sharpens, above 1 flattens; 0 picks
            the argmax.
        top_k: sample among the ``k`` most likely (0: all).
        top_p: sample from the nucleus of probability ``top_p`` (1: all).
        generator: a seeded ``torch.Generator`` on the logits' device, for reproducible draws.
        banned: labels never drawn.

    Returns:
        ``(N,)`` int64 labels.

    Raises:
        ConfigError: on a negative temperature or top_k, or top_p outside (0, 1].
        ShapeError: when ``logits`` is not 2-D.
    """
    _check(temperature, top_k, top_p)
    x = logits.float()
    if banned:  # banned before the temperature: the fallback's shift below takes the max of the rest
        x = filter_logits(x, banned=banned)
    if temperature == 0:
        return filter_logits(x, top_k, top_p).argmax(dim=-1)
    # temperature first, then the filters: the nucleus is that of the distribution drawn from (it was taken
    # at temperature 1: top_p=0.6 at temperature 0.5 kept a label of 0.237 the draw could give, outside it)
    probs = torch.softmax(filter_logits(x / temperature, top_k, top_p), dim=-1)
    if not bool(torch.isfinite(probs).all()):  # an extreme temperature: 1e-40 overflows the scaled logits,
        # 1e308 (inf in float32) makes NaN of a -inf logit; shifted to max 0, in float64, any works
        # (MPS has no float64: float32 there, enough for all but such extremes)
        shifted = (x - x.max(dim=-1, keepdim=True).values).to(wide_float(x.device))
        probs = torch.softmax(filter_logits(shifted / temperature, top_k, top_p), dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
