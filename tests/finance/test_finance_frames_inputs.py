"""The DataFrame API as a notebook feeds it: a close-only frame (the loaders' warning, once per series)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.frames import frame_series, to_frame

CLOSES_ALONE = "forecasts from the closes alone"  # the close-only CSV's warning (data.warn_absent_inputs)


@pytest.mark.parametrize("form", ["absent", "equal to y"])
def test_a_close_only_frame_gets_the_loaders_warning_once_per_series(
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
    caplog: pytest.LogCaptureFixture,
    form: str,
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    df = to_frame(load_histories(cfg.data)).drop(columns="volume")
    if form == "absent":
        df = df.drop(columns=["open", "high", "low"])
    else:
        df = df.assign(open=df["y"], high=df["y"], low=df["y"])
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(df, cfg)
    lines = [r.getMessage() for r in caplog.records if CLOSES_ALONE in r.getMessage()]
    assert [line.split(":")[0] for line in lines] == ["AAPL", "MSFT"]
    assert all("no open/high/low" in line and "no volume" in line for line in lines)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(to_frame(load_histories(cfg.data)), cfg)  # full OHLCV: no warning
    assert CLOSES_ALONE not in caplog.text
