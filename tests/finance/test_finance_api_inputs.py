"""The finance Python API as a notebook calls it: a close-only CSV, one ticker as a plain string, a dict for a
config."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

import carrousel.finance.pipeline as pipeline
from carrousel.finance.config import BacktestConfig, DataConfig, FinanceConfig
from carrousel.finance.data import load_histories, load_history
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.frames import Forecaster, cross_validation
from carrousel.finance.multiseries import train_global


def _csv(tmp_path: Path, raw_aapl: pd.DataFrame, columns: list[str]) -> Path:
    path = tmp_path / "prices.csv"
    raw_aapl.rename_axis("date").reset_index()[["date", *columns]].to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("columns", "said", "unsaid"),
    [
        (["close"], ["no open/high/low", "and no volume"], []),
        (["open", "high", "low", "close"], ["no volume (the volume input is constant)"], ["open/high/low"]),
        (["close", "volume"], ["no open/high/low (the gap, body and range"], ["no volume"]),
    ],
)
def test_a_csv_without_ohlc_or_volume_says_which_inputs_are_lost(
    tmp_path: Path,
    raw_aapl: pd.DataFrame,
    caplog: pytest.LogCaptureFixture,
    columns: list[str],
    said: list[str],
    unsaid: list[str],
) -> None:
    cfg = DataConfig(tickers=("XYZ",), source="csv", csv_path=str(_csv(tmp_path, raw_aapl, columns)))
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        load_history("XYZ", cfg)
    lines = [r.getMessage() for r in caplog.records if "forecasts from the closes alone" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("XYZ: the prices have ")
    assert all(s in lines[0] for s in said) and not any(s in lines[0] for s in unsaid)
    assert "add Open, High, Low and Volume columns" in lines[0]


def test_a_full_ohlcv_csv_warns_of_nothing(
    tmp_path: Path, raw_aapl: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    path = _csv(tmp_path, raw_aapl, ["open", "high", "low", "close", "volume", "adj_close"])
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        load_history("XYZ", DataConfig(tickers=("XYZ",), source="csv", csv_path=str(path)))
    assert "closes alone" not in caplog.text


def test_one_ticker_as_a_string_or_a_list_is_read_as_meant(sample_source: Path) -> None:
    # before: tickers="MSFT" was read letter by letter ("M is not in the sample data")
    for tickers in ("MSFT", ["MSFT"], ("MSFT",)):
        cfg = DataConfig(tickers=tickers, source="sample", min_history=100)  # type: ignore[arg-type]
        assert cfg.tickers == ("MSFT",) and [h.ticker for h in load_histories(cfg)] == ["MSFT"]
    cfg = DataConfig(tickers=["AAPL", "MSFT"], source="sample", min_history=100)  # type: ignore[arg-type]
    assert cfg.tickers == ("AAPL", "MSFT") and hash(cfg)  # a tuple: the frozen config stays hashable


@pytest.mark.parametrize("cfg", [{"window": {"horizon": 3}}, "run.toml"])
def test_a_config_that_is_no_finance_config_is_one_clear_line(cfg: object) -> None:
    # before: AttributeError "'dict' object has no attribute 'data'" from inside fit / cross_validation
    df = pd.DataFrame({"unique_id": "A", "ds": pd.bdate_range("2010-01-04", periods=5), "y": 10.0})
    for call in (
        lambda: Forecaster.fit(df, cfg),
        lambda: cross_validation(df, cfg),
        lambda: train_global(df, cfg),
    ):
        with pytest.raises(FinanceConfigError) as caught:
            call()
        assert str(caught.value) == (
            f"cfg is a {type(cfg).__name__}, not a FinanceConfig; build one from carrousel.finance.config, e.g. "
            "FinanceConfig(window=WindowConfig(horizon=3)), or load_config('run.toml') for a TOML file's settings"
        )


@pytest.mark.parametrize("cfg", [{"data": {"tickers": ["AAPL"]}}, "run.toml"])
def test_the_pipeline_refuses_a_config_that_is_no_finance_config_in_one_line(
    cfg: object, tmp_path: Path
) -> None:
    # before: AttributeError "'dict' object has no attribute 'train'" / "'str' object has no attribute 'data'"
    for call in (
        lambda: pipeline.backtest(cfg, out_dir=tmp_path / "bt"),  # type: ignore[arg-type]
        lambda: pipeline.forecast(cfg, out_dir=tmp_path / "fc"),  # type: ignore[arg-type]
    ):
        with pytest.raises(FinanceConfigError) as caught:
            call()
        assert str(caught.value) == (
            f"cfg is a {type(cfg).__name__}, not a FinanceConfig; build one from carrousel.finance.config, e.g. "
            "FinanceConfig(window=WindowConfig(horizon=3)), or load_config('run.toml') for a TOML file's settings"
        )
    assert not (tmp_path / "bt").exists() and not (tmp_path / "fc").exists()


def test_the_pipeline_backtest_refuses_a_config_whose_backtest_is_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # before: backtest(cfg) with backtest.enabled=False ran the backtest anyway, the setting ignored silently
    # (the CLI refuses `[backtest] enabled = false` for `finance backtest`)
    monkeypatch.setattr(pipeline, "load_histories", lambda *_: pytest.fail("prices read past the check"))
    cfg = FinanceConfig(data=DataConfig(source="sample"), backtest=BacktestConfig(enabled=False))
    with pytest.raises(FinanceConfigError) as caught:
        pipeline.backtest(cfg, out_dir=tmp_path / "run")
    assert str(caught.value) == (
        "backtest(cfg) always runs the backtest, so backtest.enabled=False is not used; drop it (the default is "
        "True), or call forecast(cfg) to forecast without a backtest"
    )
    assert not (tmp_path / "run").exists()
