"""A small walk-forward backtest's network forecasts pinned to what main's code gave (commit e5397346).

The network part of the backtest (:func:`~carrousel.finance.backtest.backtest_refits`, then one batched
:meth:`~carrousel.finance.fitted.FittedForecaster.predict` per block, as ``benchmarks/bench_finance_darts.py``
times it) on the committed AAPL slice with the tiny test configuration (two refits of a two-member seed
ensemble). A change made for speed must leave these numbers as they are: the batch order, the windows, the
seeds, the validation that picks the kept epoch, the calibration and the GARCH combination all move them by
far more than the tolerance, which only absorbs float32 round-off of another CPU's kernels (on the machine
that pinned them they are equal bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from carrousel.finance.backtest import backtest_refits
from carrousel.finance.backtest_baselines import block_origins
from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.features import build_series

# per refit: each member's training loss per epoch, the forecasts' mean per quantile over the block's origins
# and horizons, and the median forecast (H steps) at the block's first and last origin
PINNED = (
    (
        (0.30947235826204517, 0.2838152534157567, 0.3284767270088196, 0.31214592319268447),
        (-0.014794748716036782, 0.007117546817944639, 0.03071438928982864),
        (
            (0.005048626772178516, 0.008696671453361539, 0.00782996324740345),
            (0.005326629005663591, 0.008142832747730495, 0.0067329791475242914),
        ),
    ),
    (
        (0.3210617663592277, 0.294088701348333, 0.3427128657786804, 0.32337602320507436),
        (-0.01325880409725002, 0.005449243610687268, 0.025885060651364332),
        (
            (0.00642137889938577, 0.009788652647127855, 0.006978378426325884),
            (0.003408049450292108, 0.005793127543935869, 0.00493485505866872),
        ),
    ),
)


def test_a_small_backtest_forecasts_what_main_forecast(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config()
    series = build_series("AAPL", load_histories(cfg.data)[0].frame, cfg.window.indicators)
    refits = backtest_refits([series], cfg)
    assert len(refits) == len(PINNED)
    for refit, (losses, means, medians) in zip(refits, PINNED, strict=True):
        origins = block_origins(series, refit, cfg.window.lookback, cfg.window.horizon)
        assert len(origins) == 20
        forecast = refit.fitted.predict(series, origins)  # (n, H, Q)
        assert [h["train_loss"] for h in refit.fitted.history] == pytest.approx(losses, rel=1e-4)
        np.testing.assert_allclose(forecast.mean(axis=(0, 1)), means, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(forecast[[0, -1], :, 1], medians, rtol=1e-4, atol=1e-7)
