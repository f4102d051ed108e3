"""The adaptive conformal (ACI) state: a run split in two with the first part's state equals the run whole,
the backtest's state travels in the bundle, and a loaded bundle continues it (the same intervals as the
in-memory one, and as ACI run without a break over the backtest and the rows after it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from carrousel.finance.aci import aci_arrays, aci_from_bundle
from carrousel.finance.config import FinanceConfig
from carrousel.finance.conformal import AciState, adaptive_conformal, adaptive_conformal_state
from carrousel.finance.data import load_histories
from carrousel.finance.errors import ForecasterBundleError
from carrousel.finance.features import build_series, cumulative_targets, valid_origins
from carrousel.finance.forecast_rows import qlabel
from carrousel.finance.pipeline import ForecasterBundle, forecast

QS = (0.025, 0.1, 0.5, 0.9, 0.975)


@pytest.mark.parametrize("split", [1, 3, 5, 37, 119])
def test_aci_continued_from_its_state_equals_the_run_whole(split: int) -> None:
    rng = np.random.default_rng(split)
    pred = np.sort(rng.normal(size=(120, 5, len(QS))), axis=-1)
    actual = 1.7 * rng.normal(size=(120, 5))  # wider than the forecasts: the multipliers move
    whole = adaptive_conformal(pred, actual, QS, 0.05)
    first, state = adaptive_conformal_state(pred[:split], actual[:split], QS, 0.05)
    arrays, doc = aci_arrays({"X": replace(state, last_origin="2020-01-02")})  # through the bundle form
    again = aci_from_bundle(arrays, doc, (5, len(QS)))["X"]
    assert again.last_origin == "2020-01-02" and len(again.recent) == min(split, 5)
    rest, end = adaptive_conformal_state(pred[split:], actual[split:], QS, 0.05, again)
    assert np.array_equal(np.concatenate([first, rest]), whole)
    restarted = adaptive_conformal(pred[split:], actual[split:], QS, 0.05)
    assert not np.allclose(rest, restarted)  # a restart would forget the calibration so far
    assert np.all(end.log_scale[:, -1] > 0.0)  # outcomes wider than the forecasts: the band widened


def test_a_loaded_bundle_continues_the_backtests_aci(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    base = tiny_config(("AAPL",))  # one network, one epoch, one refit: the state is what is tested
    cfg = replace(
        base,
        model=replace(base.model, members=1),
        train=replace(base.train, epochs=1),
        backtest=replace(base.backtest, aci_gamma=0.05, test_days=20),
    )
    result = forecast(cfg, model_dir=tmp_path / "m")
    bt, history = result.backtest, load_histories(cfg.data)[0]
    assert bt is not None
    state = bt.aci_states["AAPL"]
    assert state.last_origin == str(bt.dates[-1].date()) and len(state.recent) == cfg.window.horizon
    loaded = ForecasterBundle.from_pretrained(tmp_path / "m")
    assert np.array_equal(loaded.aci["AAPL"].log_scale, state.log_scale)
    ours = result.forecasts[0].aci
    assert len(ours) == cfg.window.horizon and loaded(history, baselines=False).aci == ours  # same intervals

    # continued, not restarted: ACI without a break over the backtest's forecasts and the rows after it
    series = build_series("AAPL", history.frame, cfg.window.indicators)
    after = valid_origins(series, cfg.window.lookback, cfg.window.horizon, with_target=False)
    after = after[after > series.dates.get_loc(bt.dates[-1])]
    net = np.concatenate([bt.forecasts[cfg.model.arch], loaded.fitted.predict(series, after)])
    actual = np.concatenate([bt.actual, cumulative_targets(series, after, cfg.window.horizon)])
    last = adaptive_conformal(net, actual, cfg.model.quantiles, 0.05)[-1]
    close = float(series.close[-1])
    labels = [qlabel(q) for q in cfg.model.quantiles]
    for step, row in zip(last, ours, strict=True):
        assert row == pytest.approx({k: close * float(np.exp(v)) for k, v in zip(labels, step, strict=True)})

    restart = replace(loaded, aci={"AAPL": AciState.start(cfg.window.horizon, len(cfg.model.quantiles))})
    assert restart(history, baselines=False).aci != ours  # the saved state changes the intervals
    core = loaded.to_bundle()
    bad = replace(core, arrays={**core.arrays, "aci.AAPL.log_scale": np.zeros((2, 3))})
    with pytest.raises(ForecasterBundleError, match="adaptive conformal state of AAPL"):
        ForecasterBundle.from_bundle(bad)
