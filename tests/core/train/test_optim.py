"""Optimisers and schedules by name."""

from __future__ import annotations

from dataclasses import replace

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


def test_lr_scales_put_named_parameters_in_groups_of_their_own() -> None:
    """``TrainConfig.lr_scales``: the parameters under a name prefix learn at lr * factor (their own
    decayed / non-decayed groups, after the unscaled ones); a plateau decay keeps the ratio; onecycle peaks
    each group at its own lr; factor 1 leaves the groups as without it."""
    model = torch.nn.Sequential(torch.nn.Embedding(5, 3), torch.nn.Linear(3, 2))
    cfg = TrainConfig(lr=0.1, lr_scales=(("0.", 0.1),), scheduler="plateau", gamma=0.5, step_size=5)
    opt = build_optimizer(model, cfg)
    assert [(len(g["params"]), g["lr"]) for g in opt.param_groups] == [
        (1, 0.1),
        (1, 0.1),
        (1, pytest.approx(0.01)),
    ]
    assert opt.param_groups[2]["params"][0] is model[0].weight
    sched = build_scheduler(opt, cfg, steps_per_epoch=None)
    for loss in (1.0, 1.0, 1.0, 1.0):  # no improvement: the plateau halves every group
        sched.step(loss)
    assert opt.param_groups[2]["lr"] / opt.param_groups[0]["lr"] == pytest.approx(0.1)
    cycle = replace(cfg, scheduler="onecycle", epochs=2, warmup_pct=0.5)
    opt = build_optimizer(model, cycle)
    sched = build_scheduler(opt, cycle, steps_per_epoch=10)
    peaks = [0.0, 0.0]
    for _ in range(19):
        opt.step()
        sched.step()
        peaks = [max(peaks[0], opt.param_groups[0]["lr"]), max(peaks[1], opt.param_groups[2]["lr"])]
    assert peaks == [pytest.approx(0.1, rel=0.02), pytest.approx(0.01, rel=0.02)]
    plain = [len(g["params"]) for g in param_groups(model, 0.0)]
    assert [len(g["params"]) for g in param_groups(model, 0.0, (("0.", 1.0),))] == plain == [2, 1]


@pytest.mark.parametrize(
    ("scales", "match"),
    [((("0.", 0.0),), "must be a number > 0"), ((("", 0.5),), "pairs"), ((("0.", True),), "pairs")],
)
def test_lr_scales_refuse_bad_pairs(scales: tuple[tuple[str, float], ...], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TrainConfig(lr_scales=scales)


def test_lr_scale_prefix_naming_no_trainable_parameter_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"no trainable parameter's name starts with 'embedding\.'"):
        build_optimizer(torch.nn.Linear(2, 2), TrainConfig(lr_scales=(("embedding.", 0.1),)))


@pytest.mark.parametrize(("max_steps", "want"), [(None, 10), (8, 2), (10, 3), (1000, 10)])
def test_cosine_anneals_over_the_epochs_max_steps_lets_run(max_steps: int | None, want: int) -> None:
    """The cosine schedule annealed over cfg.epochs even where max_steps ended the fit sooner: epochs=10 with
    max_steps=8 at 4 steps an epoch ran 2 epochs at 100% and 98% of the peak rate (the docstring said it
    used steps_per_epoch there); now over the 2 epochs that run (100%, 50%)."""
    model = torch.nn.Linear(3, 1)
    cfg = TrainConfig(epochs=10, max_steps=max_steps, lr=0.1, scheduler="cosine")
    sched = build_scheduler(build_optimizer(model, cfg), cfg, 4)
    assert sched.T_max == want


def test_weight_decay_goes_by_dimensions_and_no_decay_names_exceptions() -> None:
    """The docstring said the decayed group holds "matrices": it holds every parameter of 2 or more
    dimensions, an embedding table and the peephole vectors (stored (3, hidden)) too, which stays the default
    (the trained figures depend on it). ``no_decay`` name patterns take parameters out of it."""
    from carrousel.core.nn.cells import PeepholeLSTMCell

    model = torch.nn.ModuleDict({"embed": torch.nn.Embedding(5, 3), "cell": PeepholeLSTMCell(3, 4)})
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = lambda groups: sorted(names[id(p)] for p in groups[0]["params"])  # noqa: E731
    assert decayed(param_groups(model, 0.1)) == [
        "cell.peephole",
        "cell.weight_hh",
        "cell.weight_ih",
        "embed.weight",
    ]  # the default, unchanged
    groups = param_groups(model, 0.1, no_decay=("*.peephole", "embed.*"))
    assert decayed(groups) == ["cell.weight_hh", "cell.weight_ih"] and groups[0]["weight_decay"] == 0.1
    assert groups[1]["weight_decay"] == 0.0 and len(groups[1]["params"]) == len(names) - 2
    assert decayed(param_groups(model, 0.1, no_decay="*.peephole")) == decayed(  # type: ignore[arg-type]
        param_groups(model, 0.1, no_decay=("*.peephole",))
    )
    scaled = param_groups(model, 0.1, (("embed.", 0.5),), no_decay=("embed.*",))  # with lr_scales: its own
    assert [(len(g["params"]), g["weight_decay"], g.get("lr_scale")) for g in scaled] == [
        (3, 0.1, None),
        (len(names) - 4, 0.0, None),
        (1, 0.0, 0.5),
    ]
    with pytest.raises(ConfigError, match=r"^no_decay: no trainable parameter's name matches 'peephole';"):
        param_groups(model, 0.1, no_decay=("peephole",))  # the full name: cell.peephole
