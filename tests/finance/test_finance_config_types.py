"""The finance configs as a notebook builds them: an integer setting refuses a float, a string and a bool in
one clear FinanceConfigError (before: WindowConfig(horizon=5.0) was accepted and failed later as a slice
index; horizon="5" raised a TypeError from inside the range check), the frames API's ``h`` a FrameError;
dates may be date objects."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import (
    BacktestConfig,
    DataConfig,
    ExportConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
)
from carrousel.finance.data import load_histories
from carrousel.finance.errors import FinanceConfigError, FrameError
from carrousel.finance.frames import Forecaster, cross_validation, to_frame


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: WindowConfig(horizon=5.0), "WindowConfig: horizon=5.0 is a float, not an integer; give horizon=5"),
        (lambda: WindowConfig(horizon="5"), "WindowConfig: horizon='5' is a str, not an integer; give horizon=5"),
        (lambda: WindowConfig(horizon=True), "horizon=True is a bool, not an integer; give an integer, e.g. horizon=5"),
        (lambda: WindowConfig(lookback=30.5), "lookback=30.5 is a float, not an integer"),
        (lambda: DataConfig(min_history=250.0), "DataConfig: min_history=250.0 is a float"),
        (lambda: DataConfig(timeout="10"), "DataConfig: timeout='10' is a str, not a number; give timeout=10.0"),
        (lambda: ModelConfig(hidden_size=32.0), "ModelConfig: hidden_size=32.0 is a float"),
        (lambda: ModelConfig(quantiles=("0.1", 0.9)), "ModelConfig: quantiles[0]='0.1' is a str, not a number"),
        (lambda: TrainSettings(epochs="3"), "TrainSettings: epochs='3' is a str, not an integer; give epochs=3"),
        (lambda: TrainSettings(lr="0.01"), "TrainSettings: lr='0.01' is a str, not a number; give lr=0.01"),
        (lambda: TrainSettings(seed=False), "TrainSettings: seed=False is a bool"),
        (lambda: BacktestConfig(test_days=30.0), "BacktestConfig: test_days=30.0 is a float"),
        (lambda: BacktestConfig(garch_weight="0.4"), "BacktestConfig: garch_weight='0.4' is a str"),
        (lambda: ExportConfig("m", eval_days=250.0), "ExportConfig: eval_days=250.0 is a float"),
    ],
)  # fmt: skip
def test_a_number_of_the_wrong_kind_is_one_clear_config_error(build: Any, message: str) -> None:
    with pytest.raises(FinanceConfigError) as caught:
        build()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_numpy_integers_are_accepted_as_plain_ints() -> None:
    window = WindowConfig(lookback=np.int64(20), horizon=np.int32(3))  # type: ignore[arg-type]
    assert (window.lookback, window.horizon) == (20, 3) and type(window.horizon) is int


@pytest.mark.parametrize(
    "given",
    [
        pd.Timestamp("2012-01-03"),
        datetime.date(2012, 1, 3),
        datetime.datetime(2012, 1, 3),
        np.datetime64("2012-01-03"),
    ],
)
def test_a_date_object_is_stored_as_its_iso_date(given: object) -> None:
    # before: "--start Timestamp('2012-01-03 00:00:00') is not a date"; a datetime.date was stored as a date
    cfg = DataConfig(start=given, end=given)  # type: ignore[arg-type]
    assert cfg.start == cfg.end == "2012-01-03" and type(cfg.start) is str


@pytest.mark.parametrize("given", [20120103, pd.NaT, 2012.0])
def test_a_date_of_another_kind_says_how_to_give_it(given: object) -> None:
    with pytest.raises(FinanceConfigError, match=r"give the date as 'YYYY-MM-DD'"):
        DataConfig(start=given)  # type: ignore[arg-type]


def test_a_date_string_keeps_its_command_line_message() -> None:
    with pytest.raises(FinanceConfigError, match=r"^--start '2012-13-01' is not a date; use YYYY-MM-DD"):
        DataConfig(start="2012-13-01")


def test_h_must_be_an_integer(sample_source: Path, tiny_config: Callable[..., FinanceConfig]) -> None:
    cfg = tiny_config(("AAPL",))
    df = to_frame(load_histories(cfg.data))
    model = Forecaster.fit(df, cfg)
    # before: h=2.0 failed inside with "slice indices must be integers or None"
    with pytest.raises(FrameError, match=r"^h=2\.0 is a float, not an integer; give h=2$"):
        model.predict(df, h=2.0)  # type: ignore[arg-type]
    with pytest.raises(FrameError, match=r"^h=True is a bool, not an integer; give an integer, e.g. h=3$"):
        model.predict(df, h=True)
    pred = model.predict(df, h=np.int64(2))  # type: ignore[arg-type]
    assert len(pred) == 2 and np.isfinite(pred[["p10", "p50", "p90"]].to_numpy()).all()
    with pytest.raises(FrameError, match=r"^h='2' is a str, not an integer; give h=2$"):
        cross_validation(df, cfg, h="2")  # type: ignore[arg-type]
    assert issubclass(FrameError, ValueError) and not issubclass(FrameError, FinanceConfigError)
