"""LR finder: exponential sweep, suggestion at the steepest descent, weights restored."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.train import LRFinderResult, TrainConfig, find_lr, suggest_lr
from tests.host_reads import host_reads, on_device


def test_suggest_lr_picks_steepest_descent() -> None:
    lrs = [10 ** (-6 + 0.1 * i) for i in range(60)]
    # a loss that drops fastest at lr = 1e-3 (a logistic in log10 lr), then diverges
    losses = [
        1 / (1 + math.exp(4 * (math.log10(lr) + 3))) + (5.0 if i > 56 else 0.0) for i, lr in enumerate(lrs)
    ]
    assert math.isclose(math.log10(suggest_lr(lrs, losses)), -3, abs_tol=0.11)
    assert math.isnan(suggest_lr(lrs[:5], losses[:5]))


def test_find_lr_sweeps_suggests_a_working_rate_and_restores_weights() -> None:
    x, y = linear_data(512)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    model = mlp(dropout=0.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = TrainConfig(optimizer="sgd", momentum=0.0, grad_clip_norm=None, device="cpu")
    result = find_lr(model, RegressionTask(), loader, cfg, start_lr=1e-5, end_lr=100.0, num_steps=120)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert result.lrs[1] / result.lrs[0] == result.lrs[2] / result.lrs[1] or math.isclose(
        result.lrs[1] / result.lrs[0], result.lrs[2] / result.lrs[1]
    )
    assert len(result.lrs) < 120  # the sweep stopped when the loss diverged
    assert 1e-3 < result.suggestion < 5.0, result.suggestion
    # the suggested rate trains: SGD at that rate lowers the loss more than at 1/100 of it
    from carrousel.core.train import Trainer

    def trained_loss(lr: float) -> float:
        m = mlp(dropout=0.0)
        cfg_lr = TrainConfig(epochs=2, lr=lr, optimizer="sgd", momentum=0.0, progress=False, device="cpu")
        return Trainer(m, RegressionTask(), cfg_lr).fit(loader).history[-1]["train_loss"]

    assert trained_loss(result.suggestion) < trained_loss(result.suggestion / 100)


class MarkedTask(RegressionTask):
    """Its loss marked as lying on the device (reads counted); NaN at call ``nan_at`` (from 1), after
    which the NaN weights make ``binary_cross_entropy`` raise, as many losses would."""

    def __init__(self, nan_at: int = 0, bce: bool = False) -> None:
        self.nan_at, self.bce, self.calls = nan_at, bce, 0

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        out = model(batch[0])
        return torch.sigmoid(out) if self.bce else out

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        self.calls += 1
        if self.bce:
            loss = nn.functional.binary_cross_entropy(outputs, (batch[1] > 0).to(outputs.dtype))
        else:
            loss = super().loss(outputs, batch)
        return on_device(loss * math.nan if self.calls == self.nan_at else loss)


def _sweep(every: int, task: MarkedTask, num_steps: int = 120) -> tuple[LRFinderResult, int]:
    x, y = linear_data(512)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    cfg = TrainConfig(optimizer="sgd", momentum=0.0, grad_clip_norm=None, device="cpu", log_every=every)
    with host_reads() as reads:
        result = find_lr(
            mlp(dropout=0.0), task, loader, cfg, start_lr=1e-5, end_lr=100.0, num_steps=num_steps
        )
    return result, len(reads)


def test_find_lr_reads_the_losses_every_log_every_steps_with_the_same_result() -> None:
    """Main read each step's loss (a wait for the GPU a step: 1 read a step whatever ``log_every``); now
    every ``log_every`` (10) steps, the sweep judged as before: the same rates, losses and suggestion,
    its divergence found up to 9 steps later (those steps dropped)."""
    each, each_reads = _sweep(1, MarkedTask())
    grouped, grouped_reads = _sweep(10, MarkedTask())
    assert grouped == each and 20 < len(each.lrs) < 120 and math.isfinite(each.suggestion)
    assert each_reads == len(each.lrs)  # the diverged step is the last one kept
    assert grouped_reads == math.ceil(each_reads / 10)


@pytest.mark.parametrize("bce", [False, True])
def test_find_lr_stops_at_a_nan_loss_read_late_even_when_a_later_step_fails(bce: bool) -> None:
    """A NaN loss at step 5: the sweep ends with the 4 steps before it. Read every 10 steps, the steps after
    it run on NaN weights; with ``binary_cross_entropy`` the next one raises (NaN probabilities): the sweep
    still ends at the NaN, that error dropped (a guard: main read step 5 at once and stopped there)."""
    each, _ = _sweep(1, MarkedTask(nan_at=5, bce=bce), num_steps=30)
    grouped, _ = _sweep(10, MarkedTask(nan_at=5, bce=bce), num_steps=30)
    assert len(each.lrs) == 4 and each.lrs == grouped.lrs and each.raw_losses == grouped.raw_losses


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (
            dict(smoothing=1.0),
            r"smoothing in \[0, 1\) and diverge > 1, got 1\.0 and 4\.0",
        ),  # ZeroDivisionError
        (dict(smoothing=-1.0), r"smoothing in \[0, 1\) and diverge > 1, got -1\.0"),  # ZeroDivisionError
        (dict(diverge=0.0), r"diverge > 1, got 0\.98 and 0\.0"),  # stopped after one step: no suggestion
        (dict(end_lr=math.inf), r"0 < start_lr < end_lr < inf"),  # swept to lr=inf
        (dict(config={"lr": 1.0}), r"config must be a TrainConfig, got a dict"),
    ],
)
def test_find_lr_refuses_settings_that_break_the_sweep(kwargs: dict[str, Any], needle: str) -> None:
    from carrousel.core.errors import ConfigError

    x, y = linear_data(64)
    with pytest.raises(ConfigError, match=needle):
        find_lr(
            mlp(), RegressionTask(), DataLoader(TensorDataset(x, y), batch_size=16), num_steps=20, **kwargs
        )


def test_find_lr_over_an_empty_loader_is_a_data_error() -> None:
    """An empty loader returned a sweep of no rates and a suggestion of nan, without a word."""
    from carrousel.core.errors import DataError

    with pytest.raises(DataError, match="find_lr: the loader yielded no batches"):
        find_lr(mlp(), RegressionTask(), [], num_steps=10)
