"""Learning-rate finder: an exponential sweep of the learning rate over a few hundred steps.

The rate grows from ``start_lr`` to ``end_lr`` geometrically, one optimiser step per batch, while the
loss is smoothed with an exponential moving average (bias-corrected). The sweep stops early when the
smoothed loss exceeds ``diverge`` times its best value. The suggested rate is the point of steepest
descent of the smoothed loss against ``log10(lr)`` (the most negative slope), ignoring the noisy first
and the diverging last points (Smith 2017; the fastai recipe). The model's weights are restored after
the sweep.

The losses stay on the device and are read together every ``config.log_every`` steps (one wait for the
GPU, not one a step; :func:`~carrousel.core.train.figures.read_all`), then judged in order as they always
were, so the result is the same to the bit. A stop (a non-finite or diverged loss) is thus found up to
``log_every - 1`` steps late: those steps are taken and dropped (their rates, losses and weights; an error
they raise, on NaN weights say, is dropped too when a stop came before it), but the random number
generators and the loader have moved on by them.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.device import autocast, floating_dtype, inference_dtype, move_batch, pick_device
from carrousel.core.errors import ConfigError, DataError
from carrousel.core.train.config import TrainConfig
from carrousel.core.train.figures import read_all
from carrousel.core.train.optim import build_optimizer
from carrousel.core.train.task import Task

__all__ = ["LRFinderResult", "find_lr", "suggest_lr"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LRFinderResult:
    """The sweep: rates tried, raw and smoothed losses, and the suggested rate."""

    lrs: list[float] = field(default_factory=list)  # learning rate of each step
    losses: list[float] = field(default_factory=list)  # smoothed (bias-corrected EMA) loss of each step
    raw_losses: list[float] = field(default_factory=list)  # loss of each step as measured
    suggestion: float = math.nan  # steepest-descent rate (nan when the sweep was too short)


@check_args
def suggest_lr(lrs: list[float], losses: list[float], skip_start: float = 0.1, skip_end: int = 3) -> float:
    """Rate at the steepest descent of ``losses`` against ``log10(lrs)``.

    Args:
        lrs: rates, increasing.
        losses: smoothed losses, one per rate.
        skip_start: fraction of the first points to ignore (the EMA is still settling).
        skip_end: points to ignore at the end (the divergence).

    Returns:
        The suggested rate, or nan with fewer than 5 usable points.
    """
    lo = int(len(lrs) * skip_start)
    hi = len(lrs) - skip_end
    if hi - lo < 5:
        return math.nan
    x = np.log10(np.asarray(lrs[lo:hi], dtype=np.float64))
    y = np.asarray(losses[lo:hi], dtype=np.float64)
    slope = np.gradient(y, x)
    return float(lrs[lo + int(np.argmin(slope))])


@check_args
def find_lr(
    model: nn.Module,
    task: Task,
    loader: Any,
    config: TrainConfig | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.98,
    diverge: float = 4.0,
) -> LRFinderResult:
    """Sweeps the learning rate and suggests one.

    Args:
        model: the model (its weights are restored when the sweep ends).
        task: the task giving forward and loss (stateful tasks run each batch whole from a fresh state).
        loader: training batches; cycled when shorter than ``num_steps``.
        config: optimiser, clipping, precision and device settings (``lr`` is ignored).
        start_lr: first rate.
        end_lr: last rate.
        num_steps: steps of the sweep.
        smoothing: EMA factor of the loss (0 = no smoothing).
        diverge: stop when the smoothed loss exceeds this multiple of its best.

    Returns:
        A :class:`LRFinderResult`.

    Raises:
        ConfigError: rates not ``0 < start_lr < end_lr < inf``, ``num_steps`` < 2, ``smoothing`` outside
            ``[0, 1)``, ``diverge`` <= 1, or a ``config`` that is no :class:`TrainConfig`.
        DataError: a loader that yields no batch.
    """
    if not 0 < start_lr < end_lr < math.inf or num_steps < 2:
        raise ConfigError("need 0 < start_lr < end_lr < inf and num_steps >= 2 for the learning-rate sweep")
    if not (0.0 <= smoothing < 1.0 and diverge > 1.0):  # were ZeroDivisionError / a stop at the first step
        raise ConfigError(f"find_lr needs smoothing in [0, 1) and diverge > 1, got {smoothing} and {diverge}")
    if config is not None and not isinstance(config, TrainConfig):
        raise ConfigError(f"find_lr: config must be a TrainConfig, got a {type(config).__name__}")
    cfg = config or TrainConfig()
    device = pick_device(cfg.device)
    inference_dtype(cfg.precision, device)  # fp16 on the CPU: refused, as the Trainer does
    model.to(device)
    saved = copy.deepcopy(model.state_dict())
    optimizer = build_optimizer(model, cfg)
    ratio = (end_lr / start_lr) ** (1.0 / (num_steps - 1))
    result_lrs: list[float] = []
    smooth: list[float] = []
    raw: list[float] = []
    pending: list[tuple[float, torch.Tensor]] = []  # (rate, loss on the device) of steps not yet read
    avg, best = 0.0, math.inf

    def judge() -> bool:
        """Reads the pending losses and takes them in order; True at a stop (the rest dropped)."""
        nonlocal avg, best
        values, steps = read_all([loss for _, loss in pending]), list(pending)
        pending.clear()
        for (lr, _), value in zip(steps, values, strict=True):
            if not math.isfinite(value):
                return True
            avg = smoothing * avg + (1 - smoothing) * value
            smoothed = avg / (1 - smoothing ** (len(raw) + 1))
            result_lrs.append(lr)
            raw.append(value)
            smooth.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge * best:
                return True
        return False

    was_training = model.training
    model.train()
    taken = 0  # batches the loader gave
    try:
        for i, batch in enumerate(itertools.islice(itertools.cycle(loader), num_steps)):
            taken = i + 1
            lr = start_lr * ratio**i
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = move_batch(batch, device, floating_dtype(model))  # page-locked first for CUDA
            with autocast(device, cfg.precision):
                outputs = task.forward(model, batch, None)[0] if task.stateful else task.forward(model, batch)
                loss = task.loss(outputs, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip_norm)
            optimizer.step()
            pending.append((lr, loss.detach()))
            if len(pending) >= max(1, cfg.log_every) and judge():
                break
        else:
            judge()
    except Exception:
        if not (pending and judge()):  # a stop before the failing step is the sweep's end, else its error
            raise
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    if not taken:  # was a result of no rates and a suggestion of nan
        raise DataError("find_lr: the loader yielded no batches; check the dataset, batch_size and drop_last")
    suggestion = suggest_lr(result_lrs, smooth)
    logger.info("learning-rate sweep: %d steps, suggested lr %.3g", len(result_lrs), suggestion)
    return LRFinderResult(lrs=result_lrs, losses=smooth, raw_losses=raw, suggestion=suggestion)
