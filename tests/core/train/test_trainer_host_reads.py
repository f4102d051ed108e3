"""The Trainer's host reads per optimiser step (each one a wait for the GPU). On main every step read its
loss (``float(loss)``, once per micro-batch) and its gradient norm (``float(clip_grad_norm_(...))``): two
reads a step, ``accumulate + 1`` with gradient accumulation. The figures now stay on the device until
they are needed (``carrousel.core.train.figures``): one read a step where the step depends on them
(``nonfinite="skip"``) or a callback reads the batch's figures, and one per ``log_every`` steps otherwise
(``nonfinite="stop"``: a non-finite figure is then found up to ``log_every - 1`` steps late, the error
naming the step where it happened). Every figure, and the weights, are bit for bit what a loop reading
each value at once gives (the loop below is main's step, written out). Reads are counted on the CPU with
the loss and the norm marked as on the device (tests/host_reads.py)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import Tensor, nn
from train_helpers import RegressionTask, linear_data, mlp, timeless

from carrousel.core.errors import NonFiniteLossError
from carrousel.core.train import Callback, ProgressBar, TrainConfig, Trainer, build_optimizer, set_seed
from tests.host_reads import host_reads, on_device
from tests.state_dicts import same_state

CFG = TrainConfig(epochs=3, lr=1e-2, progress=False, device="cpu", grad_clip_norm=0.5, log_every=5)
X, Y = linear_data(200)
BATCHES = [(X[i : i + 16], Y[i : i + 16]) for i in range(0, 200, 16)]  # 13 batches, the last of 8 rows


class MarkedTask(RegressionTask):
    """Its loss marked as lying on the device; with ``nan_at``, a NaN loss at those calls (from 1), and
    with ``nan_grad_at`` a finite loss whose gradient is NaN."""

    def __init__(self, nan_at: tuple[int, ...] = (), nan_grad_at: tuple[int, ...] = ()) -> None:
        self.nan_at, self.nan_grad_at, self.calls = nan_at, nan_grad_at, 0

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        self.model = model
        return super().forward(model, batch)

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        self.calls += 1
        loss = super().loss(outputs, batch)
        if self.calls in self.nan_at:
            loss = loss * math.nan
        if self.calls in self.nan_grad_at:  # d sqrt(|0 w|) / dw = inf * 0: NaN, the value 0
            weight = next(self.model.parameters())
            loss = loss + (weight * 0.0).abs().sqrt().sum()
        return on_device(loss)


@pytest.fixture
def marked_norms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``clip_grad_norm_``'s total norm marked as lying on the device."""
    clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda *a, **k: on_device(clip(*a, **k)))
    yield


class BatchFigures(Callback):
    """Reads every batch's figures, as the progress bar does."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float]] = []

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        self.seen.append((logs["loss"], logs["grad_norm"]))


def _fit(task: RegressionTask, cfg: TrainConfig, callbacks: list[Callback] | None = None) -> Any:
    model = mlp(dropout=0.1)
    trainer = Trainer(model, task, cfg, callbacks)
    with host_reads() as reads:
        result = trainer.fit(BATCHES)
    history = timeless(result.history)
    return history, model.state_dict(), reads, result.steps


def _mains_loop(cfg: TrainConfig) -> tuple[list[dict[str, float]], dict[str, Tensor], list[list[float]]]:
    """Main's training step, each figure read at once: the epochs' figures, the weights, the batch logs."""
    model = mlp(dropout=0.1)
    opt = build_optimizer(model, cfg)
    set_seed(cfg.seed)
    history, batch_logs = [], []
    for epoch in range(cfg.epochs):
        sums = [0.0, 0.0, 0.0, 0.0]
        for x, y in BATCHES:
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            value, n = float(loss.detach()), len(x)
            params = [p for group in opt.param_groups for p in group["params"]]  # the trainer's order
            norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip_norm))
            opt.step()
            opt.zero_grad(set_to_none=True)
            sums[0], sums[1] = sums[0] + (0.0 + value * n), sums[1] + n
            sums[2], sums[3] = sums[2] + norm, sums[3] + 1
            batch_logs.append([value * n / n, norm])
        history.append(
            {"epoch": epoch + 1.0, "train_loss": sums[0] / sums[1], "grad_norm": sums[2] / sums[3]}
        )
        history[-1].update({"lr": cfg.lr, "skipped_steps": 0.0})
    return history, model.state_dict(), batch_logs


@pytest.mark.usefixtures("marked_norms")
@pytest.mark.parametrize("nonfinite", ["skip", "stop"])
@pytest.mark.parametrize("batch_logs", [False, True])
def test_figures_and_weights_are_mains_to_the_bit_with_fewer_reads(nonfinite: str, batch_logs: bool) -> None:
    cfg = dataclasses.replace(CFG, nonfinite=nonfinite)
    figures = BatchFigures()
    history, weights, reads, steps = _fit(MarkedTask(), cfg, [figures] if batch_logs else None)
    want_history, want_weights, want_logs = _mains_loop(cfg)
    assert history == want_history
    assert same_state(weights, want_weights)
    assert steps == 39
    if batch_logs:
        assert [list(f) for f in figures.seen] == want_logs
    if nonfinite == "skip" or batch_logs:
        assert len(reads) == steps  # main: 2 a step
    else:
        assert len(reads) == 39 // 5 + 3  # every log_every steps, and the 3 epochs' ends


@pytest.mark.usefixtures("marked_norms")
def test_accumulated_micro_batches_are_read_with_their_step() -> None:
    cfg = dataclasses.replace(CFG, accumulate=3)
    history, _, reads, steps = _fit(MarkedTask(), cfg)
    assert steps == 15 and len(reads) == steps  # main: 13 + 5 a epoch
    history_stop, _, stop_reads, _ = _fit(MarkedTask(), dataclasses.replace(cfg, nonfinite="stop"))
    assert history_stop == history and len(stop_reads) == 3  # steps 5, 10, 15: each an epoch's last


@pytest.mark.parametrize(
    ("task", "what", "step"),
    [
        (lambda: MarkedTask(nan_at=(5,)), "loss is nan", 4),
        (lambda: MarkedTask(nan_grad_at=(17,)), "gradient norm is nan", 16),
    ],
)
@pytest.mark.parametrize("batch_logs", [False, True])
def test_the_nonfinite_stop_names_the_step_where_it_happened(
    task: Any, what: str, step: int, batch_logs: bool
) -> None:
    """Read every step (a callback reads the batch's figures), the stop comes at that step, as on main;
    read every ``log_every`` (5) steps, up to 4 steps later, with the same message."""
    cfg = dataclasses.replace(CFG, nonfinite="stop")
    trainer = Trainer(mlp(dropout=0.1), task(), cfg, [BatchFigures()] if batch_logs else None)
    epoch = step // 13 + 1
    with pytest.raises(
        NonFiniteLossError, match=rf"^{what} at epoch {epoch}, step {step}; lower the learning"
    ):
        trainer.fit(BATCHES)
    assert trainer.step == (step if batch_logs else (step // 5 + 1) * 5)


def test_a_checkpoint_is_never_written_past_an_unread_nonfinite_figure(tmp_path: Any) -> None:
    cfg = dataclasses.replace(
        CFG, nonfinite="stop", checkpoint_dir=str(tmp_path), checkpoint_every=3, log_every=10
    )
    trainer = Trainer(mlp(dropout=0.1), MarkedTask(nan_at=(5,)), cfg)
    with pytest.raises(NonFiniteLossError, match=r"^loss is nan at epoch 1, step 4;"):
        trainer.fit(BATCHES)
    assert trainer.step == 6  # found by the checkpoint at step 6, which was not written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-0000-000000003.pt"]


class SigmoidBCETask(RegressionTask):
    """Probabilities and ``binary_cross_entropy``, which refuses a NaN probability (RuntimeError) as many
    losses and a task's own checks do; a NaN loss at call ``nan_at`` (its gradient NaN: the step after it
    has NaN weights, so NaN probabilities)."""

    def __init__(self, nan_at: int) -> None:
        self.nan_at, self.calls = nan_at, 0

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        return torch.sigmoid(model(batch[0]))

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        self.calls += 1
        loss = nn.functional.binary_cross_entropy(outputs, (batch[1] > 0).to(outputs.dtype))
        return loss * math.nan if self.calls == self.nan_at else loss


def test_a_late_read_nonfinite_figure_is_the_error_not_what_the_nan_weights_broke_next() -> None:
    """Read every ``log_every`` steps, the NaN step is taken and the next forward's NaN probabilities make
    ``binary_cross_entropy`` raise a RuntimeError before the figures are read: the fit raises the
    NonFiniteLossError of the step where it happened, that RuntimeError its cause (merged main: the
    RuntimeError 'all elements of input should be between 0 and 1', no word of a NaN)."""
    cfg = dataclasses.replace(CFG, nonfinite="stop")
    trainer = Trainer(mlp(dropout=0.1), SigmoidBCETask(nan_at=2), cfg)
    with pytest.raises(NonFiniteLossError, match=r"^loss is nan at epoch 1, step 1; lower the") as caught:
        trainer.fit(BATCHES)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert trainer.step == 2  # the NaN step was taken (the deferred read), the next one failed


@pytest.mark.parametrize("log_every", [0, -1])
def test_a_log_every_below_one_reads_every_step_as_the_progress_bar_takes_it(log_every: int) -> None:
    """TrainConfig takes ``log_every=0`` (the progress bar reads it as 1, as it did on main); the deferred
    reads took ``step % log_every``: merged main raised ZeroDivisionError after the first step of a
    ``nonfinite="stop"`` fit without a progress bar. Now read every step: the history as with 1."""
    cfg = dataclasses.replace(CFG, nonfinite="stop", log_every=log_every)
    history, weights, _, steps = _fit(MarkedTask(), cfg)
    want_history, want_weights, _ = _mains_loop(cfg)
    assert history == want_history and steps == 39
    assert same_state(weights, want_weights)


@pytest.mark.usefixtures("marked_norms")
@pytest.mark.parametrize(
    ("nonfinite", "accumulate", "want_reads"),
    [("stop", 1, 39 // 5 + 3), ("skip", 3, 15), ("skip", 1, 39)],
)
def test_the_progress_bar_makes_no_read_of_its_own(nonfinite: str, accumulate: int, want_reads: int) -> None:
    """The default progress bar read every batch's figures (main: 39 reads with ``"stop"``, 42 with
    ``accumulate=3``); it now shows the loss when the trainer reads it anyway: every ``log_every`` (5) steps
    with ``"stop"``, every optimiser step with ``"skip"`` (the last case, 39 reads on main too). The loss
    shown is the epoch's mean so far, ``train_loss`` at its end (main: the unweighted mean of the batches'
    means, another figure: the last case fails on main there); the history and weights are main's to the
    bit."""
    cfg = dataclasses.replace(CFG, nonfinite=nonfinite, progress=True, accumulate=accumulate)
    model = mlp(dropout=0.1)
    trainer = Trainer(model, MarkedTask(), cfg)
    with host_reads() as reads:
        result = trainer.fit(BATCHES)
    assert len(reads) == want_reads
    bar = next(cb for cb in trainer.callbacks.callbacks if isinstance(cb, ProgressBar))
    last = result.history[-1]["train_loss"]
    if (nonfinite, accumulate) == ("skip", 1):  # read at every batch's step: the last shows the epoch's
        assert bar.last_postfix["loss"] == f"{last:.4g}"
    else:  # read at step 35, the epoch's 9th batch; the last window's 12 batches, the 13th read after
        assert 0 < float(bar.last_postfix["loss"]) < 2 * last
    if accumulate == 1:
        want_history, want_weights, _ = _mains_loop(cfg)
        history = timeless(result.history)
        assert history == want_history
        assert same_state(model.state_dict(), want_weights)


@pytest.mark.usefixtures("marked_norms")
def test_the_pruner_makes_no_read_either() -> None:
    """``PruneCallback`` re-masks the weights after each batch and reads no figure: main read every batch's
    for it (39 reads with ``"stop"``); now the deferred reads stay deferred."""
    from carrousel.core.prune import MagnitudePruner, PruneCallback

    cfg = dataclasses.replace(CFG, nonfinite="stop")
    model = mlp(dropout=0.1)
    pruner = MagnitudePruner(model, 0.5)
    with host_reads() as reads:
        Trainer(model, MarkedTask(), cfg, [PruneCallback(pruner)]).fit(BATCHES)
    assert len(reads) == 39 // 5 + 3
