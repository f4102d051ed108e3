"""The trainer's configuration: one frozen dataclass, every field commented."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from carrousel.core.config import check_device, check_numbers
from carrousel.core.errors import ConfigError

__all__ = ["TrainConfig", "key_without_validation"]

_OPTIMIZERS = ("adam", "adamw", "sgd")
_SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")


@dataclass(frozen=True)
class TrainConfig:
    """Configuration of :class:`carrousel.core.train.Trainer`.

    Override fields with :func:`dataclasses.replace`; every field maps to a CLI flag in the domain packages.
    """

    epochs: int = 10  # passes over the training loader (>= 1)
    max_steps: int | None = None  # stop after this many optimiser steps (None: no limit); a stop inside an
    # epoch is logged as that epoch's "partial" entry and checkpointed where it stopped (train.epoch_end)
    lr: float = 1e-3  # peak learning rate
    optimizer: str = "adamw"  # adam | adamw | sgd
    weight_decay: float = 0.0  # decoupled (adamw) or L2 (adam, sgd), on every 2-D+ parameter (param_groups)
    lr_scales: tuple[tuple[str, float], ...] = ()  # (name prefix, factor): the parameters whose names start
    # with the prefix (model.named_parameters(); the first match counts) learn at lr * factor, in optimiser
    # groups of their own that every scheduler scales alike; () or factor 1: one lr, the groups as before
    momentum: float = 0.9  # sgd only: momentum
    scheduler: str = "none"  # none | step | cosine | onecycle | plateau (onecycle steps per step)
    step_size: int = 10  # step scheduler: epochs between decays
    gamma: float = 0.1  # step / plateau schedulers: decay factor
    warmup_pct: float = 0.3  # onecycle: fraction of steps spent warming up
    grad_clip_norm: float | None = 1.0  # clip the global gradient L2 norm to this (None: off); norm logged
    grad_clip_value: float | None = None  # clip each gradient element to +-value (None: off)
    accumulate: int = 1  # micro-batches whose mean gradient makes one optimiser step (each loss divided by
    # accumulate; a window an epoch's end cuts short by its own count): one batch accumulate times larger
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast dtype; fp16 uses a GradScaler on CUDA
    # and MPS and needs one of them (the Trainer and find_lr refuse it on the CPU: it ran as bf16 there)
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps (under torchrun: cuda:LOCAL_RANK)
    monitor: str = "val_loss"  # logged value for early stopping and the best model (train_loss w/o val)
    mode: Literal["min", "max"] = "min"  # whether the monitored value should go down or up (checked
    # against a monitored task metric's higher_is_better: monitor="val_accuracy" needs mode="max")
    patience: int | None = None  # epochs without improvement before stopping (None: no early stopping)
    min_delta: float = 0.0  # smallest change of the monitored value that counts as an improvement (>= 0)
    tie_break: str | None = None  # logged value deciding between epochs whose monitored value ties exactly
    # (lower wins, e.g. "val_loss" under an error rate that stays flat; None: the first such epoch stays)
    restore_best: bool = True  # load the best epoch's weights into the model when fit ends
    tbptt_steps: int = 0  # truncated BPTT chunk length for stateful tasks (0: whole sequences)
    tbptt_carry: bool = False  # also carry state from one batch to the next (contiguous streams)
    checkpoint_dir: str | None = None  # folder for checkpoints (None: no checkpoints)
    checkpoint_every: int = 0  # also checkpoint every N optimiser steps mid-epoch (0: epoch ends only)
    keep_last: int = 2  # recent checkpoints to keep (the best one is kept apart as best.pt)
    seed: int = 0  # seeds python, numpy and torch at the start of fit
    deterministic: bool = False  # seed + torch.use_deterministic_algorithms: bit-identical CPU runs
    progress: bool = True  # tqdm progress bar on rank zero
    log_dir: str | None = None  # folder for history.csv / history.json (and TensorBoard when installed)
    log_every: int = 10  # refresh the progress bar's rate every N batches; with nonfinite="stop" and no
    # callback needing per-batch figures, the losses and gradient norms are read every N steps (train.figures),
    # the progress bar's loss with them; find_lr reads its losses every N steps too
    nonfinite: Literal["skip", "stop"] = "skip"  # on NaN/inf loss or gradient: skip the step, or raise
    # (skip: a fit whose every step so far was skipped, e.g. on NaN inputs, raises at the epoch's end;
    # stop: found up to log_every - 1 steps late when nothing reads each step's figures, the error naming
    # the step where it happened, see train.figures)
    ema_decay: float = 0.0  # weight averaging: bias-corrected EMA decay per optimiser step (0: off);
    # validation, the best model and the fitted model then use the averaged weights (train.ema)

    def __post_init__(self) -> None:
        check_numbers(self, paths="checkpoint_dir log_dir")  # also: a Python caller's "~/runs" expanded
        object.__setattr__(self, "device", check_device(self.device))
        if self.optimizer.lower() not in _OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; use one of {', '.join(_OPTIMIZERS)}")
        if self.scheduler.lower() not in _SCHEDULERS:
            raise ConfigError(f"unknown scheduler {self.scheduler!r}; use one of {', '.join(_SCHEDULERS)}")
        if self.precision not in ("fp32", "bf16", "fp16"):
            raise ConfigError(f"unknown precision {self.precision!r}; use fp32, bf16 or fp16")
        if self.mode not in ("min", "max"):
            raise ConfigError(f"mode must be 'min' or 'max', got {self.mode!r}")
        if self.nonfinite not in ("skip", "stop"):
            raise ConfigError(f"nonfinite must be 'skip' or 'stop', got {self.nonfinite!r}")
        if self.epochs < 1:  # 0 was accepted and fit trained nothing (an untrained model, no error)
            raise ConfigError(
                f"epochs must be >= 1 (passes over the training loader), got {self.epochs}; e.g. epochs=10"
            )
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(
                f"max_steps must be >= 1 or None (no limit), got {self.max_steps}; e.g. max_steps=1000"
            )
        if self.accumulate < 1:
            raise ConfigError(f"accumulate must be >= 1, got {self.accumulate}")
        if self.tbptt_steps < 0 or self.checkpoint_every < 0 or self.keep_last < 1:
            raise ConfigError("tbptt_steps and checkpoint_every must be >= 0 and keep_last >= 1")
        for name in ("lr", "weight_decay", "momentum", "gamma", "warmup_pct", "min_delta"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, got {value!r}")
        for name in ("grad_clip_norm", "grad_clip_value"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be a finite number > 0 or None, got {value!r}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0 or not 0.0 <= self.momentum < 1.0 or not 0.0 < self.gamma <= 1.0:
            raise ConfigError(
                f"need weight_decay >= 0, momentum in [0, 1), gamma in (0, 1]; got {self.weight_decay}, "
                f"{self.momentum}, {self.gamma}"
            )
        if not 0.0 < self.warmup_pct < 1.0:
            raise ConfigError(f"warmup_pct must be in (0, 1), got {self.warmup_pct}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        for prefix, factor in self.lr_scales:
            if not (isinstance(prefix, str) and prefix) or isinstance(factor, bool):
                raise ConfigError(f"lr_scales holds (name prefix, factor) pairs, got {(prefix, factor)!r}")
            if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
                raise ConfigError(f"lr_scales: the factor of {prefix!r} must be a number > 0, got {factor!r}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"patience must be >= 1 or None, got {self.patience}")
        # a negative min_delta counted a worse epoch as an improvement: kept as best, early stopping never came
        if self.min_delta < 0:
            raise ConfigError(f"min_delta must be >= 0 (the gain an improvement needs), got {self.min_delta}")
        if self.step_size < 1:  # was ZeroDivisionError from torch's StepLR after the first epoch's training
            raise ConfigError(f"step_size must be >= 1 (epochs between decays), got {self.step_size}")

    def keys_without_validation(self) -> tuple[str, str | None]:
        """``(monitor, tie_break)`` as logged in a fit with no validation loader (none given, or one yielding no
        batch): ``val_loss`` is ``train_loss``, logged in its place; keys not starting with ``val_`` stay.

        Raises:
            ConfigError: any other ``val_`` key, before any step: its ``train_`` twin is never logged (training
                logs its loss, not the task metrics), so the fit failed after a whole epoch ("not logged").
        """
        monitor = key_without_validation(
            self.monitor, "monitor", "TrainConfig(monitor='train_loss', mode='min')"
        )
        if self.tie_break is None:
            return monitor, None
        return monitor, key_without_validation(self.tie_break, "tie_break", "TrainConfig(tie_break=None)")


def key_without_validation(key: str, setting: str, fix: str) -> str:
    """A monitored ``key`` as logged in a fit with no validation loader: ``val_loss`` is ``train_loss``,
    logged in its place; keys not starting with ``val_`` stay. :meth:`TrainConfig.keys_without_validation`
    and :class:`~carrousel.core.train.EarlyStopping` both resolve their keys here.

    Args:
        key: the logged key, e.g. ``"val_loss"``.
        setting: what names ``key``, first in the message (``"monitor"``, ``"tie_break"``).
        fix: the setting that needs no validation loader, e.g. ``"TrainConfig(tie_break=None)"``.

    Raises:
        ConfigError: any other ``val_`` key, before any step: its ``train_`` twin is never logged (training
            logs its loss, not the task metrics), so the fit failed after a whole epoch ("not logged").
    """
    if key.startswith("val_") and key != "val_loss":
        raise ConfigError(
            f"{setting} {key!r} needs a validation loader and fit got none (without one only train_loss is "
            f"logged, no task metric); pass fit(val_loader=...) or set {fix}"
        )
    return "train_loss" if key == "val_loss" else key
