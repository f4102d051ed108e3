"""The adaptive conformal (ACI) state of the global model: run over each series' validation windows and its
held-out days, carried in the bundle, continued by a forecast exactly as ACI run without a break (the
``*_aci`` columns of ``Forecaster.predict``); a bundle saved without states still loads and predicts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from carrousel.finance.config import (
    BacktestConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
    for_series,
)
from carrousel.finance.conformal import adaptive_conformal
from carrousel.finance.features import cumulative_targets, valid_origins
from carrousel.finance.frames import Forecaster, frame_series
from carrousel.finance.multiseries import train_global
from carrousel.finance.panel import panel_windows

GAMMA = 0.05  # a large step, so the state moves visibly within a few hundred days


def regime_panel(n: int, rows: int, seed: int = 0) -> pd.DataFrame:
    """``n`` series of AR(1) log returns whose volatility triples for the last third of the rows (a regime
    the training rows did not show: the held-out intervals under-cover until ACI widens them)."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("2012-01-02", periods=rows)
    parts = []
    for i in range(n):
        sigma = rng.uniform(0.005, 0.03) * np.where(np.arange(rows) > 2 * rows // 3, 3.0, 1.0)
        e = rng.standard_normal(rows) * sigma
        r = np.zeros(rows)
        for t in range(1, rows):
            r[t] = 0.3 * r[t - 1] + e[t]
        parts.append(
            pd.DataFrame({"unique_id": f"S{i}", "ds": ds, "y": rng.uniform(10, 200) * np.exp(np.cumsum(r))})
        )
    return pd.concat(parts, ignore_index=True)


def _cfg() -> FinanceConfig:
    return FinanceConfig(
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=2, patience=2),
        backtest=BacktestConfig(auto_baselines=False, aci_gamma=GAMMA),
    )


def test_the_global_state_continued_from_the_bundle_equals_aci_run_without_a_break(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    df, cfg, hold_days = regime_panel(2, 300), _cfg(), 60
    res = train_global(df, cfg, holdout_days=hold_days)
    assert res.to_dict()["aci_series"] == 2 and set(res.bundle.aci) == {"S0", "S1"}
    res.bundle.save(tmp_path / "m")
    model = Forecaster.from_pretrained(tmp_path / "m")
    pred = model.predict(df)
    assert list(pred.columns) == ["unique_id", "ds", "p10", "p50", "p90", "p10_aci", "p90_aci"]

    # the same series without a break: validation windows, the held-out days, the rows after the last target
    _, series = frame_series(df, cfg)
    s, fitted, h = series[0], model.bundle.fitted, cfg.window.horizon
    cut = len(s.close) - 1 - hold_days
    panel = panel_windows(series, {x.ticker: cut for x in series}, for_series(cfg, len(series)))
    first = int(panel.val_origins[panel.names.index(s.ticker)][0])
    origins = valid_origins(s, cfg.window.lookback, h)
    warm, held = origins[(origins >= first) & (origins < cut)], origins[origins >= cut]
    after = valid_origins(s, cfg.window.lookback, h, with_target=False)[-h:]  # no full target yet
    assert held[-1] + 1 == after[0] and model.bundle.aci[s.ticker].last_origin == str(
        s.dates[held[-1]].date()
    )
    parts = [fitted.predict(s, o) for o in (warm, held, after)]  # GARCH fitted per part, as each run does
    actual = cumulative_targets(s, np.concatenate([warm, held, after]), h)  # NaN past the data
    whole = adaptive_conformal(np.concatenate(parts), actual, cfg.model.quantiles, GAMMA)

    # the held-out row is that run's held-out part, and differs from ACI restarted at the cut
    y = actual[len(warm) : len(warm) + len(held)]
    ours = whole[len(warm) : len(warm) + len(held)]
    inside = float(np.mean((y >= ours[..., 0]) & (y <= ours[..., -1])))
    assert res.holdout["S0"]["network_aci"].coverage == pytest.approx(inside)
    restarted = adaptive_conformal(parts[1], y, cfg.model.quantiles, GAMMA)
    assert not np.allclose(ours, restarted)

    # the forecast continues the state: its *_aci columns are the run's last origin, in prices
    mine = pred[pred["unique_id"] == s.ticker]
    close = float(s.close[-1])
    np.testing.assert_allclose(mine["p10_aci"], close * np.exp(whole[-1][:, 0]), rtol=1e-9)
    np.testing.assert_allclose(mine["p90_aci"], close * np.exp(whole[-1][:, -1]), rtol=1e-9)
    assert np.isfinite(pred[["p10_aci", "p90_aci"]].to_numpy()).all()
    # the state moved over hundreds of days at step 0.05: the carried interval is not the network's own
    # (whether it is wider or narrower depends on the trained network, which differs with the BLAS build)
    assert not np.allclose(pred["p90_aci"] - pred["p10_aci"], pred["p90"] - pred["p10"], rtol=1e-3)


def test_fit_on_a_frame_carries_the_state_and_an_old_bundle_still_loads(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    df = regime_panel(3, 260, seed=1)
    model = Forecaster.fit(df, _cfg())  # no held-out days: the state is run over the validation windows
    h = model.horizon
    last_target = df.groupby("unique_id")["ds"].nth(-1 - h)  # the last origin with a full target
    assert {t: s.last_origin for t, s in model.bundle.aci.items()} == {
        str(u): str(d.date()) for u, d in zip(df["unique_id"].unique(), last_target, strict=True)
    }
    new = regime_panel(1, 260, seed=7).assign(unique_id="NEW")  # never trained on: no state, NaN columns
    pred = model.predict(pd.concat([df, new]))
    known, unknown = pred[pred["unique_id"] != "NEW"], pred[pred["unique_id"] == "NEW"]
    values = known[["p10_aci", "p10", "p50", "p90", "p90_aci"]].to_numpy()
    assert (
        np.isfinite(values).all()
        and (values[:, 0] < values[:, 2]).all()
        and (values[:, 2] < values[:, 4]).all()
    )
    assert unknown[["p10_aci", "p90_aci"]].isna().all().all() and np.isfinite(unknown["p90"]).all()

    replace(model.bundle, aci={}).save(tmp_path / "old")  # the layout of a bundle saved before the states
    old = Forecaster.from_pretrained(tmp_path / "old")
    assert old.bundle.aci == {}
    plain = old.predict(df)
    assert list(plain.columns) == ["unique_id", "ds", "p10", "p50", "p90"]
    pd.testing.assert_frame_equal(plain, known[plain.columns].reset_index(drop=True))
