"""Optimisers and learning-rate schedules picked by name from a :class:`TrainConfig`."""

from __future__ import annotations

import fnmatch
import logging
import math
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.train.config import TrainConfig

__all__ = ["SCHEDULER_PER_STEP", "build_optimizer", "build_scheduler", "param_groups"]

logger = logging.getLogger(__name__)

SCHEDULER_PER_STEP = frozenset({"onecycle"})
"""Schedulers stepped after every optimiser step; the others step once per epoch."""


def param_groups(
    model: nn.Module,
    weight_decay: float,
    lr_scales: tuple[tuple[str, float], ...] = (),
    no_decay: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Splits parameters into a decayed group and a non-decayed one by their number of dimensions alone:
    every parameter with 2 or more dimensions is decayed, every 0-D or 1-D one (biases, norm gains and
    shifts) is not. So besides the weight matrices, an embedding table and any vector a module stores as a
    2-D tensor (the peephole weights of ``PeepholeLSTMCell``, ``(3, hidden)``) are decayed too; ``no_decay``
    takes named parameters out of the decayed group (the default keeps every trained figure as it was).

    Args:
        model: the model whose trainable parameters (``requires_grad``) are grouped.
        weight_decay: the decayed group's weight decay.
        lr_scales: ``(name prefix, factor)`` pairs (:attr:`TrainConfig.lr_scales`): a parameter whose name
            starts with a prefix (the first match) goes to a pair of groups of its own, which carry
            ``lr_scale`` (the factor) after the unscaled groups; factor 1 or no match: unscaled.
        no_decay: name patterns (``fnmatch``: ``"*.peephole"``, ``"embed.*"``) of parameters never decayed,
            whatever their number of dimensions; a parameter's full name (``model.named_parameters()``)
            is matched.

    Raises:
        ConfigError: a prefix or a pattern names no trainable parameter.
    """
    patterns = (no_decay,) if isinstance(no_decay, str) else tuple(no_decay)  # one pattern, not its letters
    buckets: dict[float, tuple[list[nn.Parameter], list[nn.Parameter]]] = {1.0: ([], [])}
    used: set[str] = set()
    matched: set[str] = set()
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        prefix, factor = next(((x, float(f)) for x, f in lr_scales if name.startswith(x)), ("", 1.0))
        used.add(prefix)
        kept = {x for x in patterns if fnmatch.fnmatchcase(name, x)}
        matched |= kept
        decay, plain = buckets.setdefault(factor, ([], []))
        (decay if p.dim() >= 2 and not kept else plain).append(p)
    stray = [x for x in patterns if x not in matched]
    if stray:
        raise ConfigError(
            f"no_decay: no trainable parameter's name matches {stray[0]!r}; the names are "
            "model.named_parameters()'s (e.g. '*.peephole')"
        )
    unused = [x for x, _ in lr_scales if x not in used]
    if unused:
        raise ConfigError(f"lr_scales: no trainable parameter's name starts with {unused[0]!r}")
    groups: list[dict[str, Any]] = []
    for factor, (decay, plain) in buckets.items():
        scale = {} if factor == 1.0 else {"lr_scale": factor}
        if decay or factor == 1.0:  # the first group exists even when empty, as before
            groups.append({"params": decay, "weight_decay": weight_decay, **scale})
        if plain:
            groups.append({"params": plain, "weight_decay": 0.0, **scale})
    return groups


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> Optimizer:
    """Builds ``cfg.optimizer`` (adam | adamw | sgd) over the model's trainable parameters (the groups of
    :func:`param_groups`, each at ``cfg.lr`` times its ``lr_scale``)."""
    name = cfg.optimizer.lower()
    groups = param_groups(model, cfg.weight_decay, cfg.lr_scales)
    if not any(g["params"] for g in groups):
        raise ConfigError("the model has no trainable parameters; unfreeze some before training")
    for group in groups:
        if "lr_scale" in group:
            group["lr"] = cfg.lr * group["lr_scale"]
    if name == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; use adam, adamw or sgd")


@check_args
def build_scheduler(optimizer: Optimizer, cfg: TrainConfig, steps_per_epoch: int | None) -> Any:
    """Builds ``cfg.scheduler`` or returns None for ``"none"``.

    Args:
        optimizer: the optimiser to schedule.
        cfg: the training config (``epochs``, ``max_steps``, ``step_size``, ``gamma``, ``warmup_pct``).
        steps_per_epoch: optimiser steps per epoch, needed by ``onecycle`` and ``cosine`` when only
            ``max_steps`` bounds training (None when the loader has no length).
    """
    name = cfg.scheduler.lower()
    if name == "none":
        return None
    if name == "step":
        return StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    if name == "cosine":  # over the epochs that will run: max_steps may end the fit before cfg.epochs
        epochs = cfg.epochs  # (was cfg.epochs alone: 2 epochs of 10 ran at 98% and 90% of the peak rate)
        if cfg.max_steps is not None and steps_per_epoch:
            epochs = min(epochs, math.ceil(cfg.max_steps / steps_per_epoch))
        return CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name == "plateau":
        patience = max(cfg.step_size // 5, 1)
        return ReduceLROnPlateau(optimizer, mode=cfg.mode, factor=cfg.gamma, patience=patience)
    if name == "onecycle":
        total = _total_steps(cfg, steps_per_epoch)
        peaks = [cfg.lr * g.get("lr_scale", 1.0) for g in optimizer.param_groups]
        return OneCycleLR(optimizer, max_lr=peaks, total_steps=total, pct_start=cfg.warmup_pct)
    raise ConfigError(f"unknown scheduler {cfg.scheduler!r}; use none, step, cosine, onecycle or plateau")


def _total_steps(cfg: TrainConfig, steps_per_epoch: int | None) -> int:
    candidates = []
    if steps_per_epoch is not None:
        candidates.append(steps_per_epoch * cfg.epochs)
    if cfg.max_steps is not None:
        candidates.append(cfg.max_steps)
    if not candidates or min(candidates) <= 0:
        raise ConfigError("scheduler 'onecycle' needs a sized train loader or max_steps > 0")
    return min(candidates)
