"""Warm-started refits of the walk-forward backtest (``[backtest] warm_refit_epochs``): a refit after the first
starts from the previous refit's weights and trains fewer epochs; the first refit is the one without it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

import carrousel.finance.backtest as backtest_mod
import carrousel.finance.training as training_mod
from carrousel.core.errors import ConfigError
from carrousel.finance.backtest import backtest_refits
from carrousel.finance.config import FinanceConfig, load_config
from carrousel.finance.data import load_histories
from carrousel.finance.features import SeriesData, build_series
from carrousel.finance.training import fit_at
from tests.state_dicts import same_state, state_copy


def _setup(tiny_config: Callable[..., FinanceConfig], warm: int) -> tuple[list[SeriesData], FinanceConfig]:
    cfg = tiny_config()
    cfg = replace(cfg, backtest=replace(cfg.backtest, warm_refit_epochs=warm, test_days=60, refit_every=20))
    history = load_histories(cfg.data)[0]
    return [build_series("AAPL", history.frame, cfg.window.indicators)], cfg


def test_a_warm_fit_starts_from_the_given_weights(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    series, cfg = _setup(tiny_config, 0)
    cut = {"AAPL": len(series[0].close) - 100}
    first = fit_at(series, cut, cfg)
    started: list[dict[str, torch.Tensor]] = []
    real = training_mod.fit_forecaster

    def spy(model: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
        started.append(state_copy(model))  # the member's weights as its training begins
        return real(model, *args, **kwargs)

    monkeypatch.setattr(training_mod, "fit_forecaster", spy)
    warm = fit_at(series, {"AAPL": cut["AAPL"] + 20}, cfg, init=first.model)
    assert len(started) == cfg.model.members == 2
    for i, member in enumerate(first.model.members):
        assert same_state(started[i], member.state_dict())  # where the previous fit's member i ended
    first0, warm0 = first.model.members[0].state_dict(), warm.model.members[0].state_dict()
    assert not same_state(warm0, first0)  # and trains on
    started.clear()
    fit_at(series, {"AAPL": cut["AAPL"] + 20}, cfg)  # without init: fresh weights
    assert not same_state(started[0], first.model.members[0].state_dict())


def test_a_warm_start_refuses_another_ensemble(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    series, cfg = _setup(tiny_config, 0)
    cut = {"AAPL": len(series[0].close) - 100}
    one = fit_at(series, cut, replace(cfg, model=replace(cfg.model, members=1)))
    with pytest.raises(ValueError, match="warm start needs an ensemble of 2 member"):
        fit_at(series, cut, cfg, init=one.model)


def test_backtest_refits_warm_start_every_refit_after_the_first(
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    series, cfg = _setup(tiny_config, 1)
    calls: list[tuple[int, Any]] = []
    real = backtest_mod.fit_at

    def spy(series_list: Any, cuts: Any, c: FinanceConfig, *args: Any, **kwargs: Any) -> Any:
        calls.append((c.train.epochs, kwargs.get("init")))
        return real(series_list, cuts, c, *args, **kwargs)

    monkeypatch.setattr(backtest_mod, "fit_at", spy)
    with caplog.at_level(logging.INFO, logger="carrousel"):
        refits = backtest_refits(series, cfg)
    assert len(refits) == 3
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("backtest block ")]
    assert [m.split(": ", 1)[1] for m in said] == ["refitting"] + ["refitting warm (1 epoch(s))"] * 2
    assert [m.split(" from ")[0] for m in said] == [f"backtest block {b}/3" for b in (1, 2, 3)]
    assert calls[0] == (cfg.train.epochs, None)  # the first refit: from scratch, all epochs
    for b in (1, 2):  # the others: from the refit before, warm_refit_epochs epochs
        assert calls[b][0] == 1 and calls[b][1] is refits[b - 1].fitted.model
        assert [len(h) for h in refits[b].fitted.histories] == [1, 1]


def test_warm_refits_are_deterministic_and_leave_the_first_refit_unchanged(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    series, cold_cfg = _setup(tiny_config, 0)
    _, warm_cfg = _setup(tiny_config, 1)
    cold = backtest_refits(series, cold_cfg)
    warm, again = backtest_refits(series, warm_cfg), backtest_refits(series, warm_cfg)
    # first refit: as before
    assert same_state(warm[0].fitted.model.state_dict(), cold[0].fitted.model.state_dict())
    for a, b in zip(warm, again, strict=True):  # the same weights on a second run
        assert same_state(a.fitted.model.state_dict(), b.fitted.model.state_dict())
    assert not same_state(warm[1].fitted.model.state_dict(), cold[1].fitted.model.state_dict())


def test_warm_refit_epochs_from_a_config_file_and_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("[backtest]\nwarm_refit_epochs = 3\n")
    assert load_config(path).backtest.warm_refit_epochs == 3
    assert FinanceConfig().backtest.warm_refit_epochs == 0  # opt-in: every refit from scratch
    path.write_text("[backtest]\nwarm_refit_epochs = -1\n")
    with pytest.raises(
        ConfigError, match=r"warm_refit_epochs=-1 must be in \[0, 10000\], e.g. 3 \(0 = off\)"
    ):
        load_config(path)
