"""Optimisers and schedules by name."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import ConfigError
from carrousel.core.train import TrainConfig, build_optimizer, build_scheduler
from carrousel.core.train.optim import param_groups


def test_weight_decay_skips_biases_and_norms() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    groups = param_groups(model, 0.1)
    assert [len(g["params"]) for g in groups] == [1, 3] and groups[1]["weight_decay"] == 0.0


@pytest.mark.parametrize(
    ("name", "cls"), [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)]
)
def test_optimizers_by_name(name: str, cls: type) -> None:
    opt = build_optimizer(torch.nn.Linear(2, 2), TrainConfig(optimizer=name, lr=0.1))
    assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.1


def test_onecycle_peaks_at_lr_and_needs_a_length() -> None:
    model = torch.nn.Linear(2, 2)
    cfg = TrainConfig(scheduler="onecycle", lr=0.1, epochs=2, warmup_pct=0.5)
    opt = build_optimizer(model, cfg)
    sched = build_scheduler(opt, cfg, steps_per_epoch=10)
    lrs = []
    for _ in range(19):  # 20 optimiser steps use schedule points 0..19
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert max(lrs) == pytest.approx(0.1, rel=0.02) and lrs[-1] < 1e-3
    with pytest.raises(ConfigError, match="max_steps"):
        build_scheduler(opt, cfg, steps_per_epoch=None)


def test_frozen_model_is_a_clear_error() -> None:
    model = torch.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ConfigError, match="no trainable parameters"):
        build_optimizer(model, TrainConfig())
