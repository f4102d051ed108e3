"""The Trainer: fit / evaluate / predict for any model and :class:`~carrousel.core.train.Task`.

The trainer knows nothing of any domain: a domain hands it a plain ``nn.Module``, a small Task (forward,
loss, metrics) and data loaders yielding tensors, dicts or tuples of tensors (NumPy arrays are taken too and
become tensors at the edge, :func:`~carrousel.core.device.move_batch`). One training step is::

    outputs = task.forward(model, batch); loss = task.loss(outputs, batch); backward (scaled by the
    GradScaler for fp16 on CUDA and MPS, divided by ``accumulate``, or by its own count in a window an epoch's
    end cuts short); every ``accumulate`` micro-batches:
    unscale, clip by value and/or norm (norm logged), skip or stop when loss or norm is not finite,
    optimiser step, per-step scheduler. The loss and gradient norm stay on the device until read, together:
    at each step that depends on them, else every ``log_every`` steps (:mod:`carrousel.core.train.figures`).

Validation values are logged as ``val_loss`` and ``val_<metric>``, training loss as ``train_loss``, with
``grad_norm`` (mean pre-clip norm), ``lr``, ``skipped_steps`` and ``epoch_time``. With ``ema_decay`` > 0
validation, the best model and the fitted model use a weight average (:mod:`carrousel.core.train.ema`). See
:mod:`carrousel.core.train.task` for truncated BPTT, :mod:`carrousel.core.train.distributed` for
torchrun, :mod:`carrousel.core.train.seed` for deterministic mode and its limits on GPU,
:mod:`carrousel.core.train.epoch_end` for an epoch's end (best epoch, history, checkpoints) and a
stop at its start or inside one (``max_steps``, a callback).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from carrousel.core.device import (
    autocast,
    floating_dtype,
    grad_scaler,
    inference_dtype,
    move_batch,
    pick_device,
)
from carrousel.core.errors import ConfigError, NonFiniteLossError, OutputError
from carrousel.core.files import check_output_dir
from carrousel.core.train import boundary, epoch_end
from carrousel.core.train import distributed as dist_utils
from carrousel.core.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    HistoryLogger,
    ProgressBar,
    TensorBoardLogger,
    check_callbacks,
)
from carrousel.core.train.checkpoint import CheckpointManager, load_checkpoint, resolve_resume
from carrousel.core.train.config import TrainConfig
from carrousel.core.train.diverged import StepOverflowError
from carrousel.core.train.ema import WeightAverage
from carrousel.core.train.epoch_end import checkpoint_step, end_epoch, stop_inside_epoch, stop_state
from carrousel.core.train.figures import StepFigures
from carrousel.core.train.inference import batch_chunks, evaluate_loop, predict_loop
from carrousel.core.train.loaders import check_loader, known_empty, tensors_taken_for_batches
from carrousel.core.train.optim import SCHEDULER_PER_STEP, build_optimizer, build_scheduler
from carrousel.core.train.result import FitResult
from carrousel.core.train.seed import DeterministicGuard, set_seed
from carrousel.core.train.state import capture, restore, window_parts
from carrousel.core.train.task import Task, check_loss, check_monitor, check_parts, check_tie_break

__all__ = ["FitResult", "Trainer"]

logger = logging.getLogger(__name__)
_LOGGED_SKIPS = 3  # skipped steps logged one by one per fit; the history counts them all


class Trainer:
    """Trains a model on a task; one code path for CPU, one GPU and ``torchrun`` multi-process runs.

    Args:
        model: a plain ``nn.Module``; moved to the device here (wrapped in DDP during ``fit`` under torchrun).
            Floating batch tensors take its floating dtype (``model.double()`` trains in float64).
        task: the domain's :class:`Task`.
        config: a :class:`TrainConfig`.
        callbacks: extra :class:`Callback` s, called before the built-in ones.
        progress_label: what is being trained, before the epoch in the progress bar (``config.progress``)
            and its epoch log lines: ``"member 2/3"`` gives ``member 2/3, epoch 1/5``; "" the plain
            ``epoch 1/5``. Not a config field: it names this run (one network of several), not a setting.

    Raises:
        OutputError: ``config.checkpoint_dir`` or ``log_dir`` is a file or cannot be created (checked here,
            before any training).

    Example:
        >>> trainer = Trainer(model, MyTask(), TrainConfig(epochs=5, lr=3e-3))  # doctest: +SKIP
        >>> result = trainer.fit(train_loader, val_loader)  # doctest: +SKIP
        >>> trainer.evaluate(test_loader)["loss"]  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        config: TrainConfig | None = None,
        callbacks: Sequence[Callback] | None = None,
        *,
        progress_label: str = "",
    ) -> None:
        check_parts(model, task)
        if config is not None and not isinstance(config, TrainConfig):  # was AttributeError on a dict
            raise ConfigError(
                f"config must be a TrainConfig, got a {type(config).__name__}; pass TrainConfig(...)"
            )
        extra = check_callbacks(callbacks)
        self.config = cfg = config or TrainConfig()
        for name in ("checkpoint_dir", "log_dir"):  # fails here, not after the first epoch's training
            if getattr(cfg, name):
                check_output_dir(getattr(cfg, name), f"TrainConfig.{name}", error=OutputError)
        self.task = task
        self.env = dist_utils.detect()
        device = pick_device(cfg.device)
        if self.env.enabled and device.type == "cuda":
            device = torch.device("cuda", self.env.local_rank)
        self.device = device
        inference_dtype(cfg.precision, device)  # fp16 on the CPU ran as bf16 without a word: refused
        self.model = model.to(device)
        self.rank_zero = self.env.rank == 0
        self.scaler: torch.amp.GradScaler | None = grad_scaler(cfg.precision, device)  # fp16 on CUDA / MPS
        self.optimizer = build_optimizer(self.model, cfg)
        self.scheduler: Any = None
        self._early = None
        if cfg.patience is not None:
            self._early = EarlyStopping(cfg.monitor, cfg.mode, cfg.patience, cfg.min_delta)
        self.ema = WeightAverage(cfg.ema_decay) if cfg.ema_decay > 0 else None  # the weight average
        self._ema_due = False  # an optimiser step was taken and the average not yet updated
        builtins: list[Callback] = [self._early] if self._early else []
        if self.rank_zero and cfg.progress:
            builtins.append(ProgressBar(cfg.log_every, progress_label))
        if self.rank_zero and cfg.log_dir:
            builtins.append(HistoryLogger(cfg.log_dir))
            builtins.append(TensorBoardLogger(cfg.log_dir))
        self.callbacks = CallbackList([*extra, *builtins])
        self.ckpt = CheckpointManager(cfg.checkpoint_dir, cfg.keep_last) if cfg.checkpoint_dir else None
        self.history: list[dict[str, float]] = []
        self.should_stop = False
        self.epoch = 0  # current epoch, from 0
        self.step = 0  # optimiser steps taken (including skipped)
        self.batches_per_epoch: int | None = None
        self._net: nn.Module = self.model  # what forward runs on: the model or its DDP wrapper
        self.train_loader: Any = None
        self.val_loader: Any = None  # as fit uses it (sharded under torchrun): its generator is checkpointed
        self.monitor, self.tie_break, self.validating = cfg.monitor, cfg.tie_break, True  # _resolve_monitor
        self._batch_logs, self._batch_calls, self._defer = True, True, False  # reads: _pick_reads
        self._reset_fit_state()

    # ------------------------------------------------------------------------------------------- state
    def _reset_fit_state(self) -> None:
        self.skipped = 0
        self.best_score: float | None = None
        self.best_tie: float | None = None  # the best epoch's config.tie_break value
        self.best_epoch: int | None = None
        self.best_model: dict[str, torch.Tensor] | None = None
        self.batch_in_epoch = 0
        self.micro = 0
        self.sums = [0.0, 0.0, 0.0, 0.0]  # loss*n, n, grad-norm sum, grad-norm count
        self.figures = StepFigures()  # losses and norms recorded on the device, not yet read (.figures)
        self._window_bad = False
        self.failure: Exception | None = None  # torchrun: a training step's error, until agreed (epoch_end)
        self._stop_reason: tuple[int, int, str] | None = None  # torchrun: the window's first, until agreed
        self._unsynced, self.cuts = False, 0  # cuts: torchrun epochs ended by a rank out before its len()
        self.fold = self.batch_agreed = False  # torchrun: the step's check may end a batch (boundary)
        self.stream_state: Any = None
        self.epoch_rng: dict[str, Any] | None = None
        self.last_checkpoint: Path | None = None
        self.best_checkpoint: Path | None = None
        if self.ema is not None:
            self.ema.reset(self.model)

    def _stateful_forward(self, net: nn.Module, chunk: Any) -> Any:
        if self.task.stateful:
            outputs, self.stream_state = self.task.forward(net, chunk, self.stream_state)
            return outputs
        return self.task.forward(net, chunk)

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint holds, as plain types and tensors (see :mod:`.state`)."""
        self.figures.settle(self)  # the sums hold every figure recorded so far
        return capture(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores a checkpoint's state, RNG states included."""
        restore(self, state)

    # --------------------------------------------------------------------------------------------- fit
    def fit(self, train_loader: Any, val_loader: Any = None, resume: str | Path | None = None) -> FitResult:
        """Trains for ``config.epochs`` epochs (or ``max_steps`` steps, or until a callback stops it).

        A stop inside an epoch (``max_steps``, or a callback's ``should_stop``) is checkpointed where it
        stopped, takes no step on half an accumulation window and its history entry is marked
        ``"partial": 1.0``: a resume finishes that epoch as a straight run would
        (:mod:`carrousel.core.train.epoch_end`).

        Args:
            train_loader: an iterable of batches (a ``DataLoader`` is sharded automatically under torchrun).
            val_loader: optional validation batches, evaluated after every epoch.
            resume: a checkpoint file, a checkpoint folder (its latest), or ``"auto"`` (the latest in
                ``config.checkpoint_dir`` when one exists, else a fresh start). Training continues
                exactly where the checkpoint was written, mid-epoch included, with the checkpoint's
                optimiser and scheduler state: a changed ``lr`` or schedule is logged and not applied.

        Returns:
            A :class:`FitResult`.

        Raises:
            NonFiniteLossError: on a NaN/inf loss or gradient with ``nonfinite="stop"``, naming the epoch and
                step where it happened. Without a GradScaler, torchrun or a callback reading per-batch
                figures, the figures are read every ``log_every`` steps (no wait for the GPU each step), so
                it is raised up to ``log_every - 1`` steps later, the model holding the weights of then.
                Under torchrun the ranks agree first: every rank raises the same error, naming the rank.
            StepOverflowError: an optimiser step too large for the weights' float type (a learning rate near
                its largest value), with either ``nonfinite`` setting.
            CheckpointError: when ``resume`` points to a missing or damaged checkpoint, or one written for
                another model or optimizer.
            DataError: a loader that is no iterable of batches (None, a tensor, a path...), before any work;
                a list of bare tensors (``[x, y]``) whose first epoch fails, each taken for a batch.
        """
        check_loader(train_loader, "Trainer.fit(train_loader=...)")
        self.callbacks.check()  # a hook of the wrong signature failed deep in the loop, after work
        if val_loader is not None:
            check_loader(val_loader, "Trainer.fit(val_loader=...)")
        cfg = self.config
        with DeterministicGuard():
            set_seed(cfg.seed, cfg.deterministic)
            self._setup_distributed()
            self.train_loader = dist_utils.shard_loader(train_loader, self.env, cfg.seed)
            if val_loader is not None:  # sharded for evaluation: some ranks may hold no batch, none is cut
                val_loader = dist_utils.shard_loader(val_loader, self.env, cfg.seed, evaluation=True)
                if not dist_utils.broadcast_flag(not known_empty(val_loader), self.device):
                    logger.warning(
                        "the validation loader yields no batches; the training loss is monitored instead"
                    )
                    val_loader = None
            self.val_loader, self.batches_per_epoch = val_loader, epoch_end.agreed_length(self)
            per_epoch = None
            if self.batches_per_epoch is not None:
                per_epoch = math.ceil(self.batches_per_epoch / cfg.accumulate)
            self.scheduler = build_scheduler(self.optimizer, cfg, per_epoch)
            self._reset_fit_state()
            self.history, self.should_stop, self.epoch, self.step = [], False, 0, 0
            self._resolve_monitor(val_loader is not None)
            path = resolve_resume(resume, cfg.checkpoint_dir)
            if path is not None:
                self.load_state_dict(load_checkpoint(path, map_location="cpu"))
                logger.info("resumed from %s at epoch %d, step %d", path, self.epoch + 1, self.step)
            self.callbacks.call("on_fit_start", self)
            self._pick_reads()
            self.fold = boundary.fold_allowed(self)
            try:
                self._loop()
            except Exception as exc:
                self._first_failure(exc)
                if self.epoch == 0 and (taken := tensors_taken_for_batches(train_loader, exc, "Trainer.fit")):
                    raise taken from exc
                raise
            if cfg.restore_best and self.best_model is not None:
                self.model.load_state_dict(self.best_model)
            elif self.ema is not None:  # no best epoch kept: the last average
                self.ema.copy_to(self.model)
            result = self.result()
            self.callbacks.call("on_fit_end", self, result)
            dist_utils.barrier()
        return result

    def result(self) -> FitResult:
        """The fit so far (what :meth:`fit` returns at its end)."""
        return FitResult(
            history=list(self.history),
            best_epoch=self.best_epoch,
            best_score=self.best_score,
            monitor=self.monitor,
            steps=self.step,
            skipped_steps=self.skipped,
            stopped_early=self.should_stop,
            last_checkpoint=str(self.last_checkpoint) if self.last_checkpoint else None,
            best_checkpoint=str(self.best_checkpoint) if self.best_checkpoint else None,
        )

    def _setup_distributed(self) -> None:
        self.env = dist_utils.init_distributed(self.device)
        if self.env.enabled and not isinstance(self._net, DistributedDataParallel):
            ids = [self.device.index] if self.device.type == "cuda" else None
            self._net = DistributedDataParallel(self.model, device_ids=ids)

    def _pick_reads(self) -> None:
        """When the step figures are read (:mod:`.figures`): every batch for a callback that implements
        ``on_batch_end`` and ``needs_batch_figures`` (not the progress bar); with ``nonfinite="stop"``, no
        GradScaler and no torchrun, every ``log_every`` steps; else at each optimiser step, which depends
        on them."""
        ends = [cb for cb in self.callbacks.callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self._batch_calls = bool(ends)
        self._batch_logs = any(cb.needs_batch_figures for cb in ends)
        stop = self.config.nonfinite == "stop" and self.scaler is None and not self.env.enabled
        self._defer = stop and not self._batch_logs

    def _first_failure(self, exc: Exception) -> None:
        """Raises the :class:`NonFiniteLossError` of a non-finite figure recorded before ``exc`` and not yet
        read (``nonfinite="stop"`` read every ``log_every`` steps): the steps taken since on NaN weights can
        fail otherwise first (``binary_cross_entropy`` refuses NaN inputs, a task's own check), and the
        figure is the first failure. Any other error of the read leaves ``exc`` to be raised."""
        if not len(self.figures) or isinstance(exc, NonFiniteLossError):
            return
        try:
            self.figures.settle(self)
        except NonFiniteLossError as nonfinite:
            raise nonfinite from exc
        except Exception:  # the read itself failed (the device, say): exc says more
            return

    def _resolve_monitor(self, has_val: bool) -> None:
        cfg, monitor, tie = self.config, self.config.monitor, self.config.tie_break
        if not has_val:  # val_loss is train_loss for both (tie_break stayed val_loss: "not logged" later)
            monitor, tie = cfg.keys_without_validation()
            logger.info("no validation loader: monitoring %s, breaking ties on %s", monitor, tie)
        check_monitor(self.task, monitor, cfg.mode)
        check_tie_break(self.task, tie)  # lower wins: no higher-is-better metric
        self.monitor, self.tie_break, self.validating = monitor, tie, has_val
        if self._early is not None:  # checked just now, under TrainConfig's name: not again by the callback
            self._early.monitor, self._early.checked = monitor, (monitor, self.config.mode)

    def _loop(self) -> None:
        cfg, val_loader, reached = self.config, self.val_loader, epoch_end.max_steps_reached
        while self.epoch < cfg.epochs and not reached(self) and not epoch_end.agreed_stop(self):
            t0 = time.perf_counter()
            self._net.train()
            if (batches := epoch_end.start_epoch(self)) is None:  # should_stop set in on_epoch_start
                break
            for batch in epoch_end.agreed_batches(self, batches):  # one rank's stop, end or failure: all's
                with epoch_end.failure_kept(self):  # under torchrun: raised when agreed, on every rank
                    self._train_batch(batch)
            inside = epoch_end.stopped_inside(self)  # max_steps or a callback, with batches of the epoch left
            stopped = stop_state(self) if inside else None  # checkpointed before validation: .epoch_end
            if not inside and (parts := window_parts(self)):  # flush a partial accumulation window
                # each gradient was divided by accumulate: step on their mean, as a full window does
                for p in self.model.parameters():
                    if p.grad is not None:
                        p.grad.mul_(cfg.accumulate / parts)
                self._optimizer_step()
                self._fold_average()
            logs = self._epoch_logs(time.perf_counter() - t0)
            if val_loader is not None:
                with self._averaged():
                    val = {f"val_{k}": v for k, v in self._evaluate(val_loader).items()}
                self.callbacks.call("on_validation_end", self, self.epoch, val)
                logs.update(val)
            if inside:
                stop_inside_epoch(self, logs, stopped)
            else:
                end_epoch(self, logs)

    def _fold_average(self) -> None:
        """Folds the weights into the average when an optimiser step was taken since the last fold."""
        if self._ema_due and self.ema is not None:
            self.ema.update(self.model)
            self._ema_due = False

    def _averaged(self) -> contextlib.AbstractContextManager[Any]:
        """The weight average swapped into the model (``ema_decay`` > 0), else nothing."""
        return self.ema.swapped(self.model) if self.ema is not None else contextlib.nullcontext()

    # ------------------------------------------------------------------------------------------- steps
    def _train_batch(self, batch: Any) -> None:
        cfg, task = self.config, self.task
        batch = move_batch(batch, self.device, floating_dtype(self.model))  # page-locked first for CUDA
        idx = self.batch_in_epoch
        self.callbacks.call("on_batch_start", self, idx, batch)
        chunks = batch_chunks(task, batch, cfg.tbptt_steps, skip_past_end=True)
        if not cfg.tbptt_carry:
            self.stream_state = None
        norm, stepped = float("nan"), False
        for chunk in chunks:
            self.micro += 1
            at_boundary = window_parts(self) == 0
            sync = contextlib.nullcontext()
            if not at_boundary and isinstance(self._net, DistributedDataParallel):
                sync = self._net.no_sync()  # type: ignore[assignment]
            self._unsynced = not at_boundary and self.env.enabled
            with sync:
                with autocast(self.device, cfg.precision):
                    outputs = self._stateful_forward(self._net, chunk)
                    loss = check_loss(task.loss(outputs, chunk))
                boundary.before_backward(self, at_boundary)  # torchrun: agreed before DDP's all-reduce
                scaled = loss / cfg.accumulate if cfg.accumulate > 1 else loss
                (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
            if task.stateful:
                self.stream_state = task.detach_state(self.stream_state)
            self.figures.loss(loss, task.batch_size(chunk), self.epoch, self.step)  # read with the step's
            if at_boundary:
                norm = self._optimizer_step()
            stepped = at_boundary
        self.batch_in_epoch += 1
        self.figures.end_batch()
        if self._batch_calls:
            self.callbacks.call("on_batch_end", self, idx, self._batch_end_logs(batch, norm))
        self._fold_average()  # the weights as the batch left them, callbacks (a pruner's masks) included
        every = cfg.checkpoint_every
        if every and window_parts(self) == 0 and self.step % every == 0 and self.step > 0:
            checkpoint_step(self)  # under torchrun agreed before and after: stands for the check after
        elif stepped and self.env.enabled:  # the step's check (boundary.step_check) may stand for it
            self.batch_agreed = boundary.after_step_agreed(self)

    def _batch_end_logs(self, batch: Any, norm: float) -> dict[str, float]:
        """``on_batch_end``'s logs: the batch's figures read now when a callback needs them, else only when
        that reads nothing from the device (they were read with the step): ``Callback.needs_batch_figures``."""
        logs = {
            "batch_size": float(self.task.batch_size(batch)),
            "lr": float(self.optimizer.param_groups[0]["lr"]),
        }
        if self._batch_logs or self.figures.read_free():
            self.figures.settle(self)
            loss_sum, count = self.figures.last_batch
            logs["loss"] = loss_sum / count if count else float("nan")
            logs["train_loss"] = self.sums[0] / self.sums[1] if self.sums[1] else float("nan")
            if self._batch_logs:  # with deferred reads (no callback needs it), a norm not read yet
                logs["grad_norm"] = norm
        return logs

    def _nonfinite(self, what: str, epoch: int, step: int) -> None:
        """A non-finite figure: raises with ``"stop"`` in one process; else marks the window bad (under
        torchrun the ranks agree at the step before any stops or skips: :meth:`_stop_agreed`)."""
        if self.config.nonfinite == "stop" and not self.env.enabled:
            raise _stop_error(what, epoch, step)
        if self._stop_reason is None:
            self._stop_reason = (epoch, step, what)
        self._window_bad = True

    def _stop_agreed(self, norm: float) -> None:
        """Raises the :class:`NonFiniteLossError` of a step the ranks agreed is bad, the same on every rank:
        the first non-finite figure of any rank (a loss before the norm it made), naming that rank."""
        if not self.env.enabled:  # one process: a non-finite loss raised when read, so the norm is the cause
            raise _stop_error(f"gradient norm is {norm}", self.epoch, self.step)
        mine = self._stop_reason
        if mine is None and not math.isfinite(norm):
            mine = (self.epoch, self.step, f"gradient norm is {norm}")
        reasons = dist_utils.all_gather_objects(mine)  # a collective: every rank is here, on this step
        rank, (epoch, step, what) = min(
            ((r, x) for r, x in enumerate(reasons) if x is not None),
            key=lambda rx: (rx[1][0], rx[1][1], not rx[1][2].startswith("loss"), rx[0]),
        )
        raise _stop_error(f"{what} on rank {rank}", epoch, step)

    def _optimizer_step(self) -> float:
        cfg, opt = self.config, self.optimizer
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if self._unsynced:  # an epoch ended inside an accumulation window run under no_sync
            dist_utils.average_gradients(params)
            self._unsynced = False
        if self.scaler is not None:
            self.scaler.unscale_(opt)
        if cfg.grad_clip_value is not None:
            torch.nn.utils.clip_grad_value_(params, cfg.grad_clip_value)
        max_norm = cfg.grad_clip_norm if cfg.grad_clip_norm is not None else float("inf")
        norm_t = torch.nn.utils.clip_grad_norm_(params, max_norm) if params else None
        if self._defer and norm_t is not None:  # "stop": the step goes ahead, its figures read later
            self.figures.norm(norm_t, self.epoch, self.step)
            self._take_step(opt)
            return self._stepped(norm=math.nan, bad=False)
        norm = self.figures.settle(self, norm_t)  # the window's losses and the norm, in one read
        norm = 0.0 if norm is None else norm
        window_bad, norm_bad = self._window_bad, not math.isfinite(norm)
        if self.env.enabled:  # every rank skips, or stops, together: in the ranks' check (a failure too)
            window_bad, norm_bad = boundary.step_check(self, window_bad, norm_bad)
        bad = window_bad or norm_bad
        scaler_overflow = self.scaler is not None and not window_bad and norm_bad
        if bad and not scaler_overflow:
            if cfg.nonfinite == "stop":
                self._stop_agreed(norm)
            self.skipped += 1
            if self.skipped <= _LOGGED_SKIPS:  # a diverged run skips most steps: a few lines, not hundreds
                last = (
                    "; later skips are counted (skipped_steps), not logged"
                    if self.skipped == _LOGGED_SKIPS
                    else ""
                )
                logger.warning(
                    "skipped step %d: non-finite loss or gradient (norm %s)%s", self.step, norm, last
                )
            if self.scaler is not None:
                self.scaler.update()
        else:
            self._take_step(opt)
        if not bad:
            self.sums[2] += norm
            self.sums[3] += 1
        return self._stepped(norm, bad)

    def _stepped(self, norm: float, bad: bool) -> float:
        """The bookkeeping after an optimiser step, taken or skipped (``bad``); returns ``norm``."""
        self.optimizer.zero_grad(set_to_none=True)
        self._window_bad, self._stop_reason = False, None
        self.step += 1
        if not bad:
            self._ema_due = self.ema is not None  # updated after on_batch_end (a pruner re-masks there)
        sched = self.scheduler
        per_step = sched is not None and self.config.scheduler.lower() in SCHEDULER_PER_STEP
        if per_step and sched.last_epoch < getattr(sched, "total_steps", math.inf) - 1:
            sched.step()
        if self._defer and self.step % max(1, self.config.log_every) == 0:  # 0 as the progress bar takes it
            self.figures.settle(self)  # a non-finite figure found at most log_every - 1 steps late
        return norm

    def _take_step(self, opt: torch.optim.Optimizer) -> None:
        """The optimiser step, through the GradScaler for fp16; a step too large for the weights' float type
        (a learning rate near its largest value: PyTorch refuses it) raises :class:`StepOverflowError`."""
        try:
            if self.scaler is not None:
                self.scaler.step(opt)  # skips the update itself on a gradient overflow, then lowers the scale
                self.scaler.update()
            else:
                opt.step()
        except RuntimeError as exc:
            if "overflow" not in str(exc):
                raise
            self.figures.settle(self)  # an earlier non-finite figure, found late, is the first failure
            dtype = str(floating_dtype(self.model)).removeprefix("torch.")
            what = f"optimiser step {self.step + 1} overflowed the {dtype} weights"
            raise StepOverflowError(self.result(), what, float(opt.param_groups[0]["lr"])) from exc

    def _epoch_logs(self, seconds: float) -> dict[str, float]:
        self.figures.settle(self)
        loss_sum, count, norm_sum, norm_n = dist_utils.all_reduce_sum(self.sums, self.device)
        return {
            "epoch": float(self.epoch + 1),
            "train_loss": loss_sum / count if count else float("nan"),
            "grad_norm": norm_sum / norm_n if norm_n else float("nan"),
            "lr": float(self.optimizer.param_groups[0]["lr"]),
            "skipped_steps": float(self.skipped),
            "epoch_time": seconds,
        }

    # -------------------------------------------------------------------------------- evaluate/predict
    def evaluate(self, loader: Any) -> dict[str, float]:
        """Computes the mean loss and every task metric over ``loader`` (sharded and reduced across
        ranks under torchrun).

        Returns:
            ``{"loss": ..., <metric name>: ...}``.

        Raises:
            DataError: ``loader`` is no iterable of batches (None, a tensor, a path...).
        """
        check_loader(loader, "Trainer.evaluate(loader)")
        self._setup_distributed()
        return self._evaluate(dist_utils.shard_loader(loader, self.env, self.config.seed, evaluation=True))

    def _evaluate(self, loader: Any) -> dict[str, float]:
        cfg = self.config
        return evaluate_loop(
            self.model, self.task, loader, self.device, cfg.precision, cfg.tbptt_steps, cfg.tbptt_carry
        )

    def predict(self, loader: Any) -> list[Any]:
        """Runs ``task.forward`` on every batch (no gradients, eval mode).

        Returns:
            One entry per batch: the task's outputs, detached and on the CPU (chunk outputs of stateful
            tasks joined along time by :meth:`Task.join`). Not sharded: every rank predicts everything.

        Raises:
            DataError: ``loader`` is no iterable of batches (a tensor: use :func:`predict`).
        """
        check_loader(loader, "Trainer.predict(loader)")
        cfg = self.config
        return predict_loop(
            self.model, self.task, loader, self.device, cfg.precision, cfg.tbptt_steps, cfg.tbptt_carry
        )


def _stop_error(what: str, epoch: int, step: int) -> NonFiniteLossError:
    return NonFiniteLossError(
        f"{what} at epoch {epoch + 1}, step {step}; lower the learning rate, check the inputs for NaN/inf, "
        "or set nonfinite='skip' to skip such steps"
    )
