"""The models AutoETS, Theta and AutoARIMA pick are in the JSON of a run, and they are statsmodels' picks."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.stattools import kpss

from carrousel.finance import baselines
from carrousel.finance.autobaselines import MAX_ROWS, auto_arima_forecast
from carrousel.finance.baselines import FALLBACK, baseline_forecasts
from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.features import build_series
from carrousel.finance.pipeline import backtest


def test_run_json_names_each_refits_ets_model_theta_alpha_and_arima_order_as_statsmodels_picks(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig], tmp_path: Path
) -> None:
    cfg = tiny_config(("AAPL",), start="2009-07-01")  # about 380 rows: short fits
    cfg = replace(
        cfg,
        model=replace(cfg.model, members=1),
        backtest=replace(cfg.backtest, auto_baselines=True, test_days=30, refit_every=15),
    )
    backtest(cfg, out_dir=tmp_path / "run")
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    fits = doc["backtest"]["baseline_fits"]
    series = build_series("AAPL", load_histories(cfg.data)[0].frame)
    assert [f["ticker"] for f in fits] == ["AAPL", "AAPL"]  # 30 test days, a refit every 15
    assert fits[0]["fitted_to"] < fits[1]["fitted_to"]
    for fit in fits:
        cut = int(np.searchsorted(series.dates, np.datetime64(fit["fitted_to"])))
        y = series.close[max(0, cut + 1 - MAX_ROWS) : cut + 1]
        aicc = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for err in ("add", "mul"):
                for trend, damped in ((None, False), ("add", False), ("add", True)):
                    res = ETSModel(y, error=err, trend=trend, damped_trend=damped).fit(disp=False)
                    code = (
                        ("A" if err == "add" else "M")
                        + ("N" if trend is None else "A")
                        + ("d" if damped else "")
                    )
                    aicc[code + "N"] = res.aicc
            alpha = float(ThetaModel(np.log(y), deseasonalize=False).fit().params["alpha"])
            d = int(kpss(np.log(y), regression="c", nlags="auto")[1] < 0.05)
        assert fit["auto_ets"] == min(aicc, key=aicc.__getitem__)
        assert fit["theta"] == f"Theta(alpha={alpha:.3f})"
        order = fit["auto_arima"]
        assert order.startswith("ARIMA(") and order.split(",")[1] == str(d)  # d: statsmodels' KPSS at 5%
        assert order == auto_arima_forecast(series.close, cut, np.array([cut]), 3, cfg.model.quantiles)[1]


def test_a_failed_fit_is_named_as_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    import pandas as pd

    frame = pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=pd.bdate_range("2010-01-04", periods=300),
    )
    s = build_series("X", frame)

    def broken(*args: object) -> None:
        raise ValueError("no convergence")

    monkeypatch.setattr(baselines, "auto_ets_forecast", broken)
    chosen: dict[str, str] = {}
    baseline_forecasts(s, 250, np.arange(250, 260), 2, (0.1, 0.5, 0.9), chosen=chosen)
    assert chosen["auto_ets"] == FALLBACK and chosen["auto_arima"].startswith("ARIMA(")
