"""LR finder: exponential sweep, suggestion at the steepest descent, weights restored."""

from __future__ import annotations

import math

import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.train import TrainConfig, find_lr, suggest_lr


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
